/* Placeholder until src/recovery lands. */
#include "recovery/recovery.h"

int recovery_init(struct router *r) { (void)r; return 0; }
void recovery_free(struct router *r) { (void)r; }
void recovery_invalid_spi(struct router *r, uint32_t s, uint32_t d, uint8_t p, uint32_t spi, bool u) { (void)r; (void)s; (void)d; (void)p; (void)spi; (void)u; }
void recovery_notify_received(struct router *r, uint32_t peer, uint8_t p, uint32_t spi) { (void)r; (void)peer; (void)p; (void)spi; }
