#include "test_ipv4_helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/wbuf.h"
#include "net/inet.h"
#include "net/port_mem.h"

struct router *tr_new(struct evloop *ev, const char *host, const struct tr_if *ifs, int n,
		      const struct cfg_route *routes, int nroute)
{
	struct config *cfg = config_new();
	snprintf(cfg->hostname, sizeof(cfg->hostname), "%s", host);
	cfg->ifaces = calloc((size_t)n, sizeof(*cfg->ifaces));
	cfg->niface = (size_t)n;
	for (int i = 0; i < n; i++) {
		struct cfg_iface *ci = &cfg->ifaces[i];
		snprintf(ci->name, sizeof(ci->name), "%s", ifs[i].name);
		ci->has_addr = ifs[i].addr != 0;
		ci->addr = ifs[i].addr;
		ci->mask = ifs[i].mask;
		ci->shutdown = ifs[i].shutdown;
		ci->mtu = ifs[i].mtu;
	}
	if (nroute) {
		cfg->routes = calloc((size_t)nroute, sizeof(*cfg->routes));
		memcpy(cfg->routes, routes, (size_t)nroute * sizeof(*routes));
		cfg->nroute = (size_t)nroute;
	}
	struct router *r = router_new(ev, cfg);
	if (!r)
		return NULL;
	for (int i = 0; i < n; i++)
		if (ifs[i].spec)
			router_bind_port(r, ifs[i].name, ifs[i].spec);
	if (router_start(r) < 0) {
		tr_free(r);
		return NULL;
	}
	return r;
}

void tr_free(struct router *r)
{
	if (!r)
		return;
	/* The arrays are ours: detach them so any config_free (stub or real) is safe. */
	struct config *cfg = r->cfg;
	free(cfg->ifaces);
	free(cfg->routes);
	cfg->ifaces = NULL;
	cfg->niface = 0;
	cfg->routes = NULL;
	cfg->nroute = 0;
	router_free(r);
}

static void cap_sink(void *arg, struct iface *ifp, const uint8_t *frame, size_t len)
{
	struct capture *c = arg;
	(void)ifp;
	if (c->n == CAP_MAX)
		return;
	c->frame[c->n] = malloc(len);
	memcpy(c->frame[c->n], frame, len);
	c->len[c->n++] = len;
}

void cap_attach(struct capture *c, struct iface *ifp)
{
	memset(c, 0, sizeof(*c));
	mem_port_set_sink(ifp, cap_sink, c);
}

void cap_reset(struct capture *c)
{
	for (int i = 0; i < c->n; i++)
		free(c->frame[i]);
	c->n = 0;
}

size_t tr_ip(uint8_t *b, uint32_t src, uint32_t dst, uint8_t proto, uint8_t ttl, uint16_t id,
	     uint16_t off, const void *payload, size_t plen)
{
	b[0] = 0x45;
	b[1] = 0;
	wbuf_st16(b + 2, (uint16_t)(20 + plen));
	wbuf_st16(b + 4, id);
	wbuf_st16(b + 6, off);
	b[8] = ttl;
	b[9] = proto;
	wbuf_st16(b + 10, 0);
	wbuf_st32(b + 12, src);
	wbuf_st32(b + 16, dst);
	wbuf_st16(b + 10, inet_cksum(b, 20));
	if (plen)
		memmove(b + 20, payload, plen);
	return 20 + plen;
}

size_t tr_echo(uint8_t *buf, uint32_t src, uint32_t dst, uint16_t id, uint16_t seq, size_t plen)
{
	static uint8_t icmp[20000];
	icmp[0] = 8;
	icmp[1] = 0;
	wbuf_st16(icmp + 2, 0);
	wbuf_st16(icmp + 4, id);
	wbuf_st16(icmp + 6, seq);
	for (size_t i = 0; i < plen; i++)
		icmp[8 + i] = (uint8_t)i;
	wbuf_st16(icmp + 2, inet_cksum(icmp, 8 + plen));
	return tr_ip(buf, src, dst, 1, 64, 0x1234, 0, icmp, 8 + plen);
}

size_t tr_udp(uint8_t *buf, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
	      const void *data, size_t len)
{
	static uint8_t u[9000];
	uint16_t ulen = (uint16_t)(8 + len);
	wbuf_st16(u, sport);
	wbuf_st16(u + 2, dport);
	wbuf_st16(u + 4, ulen);
	wbuf_st16(u + 6, 0);
	memcpy(u + 8, data, len);
	uint16_t s = inet_fold(inet_sum(u, ulen, inet_pseudo_sum(src, dst, 17, ulen)));
	wbuf_st16(u + 6, s ? s : 0xffff);
	return tr_ip(buf, src, dst, 17, 64, 0x4321, 0, u, ulen);
}

void tr_inject(struct iface *ifp, const uint8_t *pkt, size_t len)
{
	mem_port_inject(ifp, pkt, len);
}
