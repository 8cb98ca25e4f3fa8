/*
 * The Security Association Database: the contract between the data plane
 * (src/ipsec, which owns it) and the key managers (manual keys in
 * src/ipsec/manual.c, IKE in src/ike).
 *
 * SAs come in bundles: one negotiation (one Quick Mode, or one manual crypto
 * map entry) yields an inbound and an outbound bundle, each with an optional
 * AH SA and an optional ESP SA, for one protected flow (an ACL permit line
 * of a crypto map entry).  Outbound: ESP first, AH outermost.  Inbound: AH
 * first.
 */
#ifndef SPIGOT_SADB_H
#define SPIGOT_SADB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

struct router;
struct pkt;

#define SADB_KEY_MAX 64

/* Traffic selectors of a flow, as IKE's proxy identities carry them. */
struct ipsec_flow {
	uint32_t local, local_mask;	/* host byte order */
	uint32_t remote, remote_mask;
	uint8_t proto;			/* 0 = any */
	uint16_t local_port, remote_port;	/* 0 = any */
};

/*
 * The one comparison of flows.  Field by field: the byte after `proto` is
 * padding, and a memcmp would read whatever the allocator left there (two
 * equal flows then look different, and a flow is negotiated twice).
 */
static inline bool ipsec_flow_eq(const struct ipsec_flow *a, const struct ipsec_flow *b)
{
	return a->local == b->local && a->local_mask == b->local_mask && a->remote == b->remote &&
	       a->remote_mask == b->remote_mask && a->proto == b->proto &&
	       a->local_port == b->local_port && a->remote_port == b->remote_port;
}

/* Keys for one SA in one direction. */
struct sadb_sa_keys {
	uint32_t spi;				/* host byte order */
	uint8_t enc_key[SADB_KEY_MAX];		/* for GCM: key || 4-byte salt */
	size_t enc_key_len;
	uint8_t auth_key[SADB_KEY_MAX];
	size_t auth_key_len;
};

/* What a key manager hands the SADB to create one SA pair bundle. */
struct sadb_bundle_spec {
	const char *cmap_name;
	int cmap_seq;
	struct ipsec_flow flow;
	uint32_t local_addr, peer_addr;		/* tunnel endpoints */
	uint16_t peer_port;			/* 500, or 4500 when UDP-encapsulated */
	bool udp_encap;				/* ESP in UDP 4500 (RFC 3948) */
	struct cfg_transform_set xf;		/* what was negotiated */
	bool has_ah, has_esp;
	struct sadb_sa_keys ah_in, ah_out, esp_in, esp_out;
	uint32_t life_sec, life_kb;		/* negotiated */
	bool manual;				/* manual keys never expire or rekey */
	uint32_t ike_conn_id;			/* the IKE SA that made it, 0 for manual */
};

/* Reasons a bundle goes away, for logs and for IKE's Delete decisions. */
enum sadb_del_reason {
	SADB_DEL_CLEAR = 1,	/* clear crypto sa */
	SADB_DEL_EXPIRED,	/* hard lifetime */
	SADB_DEL_PEER_DELETE,	/* peer sent Delete */
	SADB_DEL_INVALID_SPI,	/* peer sent INVALID-SPI for it */
	SADB_DEL_REPLACED,	/* rekeyed: the new bundle took over */
	SADB_DEL_CONFIG,	/* crypto map changed */
	SADB_DEL_DPD,		/* peer declared dead */
	SADB_DEL_INITIAL_CONTACT,
	/* Lost without the peer being told (the `test crypto ipsec lose-sas`
	 * aid that reproduces a peer's reboot for recovery tests): the key
	 * manager is not called, so no Delete goes out. */
	SADB_DEL_LOST,
};

/*
 * A random SPI that is unique among our inbound SAs for proto (50/51) and
 * never in 0-255; reserved until installed or released.
 */
uint32_t sadb_alloc_spi(struct router *r, uint8_t ipproto);
void sadb_release_spi(struct router *r, uint8_t ipproto, uint32_t spi);

/* Installs a bundle; returns its id (> 0) or -1 (logged). Packets held for
 * the flow are sent on the new SAs. */
int sadb_install(struct router *r, const struct sadb_bundle_spec *spec);

/* Deletes by inbound SPI, or by outbound SPI toward peer; the whole bundle
 * (both directions) goes.  Returns how many bundles were deleted. */
int sadb_delete_inbound_spi(struct router *r, uint8_t ipproto, uint32_t spi,
			    enum sadb_del_reason why);
int sadb_delete_outbound_spi(struct router *r, uint32_t peer, uint8_t ipproto, uint32_t spi,
			     enum sadb_del_reason why);
int sadb_delete_peer(struct router *r, uint32_t peer, enum sadb_del_reason why);
int sadb_delete_all(struct router *r, enum sadb_del_reason why);

/* UDP-encapsulated bundles toward peer now send to its UDP port `port` (NAT rebinding); how many moved. */
int sadb_set_peer_port(struct router *r, uint32_t peer, uint16_t port);

/* Whether we have an outbound SA with this SPI toward peer. */
bool sadb_has_outbound_spi(struct router *r, uint32_t peer, uint8_t ipproto, uint32_t spi);

/*
 * Key manager hooks, set by IKE at init.  The data plane calls them; each may
 * be NULL (manual keying only).
 */
struct sadb_km_ops {
	/* Traffic for an ipsec-isakmp entry has no SA: start negotiating. */
	void (*acquire)(struct router *r, const struct cfg_cmap_entry *entry,
			const struct ipsec_flow *flow, uint32_t local_addr, uint32_t peer);
	/* Soft lifetime reached on an outbound bundle: rekey it. */
	void (*soft_expire)(struct router *r, int bundle_id);
	/* A bundle was deleted locally (clear, expiry): tell the peer (Delete). */
	void (*deleted)(struct router *r, uint32_t local, uint32_t peer, uint16_t peer_port,
			bool has_ah, uint32_t ah_spi_in, bool has_esp, uint32_t esp_spi_in,
			enum sadb_del_reason why);
	/* Whether the peer has an IKE SA up (for show crypto session). */
	bool (*peer_up)(struct router *r, uint32_t peer);
};
void sadb_set_km(struct router *r, const struct sadb_km_ops *ops);

#endif
