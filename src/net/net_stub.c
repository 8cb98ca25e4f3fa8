/* Placeholder until src/net lands; deleted by the net work. */
#include "core/pkt.h"
#include "net/net.h"
#include "router.h"

int net_init(struct router *r) { (void)r; return 0; }
void net_free(struct router *r) { (void)r; }
int net_start(struct router *r) { (void)r; return 0; }
void net_config_changed(struct router *r) { (void)r; }
void ipv4_input(struct router *r, struct pkt *p) { (void)r; pkt_free(p); }
int ip_output(struct router *r, struct pkt *p, bool no_crypto) { (void)r; (void)no_crypto; pkt_free(p); return -1; }
int ip_output_iface(struct router *r, struct iface *ifp, struct pkt *p, uint32_t nh) { (void)r; (void)ifp; (void)nh; pkt_free(p); return -1; }
struct iface *route_lookup(struct router *r, uint32_t dst, uint32_t *nh) { (void)r; (void)dst; (void)nh; return NULL; }
void icmp_send_error(struct router *r, const struct pkt *o, uint8_t t, uint8_t c, uint32_t i) { (void)r; (void)o; (void)t; (void)c; (void)i; }
int udp_bind(struct router *r, uint16_t port, udp_rx_fn fn, void *arg) { (void)r; (void)port; (void)fn; (void)arg; return 0; }
int udp_send(struct router *r, uint32_t s, uint16_t sp, uint32_t d, uint16_t dp, const uint8_t *b, size_t n) { (void)r; (void)s; (void)sp; (void)d; (void)dp; (void)b; (void)n; return -1; }
const char *iface_status(const struct iface *ifp) { return ifp->admin_up ? "up" : "administratively down"; }
const char *iface_protocol(const struct iface *ifp) { return ifp->port && ifp->admin_up ? "up" : "down"; }
bool iface_is_up(const struct iface *ifp) { return ifp->port && ifp->admin_up; }
