/* IKEv1 control plane entry points. */
#ifndef SPIGOT_IKE_H
#define SPIGOT_IKE_H

#include <stdbool.h>
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
/* True when an established (QM_IDLE) IKE SA with peer exists. */
bool ike_sa_up(struct router *r, uint32_t peer);
/*
 * Starts Main Mode toward peer (if none is up or under way) and runs fn
 * when it reaches QM_IDLE (or with ok=false when it fails).
 */
typedef void (*ike_ready_fn)(struct router *r, uint32_t peer, bool ok, void *arg);
int ike_initiate_phase1(struct router *r, uint32_t peer, ike_ready_fn fn, void *arg);

#endif
