/* Invalid SPI Recovery: what to do about a packet with an unknown SPI. */
#ifndef SPIGOT_RECOVERY_H
#define SPIGOT_RECOVERY_H

#include <stdbool.h>
#include <stdint.h>

struct router;

int recovery_init(struct router *r);
void recovery_free(struct router *r);

/*
 * The data plane saw an ESP/AH packet for us with no SA (already counted
 * and logged as %CRYPTO-4-RECVD_PKT_INV_SPI).  ipproto is 50 or 51.
 */
void recovery_invalid_spi(struct router *r, uint32_t src, uint32_t dst, uint8_t ipproto,
			  uint32_t spi, bool udp_encap);

/* IKE received an authenticated INVALID-SPI notify from peer. */
void recovery_notify_received(struct router *r, uint32_t peer, uint8_t ipsec_proto,
			      uint32_t spi);

/* IKE received an INVALID-SPI notify it will not act on (for the counters). */
enum isr_reject {
	ISR_REJECT_UNAUTHENTICATED = 1,	/* not inside an established, verified IKE SA */
	ISR_REJECT_WRONG_PEER,		/* the SA belongs to another peer */
};
void recovery_notify_rejected(struct router *r, uint32_t peer, enum isr_reject why);

/* IKE established an SA with peer that carried our INITIAL-CONTACT: the
 * peer has dropped every SA with us (phase-2 restore brings them back). */
void recovery_contact_made(struct router *r, uint32_t peer, bool initiator);
/* The router started / its config changed (contact-peers-on-start). */
void recovery_start(struct router *r);
void recovery_config_changed(struct router *r);

#endif
