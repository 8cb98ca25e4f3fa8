/*
 * The IKEv2 message codec (RFC 7296 §3, RFC 7383 §2.5), strict in the way
 * the IKEv1 codec is: the header length must equal the datagram, every
 * payload length is checked against what is left, the chain is walked once,
 * payload counts are bounded, and trailing bytes are rejected.  An unknown
 * payload is skipped unless its critical bit is set (§2.5).  An Encrypted
 * (SK) or Encrypted Fragment (SKF) payload must be the last one; its "next
 * payload" names the first payload inside, which ikev2_decode_inner walks
 * once the body is decrypted.
 *
 * Decoded payloads point into the caller's buffer; nothing is copied.  A
 * decode failure returns the notify type the sender should hear (or that
 * the caller may count), never a partially filled result to act upon.
 */
#ifndef SPIGOT_IKEV2_MSG_H
#define SPIGOT_IKEV2_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/wbuf.h"
#include "ikev2/ikev2_wire.h"

struct ikev2_hdr {
	uint8_t spi_i[8], spi_r[8];
	uint8_t np;		/* first payload */
	uint8_t version;	/* major << 4 | minor */
	uint8_t exch;
	uint8_t flags;
	uint32_t msgid;
	uint32_t len;
};

struct ikev2_pl {
	uint8_t type;
	bool critical;
	const uint8_t *body;	/* after the generic header */
	size_t len;
};

struct ikev2_msg {
	struct ikev2_hdr h;
	struct ikev2_pl pl[IKEV2_MAX_PAYLOADS];
	size_t npl;
	/*
	 * An SK or SKF payload (always last): where its body starts in the
	 * datagram, so the caller can authenticate everything before it.
	 */
	const struct ikev2_pl *sk;
	uint8_t sk_inner_np;	/* the first payload inside */
	uint16_t frag_no, frag_total;	/* SKF only */
	/* Put together from verified fragments (ikev2_frag.c): sk's body is plaintext. */
	bool reassembled;
	/* The first unknown critical payload type, for UNSUPPORTED_CRITICAL_PAYLOAD. */
	uint8_t bad_critical;
};

/* 0, or the IKEV2_N_* error that describes the fault. */
int ikev2_decode(const uint8_t *p, size_t len, struct ikev2_msg *m);
/*
 * Walks the decrypted chain of an SK payload (padding already removed),
 * appending its payloads to m (after the outer ones).
 */
int ikev2_decode_inner(struct ikev2_msg *m, uint8_t first_np, const uint8_t *p, size_t len);
/* The first payload of a type, from index `from` on (0 = first); NULL if none. */
const struct ikev2_pl *ikev2_find(const struct ikev2_msg *m, uint8_t type, size_t from);
/* The first Notify of a type, or NULL. */
const struct ikev2_pl *ikev2_find_notify(const struct ikev2_msg *m, uint16_t ntype);

/* Reads the header alone (for routing a datagram before anything else). */
bool ikev2_peek_hdr(const uint8_t *p, size_t len, struct ikev2_hdr *h);

/* ---- payload bodies ---- */

struct ikev2_xf {
	uint8_t type;
	uint16_t id;
	uint16_t keylen;	/* bits, from a Key Length attribute; 0 = none */
	bool unknown_attr;	/* an attribute we do not know: never choose it (§3.3.6) */
};

struct ikev2_prop {
	uint8_t num;
	uint8_t proto;
	uint8_t spi_len;
	uint8_t spi[IKEV2_MAX_SPI];
	size_t nxf;
	struct ikev2_xf xf[IKEV2_MAX_TRANSFORMS];
};

struct ikev2_props {
	size_t nprop;
	struct ikev2_prop prop[IKEV2_MAX_PROPOSALS];
};

struct ikev2_ke {
	uint16_t group;
	const uint8_t *data;
	size_t len;
};

