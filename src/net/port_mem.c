/*
 * In-memory ports and links (see port_mem.h).  A link's frames wait in a
 * ring with their delivery time and are delivered from a timer, never from
 * inside the sender's call, so two routers ping-ponging cannot recurse.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net_priv.h"
#include "net/port_mem.h"

#define LINK_RING 4096

struct mem_port {
	mem_sink_fn sink;
	void *sink_arg;
	struct mem_link *link;
	int side;
};

struct inflight {
	struct pkt *p;
	uint64_t due;
	int to;
};

struct mem_link {
	struct port *end[2];
	struct evloop *ev;
	struct mem_link_opts o;
	uint64_t rng;
	struct inflight ring[LINK_RING];
	size_t head, n;
	struct ev_timer timer;
	struct mem_link_stats st;
};

static struct mem_port *mp_of(struct iface *ifp)
{
	if (!ifp || !ifp->port || ifp->port->ops != &port_mem_ops)
		return NULL;
	return ifp->port->priv;
}

static uint32_t rnd(struct mem_link *l)
{
	/* splitmix64: small, seeded, good enough to pick which frames to disturb. */
	uint64_t z = (l->rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (uint32_t)((z ^ (z >> 31)) % 100);
}

static void link_deliver(void *arg)
{
	struct mem_link *l = arg;
	uint64_t now = ev_now(l->ev);
	/* Only what is due now: frames sent by the receivers wait for the next round. */
	size_t todo = l->n;
	while (todo-- && l->n && l->ring[l->head].due <= now) {
		struct inflight f = l->ring[l->head];
		l->head = (l->head + 1) % LINK_RING;
		l->n--;
		struct port *dst = l->end[f.to];
		if (!dst) {
			pkt_free(f.p);
			continue;
		}
		l->st.delivered++;
		struct router *r = dst->ifp->r;
		net_batch_begin(r);
		port_input(dst, f.p);
		net_batch_end(r);
	}
	if (l->n)
		ev_timer_arm(l->ev, &l->timer,
			     l->ring[l->head].due > now ? l->ring[l->head].due - now : 0);
}

static void link_enqueue(struct mem_link *l, struct pkt *p, int to)
{
	if (l->n == LINK_RING) {
		l->st.overflow++;
		pkt_free(p);
		return;
	}
	size_t at = (l->head + l->n) % LINK_RING;
	l->ring[at] = (struct inflight){ p, ev_now(l->ev) + l->o.delay_ms, to };
	l->n++;
	if (l->o.reorder_pct && l->n >= 2 && rnd(l) < l->o.reorder_pct) {
		size_t prev = (at + LINK_RING - 1) % LINK_RING;
		struct pkt *tmp = l->ring[prev].p;
		int tto = l->ring[prev].to;
		l->ring[prev].p = l->ring[at].p;
		l->ring[prev].to = l->ring[at].to;
		l->ring[at].p = tmp;
		l->ring[at].to = tto;
		l->st.reordered++;
	}
	if (!ev_timer_armed(&l->timer))
		ev_timer_arm(l->ev, &l->timer, l->o.delay_ms);
}

static int mem_xmit(struct port *pt, struct pkt *p)
{
	struct mem_port *mp = pt->priv;
	if (mp->sink)
		mp->sink(mp->sink_arg, pt->ifp, p->data, p->len);
	struct mem_link *l = mp->link;
	if (!l) {
		pkt_free(p);
		return 0;
	}
	int to = !mp->side;
	l->st.sent++;
	if (l->o.loss_pct && rnd(l) < l->o.loss_pct) {
		l->st.lost++;
		pkt_free(p);
		return 0;
	}
	if (l->o.dup_pct && rnd(l) < l->o.dup_pct) {
		struct pkt *c = pkt_clone(p);
		if (c) {
			l->st.duplicated++;
			link_enqueue(l, c, to);
		}
	}
	link_enqueue(l, p, to);
	return 0;
}

