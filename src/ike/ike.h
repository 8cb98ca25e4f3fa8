/* IKEv1 control plane entry points. */
#ifndef SPIGOT_IKE_H
#define SPIGOT_IKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct router;

int ike_init(struct router *r);
void ike_free(struct router *r);
int ike_start(struct router *r);		/* binds UDP 500 and 4500 */
void ike_config_changed(struct router *r);

/*
 * Sends Notify INVALID-SPI for (proto, spi) to peer over an established
 * IKE SA.  Returns true when sent; false when no IKE SA with peer is up.
 */
bool ike_send_invalid_spi(struct router *r, uint32_t local, uint32_t peer, uint8_t ipproto,
			  uint32_t spi);
/* The crypto map speaks IKEv2 (`set ikev2-profile`) to peer. */
bool ike_peer_is_v2(struct router *r, uint32_t peer);
/* True when an established (QM_IDLE) IKE SA with peer exists. */
bool ike_sa_up(struct router *r, uint32_t peer);
/*
 * Starts Main Mode toward peer (if none is up or under way) and runs fn
 * when it reaches QM_IDLE (or with ok=false when it fails).  Toward an
 * IKEv2 peer: IKE_SA_INIT + IKE_AUTH, fn when the IKE SA is READY.
 */
typedef void (*ike_ready_fn)(struct router *r, uint32_t peer, bool ok, void *arg);
int ike_initiate_phase1(struct router *r, uint32_t peer, ike_ready_fn fn, void *arg);

/*
 * Quick Mode for one crypto-map flow (an ACL permit line) toward peer over
 * the established IKE SA, without a packet to trigger it (phase2.c).
 * Returns 1 when started, 0 when one for that flow is already under way,
 * -1 when no IKE SA with peer is up or the entry is gone.
 */
struct ipsec_flow;
int ike_phase2_start(struct router *r, uint32_t peer, const char *cmap, int seq,
		     const struct ipsec_flow *flow);
/* True while a Quick Mode we initiated for flow toward peer is under way. */
bool ike_phase2_busy(struct router *r, uint32_t peer, const struct ipsec_flow *flow);
/* True while a Main Mode we initiated toward peer is under way. */
bool ike_sa_negotiating_with(struct router *r, uint32_t peer);
/* Forget that peer was ever contacted: the next Main Mode carries INITIAL-CONTACT. */
void ike_forget_contact(struct router *r, uint32_t peer);


/*
 * Additions for tests and the UDP glue.  IKE datagrams arrive through
 * ike_input_datagram (udp_bind's handler calls it) and leave through the
 * xmit hook, udp_send unless a test replaces it to carry datagrams between
 * two routers in one process.
 */
void ike_input_datagram(struct router *r, uint32_t src, uint16_t sport, uint32_t dst,
			uint16_t dport, const uint8_t *data, size_t len);
void ike_set_xmit(struct router *r,
		  int (*xmit)(struct router *r, uint32_t src, uint16_t sport, uint32_t dst,
			      uint16_t dport, const uint8_t *data, size_t len));
/* Retransmit base and tries (IOS: about 2 s, 5 tries). */
void ike_set_retransmit(struct router *r, uint32_t base_ms, int tries);
/* Test aid: every IKEv2 IKE SA lives ms (rekeyed at 90/95 %), whatever its profile says. */
void ike_set_test_v2_life(struct router *r, uint32_t ms);

#endif
