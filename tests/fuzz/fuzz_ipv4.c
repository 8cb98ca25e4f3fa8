/*
 * Arbitrary bytes into the IPv4 input of an in-process router with two
 * mem ports (one point-to-point, one Ethernet with ARP) and a static route:
 * validation, forwarding, local delivery, ICMP, UDP, ARP and reassembly.
 * The first byte picks the port and how far to move the virtual clock.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/evloop.h"
#include "net/net.h"
#include "net/port_mem.h"
#include "router.h"

static void sink(void *arg, struct iface *ifp, const uint8_t *frame, size_t len)
{
	(void)arg, (void)ifp, (void)frame, (void)len;
}

static void udp_rx(void *arg, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
		   const uint8_t *data, size_t len)
{
	struct router *r = arg;
	(void)dst;
	/* Echo back, so that our own output path runs on fuzzed addresses too. */
	udp_send(r, 0, dport, src, sport, data, len > 64 ? 64 : len);
}

static struct router *make_router(void)
{
	struct evloop *ev = ev_new();
	ev_set_virtual(ev, 1000);
	struct config *cfg = config_new();
	cfg->ifaces = calloc(2, sizeof(*cfg->ifaces));
	cfg->niface = 2;
	strcpy(cfg->ifaces[0].name, "FastEthernet0/0");
	cfg->ifaces[0].has_addr = true;
	cfg->ifaces[0].addr = 0x0a010101;	/* 10.1.1.1/24 */
	cfg->ifaces[0].mask = 0xffffff00;
	strcpy(cfg->ifaces[1].name, "FastEthernet0/1");
	cfg->ifaces[1].has_addr = true;
	cfg->ifaces[1].addr = 0x0a000001;	/* 10.0.0.1/24 */
	cfg->ifaces[1].mask = 0xffffff00;
	cfg->ifaces[1].mtu = 576;
	cfg->routes = calloc(1, sizeof(*cfg->routes));
	cfg->nroute = 1;
	cfg->routes[0] = (struct cfg_route){ 0, 0, 0x0a010102, "", 1 };	/* default via 10.1.1.2 */
	struct router *r = router_new(ev, cfg);
	router_bind_port(r, "FastEthernet0/0", "mem:");
	router_bind_port(r, "FastEthernet0/1", "mem:eth");
	if (router_start(r) < 0)
		abort();
	mem_port_set_sink(&r->ifaces[0], sink, NULL);
	mem_port_set_sink(&r->ifaces[1], sink, NULL);
	udp_bind(r, 500, udp_rx, r);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct router *r;
	if (!r)
		r = make_router();
	if (size < 1)
		return 0;
	uint8_t ctl = data[0];
	struct iface *ifp = &r->ifaces[ctl & 1];
	mem_port_inject(ifp, data + 1, size - 1);
	if (ctl & 0x80)
		ev_advance(r->ev, (uint64_t)(ctl & 0x7e) * 1000);
	return 0;
}
