/*
 * The ISAKMP message codec (RFC 2408 §3, RFC 2407 §4.6, RFC 2409), strict:
 * every length is checked against its container, the payload chain is
 * walked once, reserved fields must be zero, trailing bytes are rejected
 * (except the padding of a decrypted body), payload counts are bounded.
 * Decoded payloads point into the caller's buffer; nothing is copied.
 */
#ifndef SPIGOT_ISAKMP_H
#define SPIGOT_ISAKMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/wbuf.h"

#define ISAKMP_HDR_LEN 28
#define ISAKMP_GEN_LEN 4		/* generic payload header */
#define ISAKMP_VERSION 0x10		/* major 1, minor 0 */
#define ISAKMP_MAX_MSG 8192		/* what we send; input is bounded by UDP */
#define ISAKMP_MAX_PAYLOADS 32
#define ISAKMP_MAX_PROPOSALS 16
#define ISAKMP_MAX_TRANSFORMS 16
#define ISAKMP_MAX_ATTRS 16
#define ISAKMP_MAX_SPI 16
#define ISAKMP_MAX_PAD 255		/* decrypted bodies: padding we tolerate */

/* Payload types (RFC 2408 §3.1, RFC 3947). */
enum {
	ISAKMP_NP_NONE = 0,
	ISAKMP_NP_SA = 1,
	ISAKMP_NP_P = 2,
	ISAKMP_NP_T = 3,
	ISAKMP_NP_KE = 4,
	ISAKMP_NP_ID = 5,
	ISAKMP_NP_CERT = 6,
	ISAKMP_NP_CR = 7,
	ISAKMP_NP_HASH = 8,
	ISAKMP_NP_SIG = 9,
	ISAKMP_NP_NONCE = 10,
	ISAKMP_NP_N = 11,
	ISAKMP_NP_D = 12,
	ISAKMP_NP_VID = 13,
	ISAKMP_NP_NATD = 20,
	ISAKMP_NP_NATOA = 21,
	ISAKMP_NP_NATD_DRAFT = 130,	/* draft-ietf-ipsec-nat-t-ike-02/03 */
	ISAKMP_NP_NATOA_DRAFT = 131,
};

/* Exchange types. */
enum {
	ISAKMP_EXCH_IDPROT = 2,		/* Main Mode */
	ISAKMP_EXCH_AGGR = 4,
	ISAKMP_EXCH_INFO = 5,
	ISAKMP_EXCH_QUICK = 32,
};

#define ISAKMP_FLAG_ENC 0x01
#define ISAKMP_FLAG_COMMIT 0x02
#define ISAKMP_FLAG_AUTHONLY 0x04

/* Protocol IDs (RFC 2407 §4.4.1). */
enum { ISAKMP_PROTO_ISAKMP = 1, ISAKMP_PROTO_AH = 2, ISAKMP_PROTO_ESP = 3, ISAKMP_PROTO_IPCOMP = 4 };
/* The one mapping between IPsec DOI protocol IDs (RFC 2407 §4.4.1) and IP
 * protocol numbers; 0 for anything that is neither AH nor ESP. */
uint8_t isakmp_proto_to_ip(uint8_t isakmp_proto);
uint8_t isakmp_proto_from_ip(uint8_t ipproto);

#define ISAKMP_DOI_IPSEC 1
#define ISAKMP_SIT_IDENTITY_ONLY 1
#define ISAKMP_KEY_IKE 1		/* phase-1 transform id */

/* Phase-1 attribute classes (RFC 2409 Appendix A). */
enum {
	IKE_ATTR_ENC = 1,
	IKE_ATTR_HASH = 2,
	IKE_ATTR_AUTH = 3,
	IKE_ATTR_GROUP = 4,
	IKE_ATTR_LIFE_TYPE = 11,
	IKE_ATTR_LIFE_DUR = 12,
	IKE_ATTR_KEY_LEN = 14,
};
enum { IKE_ENC_ID_DES = 1, IKE_ENC_ID_3DES = 5, IKE_ENC_ID_AES = 7 };
enum { IKE_HASH_ID_MD5 = 1, IKE_HASH_ID_SHA = 2, IKE_HASH_ID_SHA256 = 4, IKE_HASH_ID_SHA384 = 5,
       IKE_HASH_ID_SHA512 = 6 };
#define IKE_AUTH_ID_PSK 1
enum { IKE_LIFE_SECONDS = 1, IKE_LIFE_KB = 2 };

