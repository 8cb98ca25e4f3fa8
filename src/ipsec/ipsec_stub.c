/* Placeholder until src/ipsec lands; deleted by the IPsec work. */
#include "core/pkt.h"
#include "ipsec/ipsec.h"

int ipsec_init(struct router *r) { (void)r; return 0; }
void ipsec_free(struct router *r) { (void)r; }
void ipsec_config_changed(struct router *r) { (void)r; }
void ipsec_input(struct router *r, struct pkt *p) { (void)r; pkt_free(p); }
void ipsec_input_udp(struct router *r, struct pkt *p, uint32_t s, uint16_t sp, uint32_t d) { (void)r; (void)s; (void)sp; (void)d; pkt_free(p); }
enum ipsec_verdict ipsec_egress(struct router *r, struct iface *o, struct pkt *p, uint32_t nh) { (void)r; (void)o; (void)p; (void)nh; return IPSEC_PASS; }
bool ipsec_ingress_check(struct router *r, struct iface *i, struct pkt *p) { (void)r; (void)i; (void)p; return true; }

#include "ipsec/sadb.h"
bool sadb_has_outbound_spi(struct router *r, uint32_t peer, uint8_t p, uint32_t spi) { (void)r; (void)peer; (void)p; (void)spi; return false; }
int sadb_delete_outbound_spi(struct router *r, uint32_t peer, uint8_t p, uint32_t spi, enum sadb_del_reason why) { (void)r; (void)peer; (void)p; (void)spi; (void)why; return 0; }
