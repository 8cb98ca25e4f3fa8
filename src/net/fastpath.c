/*
 * The control thread's side of the data-plane fast path (fastpath.h):
 * building and publishing the table workers read, retiring what they may
 * still hold, and folding their counts back.
 *
 * When the table is rebuilt: whenever something it copies changed
 * (fastpath_dirty: SA installs, deletes and state changes, NAT-T port
 * moves, crypto-map flows, routes, ARP, interfaces, captures, debugging),
 * at the end of the event-loop turn that changed it (an ev prepare hook),
 * and on the 1 s tick in case a change was not flagged.  A worker can use a
 * stale table for one loop turn at most; what it finds there is still
 * valid memory (QSBR), and the table only ever sends traffic the way the
 * control thread itself did a moment before: it never forwards cleartext,
 * which is always punted.
 */
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "net/capture.h"
#include "net/fastpath.h"
#include "net/fp_int.h"

static struct fastpath *FP(const struct router *r) { return r && r->net ? r->net->fp : NULL; }

static void tab_free(void *arg)
{
	struct fp_tab *t = arg;
	ipsec_fp_tab_free(t);
	route_table_free(&t->rt);
	free(t);
}

static bool has_workers(const struct fastpath *fp)
{
	for (int i = 0; i < QSBR_SLOTS; i++)
		if (fp->q.slot[i].used)
			return true;
	return false;
}

static void on_prepare(void *arg) { fastpath_publish(arg); }

int fastpath_init(struct router *r)
{
	if (r->workers <= 1)
		return 0;
	struct fastpath *fp = calloc(1, sizeof(*fp));
	if (!fp)
		return -1;
	qsbr_init(&fp->q);
	atomic_init(&fp->tab, NULL);
	fp->dirty = true;
	if (ev_add_prepare(r->ev, on_prepare, r) < 0) {
		free(fp);
		return -1;
	}
	r->net->fp = fp;
	return 0;
}

void fastpath_free(struct router *r)
{
	struct fastpath *fp = FP(r);
	if (!fp)
		return;
	ev_del_prepare(r->ev, on_prepare, r);
	struct fp_tab *t = atomic_exchange(&fp->tab, NULL);
	if (t)
		tab_free(t);
	qsbr_drain(&fp->q);
	free(fp);
	r->net->fp = NULL;
}

void fastpath_dirty(struct router *r)
{
	struct fastpath *fp = FP(r);
	if (fp)
		fp->dirty = true;
}

void fastpath_retire(struct router *r, void (*fn)(void *), void *obj)
{
	struct fastpath *fp = FP(r);
	/* With no worker running nobody holds it; on allocation failure it leaks, never dangles. */
	if (!fp || !has_workers(fp)) {
		fn(obj);
		return;
	}
	if (qsbr_defer(&fp->q, fn, obj) < 0)
		log_msg(&r->log, "SYS", SEV_ERR, "NOMEMORY",
			"Out of memory retiring a data-plane object: it is kept");
	fp->dirty = true;
}

static int16_t if_index_of(const struct router *r, const struct iface *ifp)
{
	return ifp ? (int16_t)(ifp - r->ifaces) : -1;
}

static void build_ifaces(struct router *r, struct fp_tab *t)
{
	t->nif = r->niface;
	t->if0 = r->ifaces;
	for (int i = 0; i < r->niface; i++) {
		struct iface *ifp = &r->ifaces[i];
		struct fp_if *fi = &t->ifs[i];
		struct port *pt = ifp->port;
		fi->ok = pt && pt->ops == &port_packet_ops && pt->ether && iface_is_up(ifp) && !ifp->cap;
		fi->has_addr = ifp->has_addr;
		fi->addr = ifp->addr;
		fi->mask = ifp->mask;
		fi->mtu = ifp->mtu;
		fi->cmap = ifp->crypto_map[0] != 0;
		if (pt) {
			memcpy(fi->mac, pt->mac, 6);
			fi->vnet = pt->vnet;
		}
		for (int w = 0; w < FP_MAX_WK; w++)
			fi->txfd[w] = fi->ok ? workers_port_txfd(pt, w) : -1;
	}
}

static void build_arp(struct router *r, struct fp_tab *t)
{
	const struct arp_table *a = &NET(r)->arp;
	for (size_t i = 0; i < FP_ARP_SLOTS; i++)
		t->arp[i].ifidx = -1;
	for (size_t i = 0; i < ARP_MAX_ENTRIES; i++) {
		const struct arp_entry *e = &a->e[i];
		if (e->state != ARP_COMPLETE && e->state != ARP_STALE)
			continue;
		size_t h = fp_arp_slot(e->ip);
		while (t->arp[h].ifidx >= 0)
			h = (h + 1) & (FP_ARP_SLOTS - 1);
		t->arp[h].ip = e->ip;
		t->arp[h].ifidx = if_index_of(r, e->ifp);
		memcpy(t->arp[h].mac, e->mac, 6);
	}
}

