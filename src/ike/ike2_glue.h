/*
 * The IKEv2 engine (src/ikev2) on the router: one engine per router, hung
 * off the IKE module's state.  IKE datagrams whose version byte says 2.0
 * go to it; it sends through the IKE module's xmit hook (UDP 500), takes
 * inbound SPIs from the SADB, and installs its Child SAs as Quick Mode
 * does (ike_install_bundle).  Crypto-map entries with `set ikev2-profile`
 * start IKEv2 instead of Main Mode when the data plane acquires.
 * Retransmission (RFC 7296 §2.1, IOS's pace: 2 s doubling, 5 tries),
 * half-open timeouts and reaping run from one timer.
 */
#ifndef SPIGOT_IKE2_GLUE_H
#define SPIGOT_IKE2_GLUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "ipsec/sadb.h"

struct router;
struct ike_state;
struct ikev2_engine;
struct ikev2_peer_conf;
struct strbuf;

/* A responder IKE SA without a valid IKE_AUTH goes after this. */
#define IKE2_HALF_OPEN_MS 10000
/* The COOKIE secret is replaced this often (RFC 7296 §2.6); the one before stays valid as long. */
#define IKE2_COOKIE_ROTATE_MS 60000
/* INVALID_MAJOR_VERSION answers (RFC 7296 §1.5) to unauthenticated requests: at most this many a second. */
#define IKE2_BAD_MAJOR_PER_SEC 10

/* Drops and events of the glue (the engine counts its own). */
struct ike2_stats {
	uint64_t rx, on_4500, rtx, rtx_exhausted, half_open_expired, no_conf;
	uint64_t acquires, acquire_dup, initiate_fail, install_ok, install_fail, bad_ts;
	uint64_t spi_released, send_fail, v1_refused;
	uint64_t child_down, child_create, child_rekey, delete_tx, invalid_spi_tx, ike_down, wait_full, ike_rekey;
	uint64_t dpd_tx, dpd_dead;
	uint64_t initial_contact_deleted;	/* other IKE SAs ended by the peer's INITIAL_CONTACT */
	uint64_t unsolicited;			/* IKE SAs opened without traffic (recovery, contact on start) */
	uint64_t natka_tx;			/* NAT keepalives sent */
	uint64_t bad_major, bad_major_answered, bad_major_limited;	/* ike2_version.c */
};

int ike2_init(struct ike_state *ike);
void ike2_free(struct ike_state *ike);
/* True when an IKE datagram (after any non-ESP marker) is IKEv2. */
bool ike2_is_v2(const uint8_t *data, size_t len);
void ike2_input(struct ike_state *ike, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
		const uint8_t *data, size_t len);
/* Whether the entry negotiates with IKEv2. */
bool ike2_entry_wants(const struct ike_state *ike, const struct cfg_cmap_entry *e);
/* rekey_of: the bundle whose soft lifetime ran out (0: traffic without an SA). */
void ike2_acquire(struct ike_state *ike, const struct cfg_cmap_entry *e, const struct ipsec_flow *flow,
		  uint32_t local, uint32_t peer, int rekey_of);
/*
 * A bundle with inbound ESP SPI esp_spi_in toward peer left the SADB (km
 * deleted hook): deleted here (clear, expiry, config), the peer is told
 * with an INFORMATIONAL Delete.
 */
void ike2_child_deleted(struct ike_state *ike, uint32_t peer, uint32_t esp_spi_in, enum sadb_del_reason why);
/* Sends INVALID_SPI for (ipproto 50/51, spi) over a READY IKEv2 SA with peer; false if none. */
bool ike2_send_invalid_spi(struct ike_state *ike, uint32_t peer, uint8_t ipproto, uint32_t spi);
/* The crypto map talks to peer with IKEv2: IKEv1 must not be started toward it. */
bool ike2_peer_is_v2(const struct ike_state *ike, uint32_t peer);
/* Counts (and logs) a Main Mode refused for an IKEv2 peer. */
void ike2_refused_v1(struct ike_state *ike, uint32_t peer);
/*
 * The phase-2 restore (src/recovery) over IKEv2: CREATE_CHILD_SA for flow on
 * the READY IKE SA with peer.  1 started, 0 one is under way, -1 no IKE SA.
 */
int ike2_phase2_start(struct ike_state *ike, const struct cfg_cmap_entry *e, const struct ipsec_flow *flow,
		      uint32_t peer);
/* A CREATE_CHILD_SA we started for flow toward peer is waiting for its answer. */
bool ike2_child_busy(struct ike_state *ike, uint32_t peer, const struct ipsec_flow *flow);
/*
 * ike2_recover.c: an IKE SA toward peer for Invalid SPI Recovery or contact on
 * start (ike_initiate_phase1), carrying the first flow of its map entry.
 * 0 started or one is up / under way, -1 not possible.
 */
int ike2_initiate_peer(struct ike_state *ike, uint32_t peer);
/* An IKE SA we initiated with peer is still negotiating. */
bool ike2_negotiating_with(const struct ike_state *ike, uint32_t peer);
/* A READY IKEv2 SA with peer exists. */
bool ike2_sa_up(const struct ike_state *ike, uint32_t peer);

/* show / clear (ike2_show.c uses these). */
void ike2_show_sa(struct router *r, struct strbuf *out, bool detail);
void ike2_show_stats(struct router *r, struct strbuf *out);
int ike2_clear(struct router *r, uint32_t peer);	/* 0 = all; returns how many */

/*
 * Where an IKEv2 peer's configuration comes from: the profile builder of
 * src/ikev2/ikev2_conf.c by default; tests may fill one by hand.
 */
typedef const struct cfg_cmap_entry *(*ike2_entry_fn)(const struct config *cfg, uint32_t peer);
typedef bool (*ike2_build_fn)(const struct config *cfg, const struct cfg_cmap_entry *e, uint32_t local,
			      uint32_t peer, struct ikev2_peer_conf *out);
void ike2_set_conf(struct router *r, ike2_entry_fn entry, ike2_build_fn build);
/* Tests: every ipsec-isakmp entry speaks IKEv2 (before profiles exist). */
void ike2_set_all_entries(struct router *r, bool on);
void ike2_set_timers(struct router *r, uint32_t rtx_base_ms, int rtx_tries, uint32_t half_open_ms);
struct ikev2_engine *ike2_engine(struct router *r);
const struct ike2_stats *ike2_stats(struct router *r);

#endif