struct ikev2_id {
	uint8_t type;
	const uint8_t *data;
	size_t len;
	const uint8_t *body;	/* the whole body, what the AUTH computation hashes */
	size_t body_len;
};

struct ikev2_auth {
	uint8_t method;
	const uint8_t *data;
	size_t len;
};

struct ikev2_notify {
	uint8_t proto;
	uint8_t spi_len;
	uint8_t spi[IKEV2_MAX_SPI];
	uint16_t type;
	const uint8_t *data;
	size_t len;
};

struct ikev2_delete {
	uint8_t proto;
	uint8_t spi_len;
	uint16_t nspi;
	const uint8_t *spis;	/* nspi * spi_len bytes */
};

struct ikev2_ts {
	uint8_t type;		/* IKEV2_TS_IPV4_ADDR_RANGE */
	uint8_t proto;		/* 0 = any */
	uint16_t sport, eport;
	uint32_t saddr, eaddr;	/* host order */
};

struct ikev2_tsp {
	size_t nts;
	struct ikev2_ts ts[IKEV2_MAX_TS];
	size_t skipped_v6;	/* IPv6 ranges we understood but cannot use */
};

int ikev2_parse_sa(const struct ikev2_pl *pl, struct ikev2_props *sa);
int ikev2_parse_ke(const struct ikev2_pl *pl, struct ikev2_ke *ke);
int ikev2_parse_nonce(const struct ikev2_pl *pl, const uint8_t **nonce, size_t *len);
int ikev2_parse_id(const struct ikev2_pl *pl, struct ikev2_id *id);
int ikev2_parse_auth(const struct ikev2_pl *pl, struct ikev2_auth *a);
int ikev2_parse_notify(const struct ikev2_pl *pl, struct ikev2_notify *n);
int ikev2_parse_delete(const struct ikev2_pl *pl, struct ikev2_delete *d);
int ikev2_parse_ts(const struct ikev2_pl *pl, struct ikev2_tsp *ts);

/* ---- writing ---- */

struct ikev2_wr {
	struct wbuf_wr w;
	size_t np_at;		/* where the previous "next payload" byte is */
};

void ikev2_wr_init(struct ikev2_wr *w, uint8_t *buf, size_t cap, const struct ikev2_hdr *h);
/*
 * Opens a payload, chaining it to the previous one, and returns where it
 * starts; ikev2_pl_end(w, start) sets its length.  Payloads written between
 * the two chain inside it, which is how an SK payload's "next payload"
 * comes to name the first payload it carries.
 */
size_t ikev2_pl_begin(struct ikev2_wr *w, uint8_t type);
void ikev2_pl_end(struct ikev2_wr *w, size_t start);
/* Sets the header length; returns the message length, or 0 on overflow. */
size_t ikev2_wr_finish(struct ikev2_wr *w);

void ikev2_put_sa(struct ikev2_wr *w, const struct ikev2_props *sa);
void ikev2_put_ke(struct ikev2_wr *w, uint16_t group, const uint8_t *data, size_t len);
void ikev2_put_nonce(struct ikev2_wr *w, const uint8_t *nonce, size_t len);
void ikev2_put_id(struct ikev2_wr *w, uint8_t pltype, uint8_t idtype, const uint8_t *data, size_t len);
void ikev2_put_auth(struct ikev2_wr *w, uint8_t method, const uint8_t *data, size_t len);
void ikev2_put_notify(struct ikev2_wr *w, uint8_t proto, const uint8_t *spi, uint8_t spi_len,
		      uint16_t type, const uint8_t *data, size_t len);
void ikev2_put_delete(struct ikev2_wr *w, uint8_t proto, uint8_t spi_len, const uint8_t *spis,
		      uint16_t nspi);
void ikev2_put_ts(struct ikev2_wr *w, uint8_t pltype, const struct ikev2_tsp *ts);

const char *ikev2_exch_name(uint8_t exch);
const char *ikev2_pl_name(uint8_t type);
const char *ikev2_notify_name(uint16_t type);

#endif