static int build_routes(struct router *r, struct fp_tab *t)
{
	const struct route_table *rt = &NET(r)->rt;
	t->rt = *rt;
	t->rt.v = malloc((rt->n + 1) * sizeof(*rt->v));
	if (!t->rt.v)
		return -1;
	memcpy(t->rt.v, rt->v, rt->n * sizeof(*rt->v));
	t->rt.cap = rt->n + 1;
	return 0;
}

static struct fp_tab *build(struct router *r)
{
	struct fp_tab *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	/* Per-packet debugging and captures see every packet only on the control thread. */
	t->off = (r->debug & DBG_IP_PACKET) != 0;
	build_ifaces(r, t);
	build_arp(r, t);
	if (build_routes(r, t) < 0 || ipsec_fp_build(r, t) < 0) {
		tab_free(t);
		return NULL;
	}
	return t;
}

void fastpath_publish(struct router *r)
{
	struct fastpath *fp = FP(r);
	if (!fp)
		return;
	if (fp->dirty && has_workers(fp)) {
		struct fp_tab *t = build(r);
		if (t) {
			struct fp_tab *old = atomic_exchange(&fp->tab, t);
			fp->dirty = false;
			fp->builds++;
			if (old && qsbr_defer(&fp->q, tab_free, old) < 0)
				log_msg(&r->log, "SYS", SEV_ERR, "NOMEMORY",
					"Out of memory retiring a data-plane table: it is kept");
			/* Everything retired so far is out of the table now in force. */
			qsbr_stamp(&fp->q);
		}
	}
	qsbr_reclaim(&fp->q);
}


static void fold_worker(struct router *r, struct fp_wk *w)
{
	struct net_state *n = NET(r);
	uint64_t now = ev_now(r->ev);
	if (w->ifidx >= 0 && w->ifidx < r->niface) {
		struct iface *in = &r->ifaces[w->ifidx];
		uint64_t pk = fp_take(&w->in_pkts, &w->f.in_pkts);
		in->c.in_pkts += pk;
		in->c.in_bytes += fp_take(&w->in_bytes, &w->f.in_bytes);
		if (pk)
			in->last_input_ms = now;
		n->st.rcvd += pk;
		in->c.gso.csum += fp_take(&w->gso_csum, &w->f.gso_csum);
		in->c.gso.frames += fp_take(&w->gso_frames, &w->f.gso_frames);
		in->c.gso.segs += fp_take(&w->gso_segs, &w->f.gso_segs);
	}
	n->st.forwarded += fp_take(&w->forwarded, &w->f.forwarded);
	for (int i = 0; i < r->niface; i++) {
		struct iface *o = &r->ifaces[i];
		uint64_t pk = fp_take(&w->out_pkts[i], &w->f.out_pkts[i]);
		o->c.out_pkts += pk;
		o->c.out_bytes += fp_take(&w->out_bytes[i], &w->f.out_bytes[i]);
		o->c.out_errors += fp_take(&w->out_errors[i], &w->f.out_errors[i]);
		if (pk)
			o->last_output_ms = now;
		n->st.sent += pk;
	}
}

void fastpath_sync(struct router *r)
{
	struct fastpath *fp = FP(r);
	if (!fp)
		return;
	for (int i = 0; i < QSBR_SLOTS; i++)
		if (fp->wks[i])
			fold_worker(r, fp->wks[i]);
	ipsec_fp_fold(r);
}

int fastpath_attach(struct router *r, struct fp_wk *w, int idx, int ifidx, size_t vnet)
{
	/* Made with the first worker: spigotd sets r->workers after the router exists. */
	if (!FP(r) && fastpath_init(r) < 0)
		return -1;
	struct fastpath *fp = FP(r);
	if (!fp)
		return -1;
	int slot = qsbr_register(&fp->q);
	if (slot < 0)
		return -1;
	fp_wk_init(w, fp, slot, idx, ifidx, vnet);
	fp->wks[slot] = w;
	fp->dirty = true;
	return 0;
}

void fastpath_detach(struct router *r, struct fp_wk *w)
{
	struct fastpath *fp = FP(r);
	if (!fp || !w->fp)
		return;
	fold_worker(r, w);
	fp->wks[w->slot] = NULL;
	qsbr_unregister(&fp->q, w->slot);
	w->fp = NULL;
	fp->dirty = true;
}

void fastpath_show(struct router *r, struct strbuf *out)
{
	struct fastpath *fp = FP(r);
	if (!fp)
		return;
	struct fp_tab *t = atomic_load(&fp->tab);
	sb_printf(out, "       table %llu: %zu inbound and %zu outbound ESP SAs, %zu crypto map entries%s; "
		       "%zu retired objects waiting for the workers\n",
		  (unsigned long long)fp->builds, t ? t->nin : 0, t ? t->nout : 0, t ? t->ncm : 0,
		  t && t->off ? ", off while debugging" : "", qsbr_backlog(&fp->q));
}