/* IPsec DOI attribute classes (RFC 2407 §4.5). */
enum {
	IPSEC_ATTR_LIFE_TYPE = 1,
	IPSEC_ATTR_LIFE_DUR = 2,
	IPSEC_ATTR_GROUP = 3,
	IPSEC_ATTR_ENCAP = 4,
	IPSEC_ATTR_AUTH = 5,
	IPSEC_ATTR_KEY_LEN = 6,
};
enum { IPSEC_ENCAP_TUNNEL = 1, IPSEC_ENCAP_TRANSPORT = 2, IPSEC_ENCAP_UDP_TUNNEL = 3,
       IPSEC_ENCAP_UDP_TRANSPORT = 4, IPSEC_ENCAP_UDP_TUNNEL_DRAFT = 61443,
       IPSEC_ENCAP_UDP_TRANSPORT_DRAFT = 61444 };
enum { IPSEC_AUTH_MD5 = 1, IPSEC_AUTH_SHA = 2, IPSEC_AUTH_SHA256 = 5, IPSEC_AUTH_SHA384 = 6,
       IPSEC_AUTH_SHA512 = 7 };
/* Transform ids: AH (§4.4.3) and ESP (§4.4.4, RFC 4106). */
enum { AH_ID_MD5 = 2, AH_ID_SHA = 3, AH_ID_SHA256 = 5, AH_ID_SHA384 = 6, AH_ID_SHA512 = 7 };
enum { ESP_ID_DES = 2, ESP_ID_3DES = 3, ESP_ID_NULL = 11, ESP_ID_AES = 12, ESP_ID_AES_GCM16 = 20 };

/* Identification types (RFC 2407 §4.6.2.1). */
enum { ID_IPV4_ADDR = 1, ID_FQDN = 2, ID_USER_FQDN = 3, ID_IPV4_ADDR_SUBNET = 4,
       ID_IPV6_ADDR = 5, ID_IPV6_ADDR_SUBNET = 6, ID_IPV4_ADDR_RANGE = 7,
       ID_IPV6_ADDR_RANGE = 8, ID_DER_ASN1_DN = 9, ID_DER_ASN1_GN = 10, ID_KEY_ID = 11 };

/* Notify message types. */
enum {
	ISAKMP_N_INVALID_PAYLOAD_TYPE = 1,
	ISAKMP_N_INVALID_SPI = 11,
	ISAKMP_N_NO_PROPOSAL_CHOSEN = 14,
	ISAKMP_N_PAYLOAD_MALFORMED = 16,
	ISAKMP_N_INVALID_HASH_INFORMATION = 23,
	ISAKMP_N_AUTHENTICATION_FAILED = 24,
	ISAKMP_N_RESPONDER_LIFETIME = 24576,
	ISAKMP_N_REPLAY_STATUS = 24577,
	ISAKMP_N_INITIAL_CONTACT = 24578,
	ISAKMP_N_DPD_R_U_THERE = 36136,
	ISAKMP_N_DPD_R_U_THERE_ACK = 36137,
};

struct isakmp_hdr {
	uint8_t icookie[8], rcookie[8];
	uint8_t np, version, exch, flags;
	uint32_t msgid;
	uint32_t len;
};

/* One payload of the chain: body excludes, raw includes the generic header. */
struct isakmp_pl {
	uint8_t type;
	const uint8_t *body;
	size_t len;
	const uint8_t *raw;
	size_t rawlen;
};

struct isakmp_msg {
	struct isakmp_hdr hdr;
	size_t npl;
	struct isakmp_pl pl[ISAKMP_MAX_PAYLOADS];
	size_t padding;		/* bytes after the chain (decrypted bodies only) */
};

struct isakmp_attr {
	uint16_t type;		/* without the AF bit */
	bool tv;		/* basic (TV) form */
	uint16_t len;		/* TLV value length */
	const uint8_t *val;	/* TLV value */
	uint32_t ival;		/* TV value, or a TLV value of 1-4 bytes as an integer */
	bool has_ival;
};

struct isakmp_transform {
	uint8_t num, id;
	size_t nattr;
	struct isakmp_attr attr[ISAKMP_MAX_ATTRS];
};

struct isakmp_proposal {
	uint8_t num, proto, spi_size;
	uint8_t spi[ISAKMP_MAX_SPI];
	size_t ntrans;
	struct isakmp_transform t[ISAKMP_MAX_TRANSFORMS];
};

struct isakmp_sa {
	uint32_t doi, situation;
	size_t nprop;
	struct isakmp_proposal p[ISAKMP_MAX_PROPOSALS];
};

struct isakmp_id {
	uint8_t type, proto;
	uint16_t port;
	const uint8_t *data;
	size_t len;
};

