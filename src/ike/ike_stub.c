/* Placeholder until src/ike lands; deleted by the IKE work. */
#include "ike/ike.h"

int ike_init(struct router *r) { (void)r; return 0; }
void ike_free(struct router *r) { (void)r; }
int ike_start(struct router *r) { (void)r; return 0; }
void ike_config_changed(struct router *r) { (void)r; }
bool ike_send_invalid_spi(struct router *r, uint32_t l, uint32_t p, uint8_t pr, uint32_t s) { (void)r; (void)l; (void)p; (void)pr; (void)s; return false; }
bool ike_sa_up(struct router *r, uint32_t p) { (void)r; (void)p; return false; }
int ike_initiate_phase1(struct router *r, uint32_t p, ike_ready_fn fn, void *arg) { (void)r; (void)p; (void)fn; (void)arg; return -1; }