static int mem_open(struct port *pt, const char *arg, char *err, size_t errlen)
{
	if (*arg && strcmp(arg, "eth") != 0) {
		snprintf(err, errlen, "expected mem: or mem:eth");
		return -1;
	}
	struct mem_port *mp = calloc(1, sizeof(*mp));
	if (!mp) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pt->priv = mp;
	pt->ether = *arg != '\0';
	/* A locally administered unicast MAC, distinct per router and interface. */
	uint64_t s = NET(pt->ifp->r)->mac_seed;
	pt->mac[0] = 0x02;
	pt->mac[1] = (uint8_t)(s >> 56);
	pt->mac[2] = (uint8_t)(s >> 48);
	pt->mac[3] = (uint8_t)(s >> 40);
	pt->mac[4] = (uint8_t)(s >> 32);
	pt->mac[5] = (uint8_t)pt->ifp->index;
	return 0;
}

static void mem_close(struct port *pt)
{
	struct mem_port *mp = pt->priv;
	if (mp && mp->link)
		mp->link->end[mp->side] = NULL;
	free(mp);
}

const struct port_ops port_mem_ops = {
	.kind = "mem",
	.open = mem_open,
	.xmit = mem_xmit,
	.flush = NULL,
	.close = mem_close,
};

int mem_port_set_sink(struct iface *ifp, mem_sink_fn fn, void *arg)
{
	struct mem_port *mp = mp_of(ifp);
	if (!mp)
		return -1;
	mp->sink = fn;
	mp->sink_arg = arg;
	return 0;
}

int mem_port_inject(struct iface *ifp, const uint8_t *frame, size_t len)
{
	if (!mp_of(ifp) || len > PKT_MAX_IP + ETH_HLEN)
		return -1;
	struct pkt *p = pkt_alloc();
	if (!p)
		return -1;
	p->data = p->buf + PKT_HEADROOM - (ifp->port->ether ? ETH_HLEN : 0);
	memcpy(p->data, frame, len);
	p->len = len;
	struct router *r = ifp->r;
	net_batch_begin(r);
	port_input(ifp->port, p);
	net_batch_end(r);
	return 0;
}

int mem_port_mac(struct iface *ifp, uint8_t mac[6])
{
	if (!mp_of(ifp))
		return -1;
	memcpy(mac, ifp->port->mac, 6);
	return 0;
}

struct mem_link *mem_link_new(struct iface *a, struct iface *b, const struct mem_link_opts *o)
{
	struct mem_port *ma = mp_of(a), *mb = mp_of(b);
	if (!ma || !mb || ma->link || mb->link || a->r->ev != b->r->ev)
		return NULL;
	struct mem_link *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->end[0] = a->port;
	l->end[1] = b->port;
	l->ev = a->r->ev;
	ev_timer_init(&l->timer, link_deliver, l);
	mem_link_set_opts(l, o);
	ma->link = l;
	ma->side = 0;
	mb->link = l;
	mb->side = 1;
	return l;
}

void mem_link_set_opts(struct mem_link *l, const struct mem_link_opts *o)
{
	static const struct mem_link_opts none;
	l->o = o ? *o : none;
	l->rng = l->o.seed ? l->o.seed : 0x5eed;
}

const struct mem_link_stats *mem_link_stats(const struct mem_link *l) { return &l->st; }

size_t mem_link_pending(const struct mem_link *l) { return l->n; }

void mem_link_free(struct mem_link *l)
{
	if (!l)
		return;
	ev_timer_cancel(l->ev, &l->timer);
	while (l->n) {
		pkt_free(l->ring[l->head].p);
		l->head = (l->head + 1) % LINK_RING;
		l->n--;
	}
	for (int i = 0; i < 2; i++)
		if (l->end[i])
			((struct mem_port *)l->end[i]->priv)->link = NULL;
	free(l);
}