struct isakmp_notify {
	uint32_t doi;
	uint8_t proto, spi_size;
	uint16_t type;
	const uint8_t *spi;
	const uint8_t *data;
	size_t datalen;
};

struct isakmp_delete {
	uint32_t doi;
	uint8_t proto, spi_size;
	uint16_t nspi;
	const uint8_t *spis;	/* nspi * spi_size bytes */
};

/* Codec failures, for counters and logs. */
enum isakmp_err {
	ISAKMP_OK = 0,
	ISAKMP_E_SHORT,		/* shorter than a header / a field */
	ISAKMP_E_VERSION,
	ISAKMP_E_LENGTH,	/* a length disagrees with its container */
	ISAKMP_E_RESERVED,
	ISAKMP_E_PAYLOAD,	/* unknown or misplaced payload type */
	ISAKMP_E_TOO_MANY,
	ISAKMP_E_TRAILING,
	ISAKMP_E_CONTENT,	/* a payload's own fields are invalid */
};
const char *isakmp_strerror(enum isakmp_err e);

/* The fixed header.  dgram_len is the datagram's length (must equal hdr.len). */
enum isakmp_err isakmp_parse_hdr(const uint8_t *buf, size_t len, struct isakmp_hdr *h);
/*
 * Walks the payload chain of a body (after the header) starting at first_np.
 * allow_pad: the body was decrypted and may end in up to ISAKMP_MAX_PAD bytes
 * of padding; otherwise trailing bytes are an error.  Every payload's own
 * structure is validated.
 */
enum isakmp_err isakmp_parse_payloads(uint8_t first_np, const uint8_t *body, size_t len,
				      bool allow_pad, struct isakmp_msg *m);
/* Header + payloads of an unencrypted message. */
enum isakmp_err isakmp_decode(const uint8_t *buf, size_t len, struct isakmp_msg *m);

/* Per-payload decoders (bodies without the generic header). sa may be NULL: validate only. */
enum isakmp_err isakmp_parse_sa(const uint8_t *body, size_t len, struct isakmp_sa *sa);
enum isakmp_err isakmp_parse_id(const uint8_t *body, size_t len, struct isakmp_id *id);
enum isakmp_err isakmp_parse_notify(const uint8_t *body, size_t len, struct isakmp_notify *n);
enum isakmp_err isakmp_parse_delete(const uint8_t *body, size_t len, struct isakmp_delete *d);

/* First payload of a type in m, or NULL; count of payloads of a type. */
const struct isakmp_pl *isakmp_find(const struct isakmp_msg *m, uint8_t type);
size_t isakmp_count(const struct isakmp_msg *m, uint8_t type);
/* Attribute lookup in a transform. */
const struct isakmp_attr *isakmp_attr_find(const struct isakmp_transform *t, uint16_t type);

/* Writer: a header, then payloads chained by patching next-payload fields. */
struct isakmp_wr {
	struct wbuf_wr w;
	size_t np_off;		/* the next-payload byte to patch for the next payload */
};
void isakmp_wr_init(struct isakmp_wr *e, uint8_t *buf, size_t cap, const struct isakmp_hdr *h);
/* Starts a payload; returns its offset for isakmp_wr_end. */
size_t isakmp_wr_begin(struct isakmp_wr *e, uint8_t type);
void isakmp_wr_end(struct isakmp_wr *e, size_t start);
/* Sets the header's length; returns the message length or -1 on overflow. */
int isakmp_wr_finish(struct isakmp_wr *e);

void isakmp_put_raw(struct isakmp_wr *e, uint8_t type, const void *data, size_t len);
void isakmp_put_sa(struct isakmp_wr *e, const struct isakmp_sa *sa);
void isakmp_put_id(struct isakmp_wr *e, const struct isakmp_id *id);
void isakmp_put_notify(struct isakmp_wr *e, const struct isakmp_notify *n);
void isakmp_put_delete(struct isakmp_wr *e, const struct isakmp_delete *d);
/* Writes the SA body alone (what HASH_I covers as SAi_b). Returns its length or -1. */
int isakmp_encode_sa_body(const struct isakmp_sa *sa, uint8_t *buf, size_t cap);

/* Known vendor IDs. */
extern const uint8_t isakmp_vid_dpd[16];	/* RFC 3706 */
extern const uint8_t isakmp_vid_rfc3947[16];	/* NAT-T (RFC 3947) */
extern const uint8_t isakmp_vid_natt_02[16];	/* draft-ietf-ipsec-nat-t-ike-02 */
extern const uint8_t isakmp_vid_natt_02n[16];	/* ...-02\n */
extern const uint8_t isakmp_vid_natt_03[16];	/* ...-03 */

#endif
