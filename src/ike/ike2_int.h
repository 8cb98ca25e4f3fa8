/* The IKEv2 glue's private state, shared by ike2_glue.c and ike2_show.c. */
#ifndef SPIGOT_IKE2_INT_H
#define SPIGOT_IKE2_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/evloop.h"
#include "core/log.h"
#include "ike/ike2_glue.h"
#include "ikev2/ikev2_sa.h"

/* One record per engine SA: what the engine keeps no note of (see ike2_glue.c). */
struct ike2_track {
	struct ike2_track *next;
	struct ikev2_sa *sa;
	uint32_t id;			/* IOS's Tunnel-id */
	uint64_t created_ms, ready_ms;
	bool was_ready;
	/* Our outstanding request, as last seen: a new one restarts the schedule. */
	bool rtx_on;
	const uint8_t *rtx_buf;
	uint32_t rtx_msgid;
	int tries;
	uint32_t rtx_ms;
	uint64_t rtx_at;
	/* An SA we started for a flow the data plane holds packets for. */
	bool has_flow;
	char cmap[CFG_NAME_MAX];
	int seq;
	struct ipsec_flow flow;
	bool installed;			/* its first Child SA went to the SADB */
	bool rekey_started;		/* IKE SA rekey asked for (lifetime) */
	/* DPD (profile `dpd INTERVAL RETRY`): when we last heard from the peer. */
	uint64_t heard_ms;
	uint32_t seen_req_in, seen_req_out;
	bool dpd_probe;			/* the outstanding request is our liveness check */
	bool expired;			/* its hard lifetime ran out: Delete asked for */
	uint64_t last_tx_ms;		/* NAT keepalives: when we last sent to the peer */
};

/* A Child SA we asked an IKE SA for (CREATE_CHILD_SA), for a flow whose packets wait. */
#define IKE2_MAX_CHILD_WAIT 16
#define IKE2_CHILD_WAIT_MS 60000
struct ike2_child_wait {
	bool used;
	struct ikev2_sa *sa;
	char cmap[CFG_NAME_MAX];
	int seq;
	struct ipsec_flow flow;
	uint64_t since;
};

struct ike2_glue {
	struct ike_state *ike;
	struct ikev2_host host;
	struct ikev2_engine eng;
	struct ike2_track *tracks;
	uint32_t next_id;
	struct ev_timer tick;
	uint32_t rtx_base_ms, half_open_ms;
	int rtx_tries;
	ike2_entry_fn entry_for_peer;
	ike2_build_fn build;
	bool all_entries;
	/* Set while ikev2_initiate runs: the conf callback is for this flow. */
	const struct cfg_cmap_entry *init_entry;
	const struct ipsec_flow *init_flow;
	struct ike2_child_wait wait[IKE2_MAX_CHILD_WAIT];
	struct ike2_stats st;
	struct log_rl rl;
	struct ike2_qcd *qcd;		/* Quick Crash Detection (ike2_qcd.c) */
	struct log_rl rl_moved, rl_ignored;	/* NAT-T: the peer's port followed / not followed */
	/* COOKIE under load (ike2_cookie.c). */
	uint64_t cookie_rotate_at, cookie_rotations, cookie_onsets;
	bool cookie_active;
	struct log_rl cookie_rl;
	/* INVALID_MAJOR_VERSION answers in the current second (ike2_version.c). */
	uint64_t bad_major_window;
	uint32_t bad_major_in_window;
};

uint64_t ike2_now(const struct ike2_glue *g);
/* ike2_glue.c helpers ike2_child.c uses. */
struct ike2_track *ike2_track_of(struct ike2_glue *g, const struct ikev2_sa *sa);
struct ike2_track *ike2_track_new(struct ike2_glue *g, struct ikev2_sa *sa);
void ike2_drop(struct ike2_glue *g, uint64_t *counter, uint32_t peer, const char *why);
const struct cfg_cmap_entry *ike2_entry_for_peer(struct ike2_glue *g, uint32_t peer);
void ike2_schedule(struct ike2_glue *g);
/* After every call into the engine: records follow its SAs, schedules re-armed. */
void ike2_sync(struct ike2_glue *g);
/* ike2_child.c: selectors, and the engine's Child SA / IKE SA callbacks. */
/* The triggering packet of a flow (its first held packet) as selectors (§2.9); false: none. */
bool ike2_pkt_selectors(struct router *r, const struct ipsec_flow *flow, struct ikev2_range *local,
			struct ikev2_range *remote);
struct ikev2_range ike2_range_of(uint32_t addr, uint32_t mask, uint8_t proto, uint16_t port);
bool ike2_flow_of(const struct ikev2_child *c, struct ipsec_flow *f);
void ike2_h_child_up(void *arg, struct ikev2_sa *sa, const struct ikev2_child *c);
void ike2_h_child_down(void *arg, struct ikev2_sa *sa, uint32_t spi_in, uint32_t spi_out);
void ike2_h_ike_down(void *arg, struct ikev2_sa *sa);
void ike2_h_ike_rekeyed(void *arg, struct ikev2_sa *old_sa, struct ikev2_sa *new_sa);
/* ike2_natt.c: IKEv2 over UDP 4500, ESP in UDP, NAT keepalives (RFC 7296 §2.23, RFC 3948). */
int ike2_h_send_port(void *arg, uint32_t local, uint16_t lport, uint32_t peer, uint16_t pport,
		     const uint8_t *msg, size_t len);
void ike2_h_peer_moved(void *arg, struct ikev2_sa *sa);
/* Logs (rate-limited) a datagram from a new peer port the engine did not follow (counted there). */
void ike2_natt_rx_ignored(struct ike2_glue *g, uint64_t before, uint32_t src, uint16_t sport);
/* When t's next NAT keepalive is due (UINT64_MAX: none), and sending it. */
uint64_t ike2_natka_at(const struct ike2_glue *g, const struct ike2_track *t);
void ike2_natka(struct ike2_glue *g, struct ike2_track *t, uint64_t now);

/* The IKE SA lifetime of t's profile in seconds (IOS's default 86400). */
uint32_t ike2_life_sec(const struct ike2_glue *g, const struct ike2_track *t);
/* t's profile (NULL: none, as with the test hooks). */
const struct cfg_ikev2_profile *ike2_profile(const struct ike2_glue *g, const struct ike2_track *t);

#endif
