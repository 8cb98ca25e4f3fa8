/*
 * The routing table: connected and local routes from up interfaces, static
 * routes from the config with their next hops resolved recursively to a
 * connected interface.  It is rebuilt whole on any change (rare and small)
 * and looked up per packet: for each prefix length present, longest first,
 * a binary search over that length's sorted prefixes.
 */
#include <stdlib.h>
#include <string.h>

#include "net/fastpath.h"
#include "net/net_priv.h"

#define MAX_RECURSION 8

uint8_t route_mask_len(uint32_t mask)
{
	uint8_t n = 0;
	while (n < 32 && (mask & (0x80000000u >> n)))
		n++;
	return n;
}

static uint32_t len_mask(uint8_t len) { return len ? 0xffffffffu << (32 - len) : 0; }

void route_table_free(struct route_table *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}

static int cmp_route(const void *a, const void *b)
{
	const struct route *x = a, *y = b;
	if (x->plen != y->plen)
		return x->plen > y->plen ? -1 : 1;
	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	/* Best (lowest distance, then connected before static) first among equals. */
	if (x->distance != y->distance)
		return x->distance < y->distance ? -1 : 1;
	return (int)x->type - (int)y->type;
}

void route_table_index(struct route_table *t)
{
	if (t->n)
		qsort(t->v, t->n, sizeof(t->v[0]), cmp_route);
	memset(t->start, 0, sizeof(t->start));
	memset(t->count, 0, sizeof(t->count));
	for (size_t i = 0; i < t->n; i++) {
		uint8_t l = t->v[i].plen;
		if (t->count[l]++ == 0)
			t->start[l] = (uint32_t)i;
	}
}

const struct route *route_table_lookup(const struct route_table *t, uint32_t dst)
{
	for (int len = 32; len >= 0; len--) {
		if (!t->count[len])
			continue;
		uint32_t key = dst & len_mask((uint8_t)len);
		const struct route *v = t->v + t->start[len];
		size_t lo = 0, hi = t->count[len];
		/* Lower bound, so that among equal prefixes the best (first) one wins. */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (v[mid].prefix < key)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < t->count[len] && v[lo].prefix == key)
			return &v[lo];
	}
	return NULL;
}

static int add(struct route_table *t, const struct route *rt)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 32;
		struct route *v = realloc(t->v, cap * sizeof(*v));
		if (!v)
			return -1;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = *rt;
	return 0;
}

void route_rebuild(struct router *r)
{
	struct route_table *t = &NET(r)->rt;
	fastpath_dirty(r);
	t->n = 0;
	for (int i = 0; i < r->niface; i++) {
		struct iface *ifp = &r->ifaces[i];
		if (!ifp->has_addr || !iface_is_up(ifp))
			continue;
		struct route c = {
			.prefix = ifp->addr & ifp->mask, .mask = ifp->mask,
			.plen = route_mask_len(ifp->mask), .distance = 0, .type = RT_CONNECTED,
			.ifp = ifp,
		};
		add(t, &c);
		struct route l = {
			.prefix = ifp->addr, .mask = 0xffffffffu, .plen = 32, .distance = 0,
			.type = RT_LOCAL, .ifp = ifp,
		};
		add(t, &l);
	}
	route_table_index(t);
	/*
	 * Static routes: resolve each against what is installed so far, in
	 * passes, so a route via a next hop learned through another static
	 * route lands once that one has (bounded like IOS's recursion limit).
	 */
	const struct config *cfg = r->cfg;
	bool *done = cfg->nroute ? calloc(cfg->nroute, sizeof(bool)) : NULL;
	if (cfg->nroute && !done)
		return;
	for (int pass = 0; pass < MAX_RECURSION; pass++) {
		bool added = false;
		for (size_t i = 0; i < cfg->nroute; i++) {
			if (done[i])
				continue;
			const struct cfg_route *cr = &cfg->routes[i];
			struct route s = {
				.prefix = cr->prefix & cr->mask, .mask = cr->mask,
				.plen = route_mask_len(cr->mask),
				.distance = cr->distance ? cr->distance : 1, .type = RT_STATIC,
				.gw = cr->nexthop,
			};
			if (cr->ifname[0]) {
				struct iface *ifp = router_iface(r, cr->ifname);
				if (!ifp || !iface_is_up(ifp))
					continue;
				s.ifp = ifp;
				s.nexthop = cr->nexthop;
			} else {
				const struct route *via = route_table_lookup(t, cr->nexthop);
				/* A next hop that is one of our own addresses is no next hop. */
				if (!via || via->type == RT_LOCAL)
					continue;
				/* A route may not resolve through itself (IOS drops such recursion). */
				if (via->type == RT_STATIC && via->prefix == s.prefix && via->plen == s.plen)
					continue;
				s.ifp = via->ifp;
				s.nexthop = via->nexthop ? via->nexthop : cr->nexthop;
			}
			add(t, &s);
			done[i] = true;
			added = true;
		}
		route_table_index(t);
		if (!added)
			break;
	}
	free(done);
}

struct iface *route_lookup(struct router *r, uint32_t dst, uint32_t *nexthop)
{
	const struct route *rt = route_table_lookup(&NET(r)->rt, dst);
	if (!rt) {
		if (nexthop)
			*nexthop = 0;
		return NULL;
	}
	if (nexthop)
		*nexthop = rt->nexthop ? rt->nexthop : dst;
	return rt->ifp;
}
