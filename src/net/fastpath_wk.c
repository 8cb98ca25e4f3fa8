/*
 * A data-plane worker's fast path (fp_int.h): what it does itself with a
 * frame from its ring, reading only the published table.
 *
 *   ESP (or ESP in UDP 4500) to a crypto endpoint of ours, with an SPI of an
 *   ESP-only bundle: decapsulated with the worker's own contexts, checked
 *   against the SA's selectors, and forwarded to a LAN host when the route,
 *   ARP, MTU and TTL allow it; otherwise handed to the control thread as a
 *   decapsulated packet.
 *
 *   IPv4 from an interface with no crypto map, leaving through one whose
 *   map has an ESP-only bundle up for it: encapsulated and sent to the peer,
 *   when the inner packet fits the tunnel and the peer's next hop is known.
 *
 * Everything else, and every case above whose conditions do not all hold,
 * is punted untouched to the control thread, which takes it through the
 * whole path as before: ARP, IKE, anything to the router, unknown SPIs
 * (Invalid SPI Recovery), flows with no SA yet (acquire), AH, fragments,
 * IP options, ICMP errors, TTL expiry, cleartext forwarding, and what the
 * ingress policy of a crypto-map interface must judge.  The decisions are
 * all made before a packet is changed, so a punted frame is the frame read.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "core/wbuf.h"
#include "core/wire.h"
#include "net/fp_int.h"
#include "net/inet.h"

void fp_wk_init(struct fp_wk *w, struct fastpath *fp, int slot, int idx, int ifidx, size_t vnet)
{
	memset(w, 0, sizeof(*w));
	w->fp = fp;
	w->slot = slot;
	w->idx = idx;
	w->ifidx = ifidx;
	w->vnet = vnet;
	/* Outer IPv4 IDs: each worker counts from its own point (the control thread uses the interface's). */
	w->ip_id = (uint16_t)(0x9e37u * (unsigned)(slot + 1));
}


/* An address the control thread must see: ours, a broadcast of ours, or not unicast at all. */
static bool not_for_forwarding(const struct fp_tab *t, uint32_t a)
{
	if (a == 0 || (a >> 28) >= 14 || (a >> 24) == 127)
		return true;
	for (int i = 0; i < t->nif; i++) {
		const struct fp_if *fi = &t->ifs[i];
		if (fi->has_addr && (a == fi->addr || a == ((fi->addr & fi->mask) | ~fi->mask)))
			return true;
	}
	return false;
}

static const uint8_t *arp_find(const struct fp_tab *t, int ifidx, uint32_t ip)
{
	for (size_t h = fp_arp_slot(ip); t->arp[h].ifidx >= 0; h = (h + 1) & (FP_ARP_SLOTS - 1))
		if (t->arp[h].ip == ip && t->arp[h].ifidx == ifidx)
			return t->arp[h].mac;
	return NULL;
}

/* Where dst leaves: an interface the fast path may send on, its next hop's MAC; -1 if not. */
static int egress(const struct fp_wk *w, const struct fp_tab *t, uint32_t dst,
		  const uint8_t **mac)
{
	const struct route *rt = route_table_lookup(&t->rt, dst);
	if (!rt || !rt->ifp)
		return -1;
	int o = (int)(rt->ifp - t->if0);
	if (o < 0 || o >= t->nif || !t->ifs[o].ok || t->ifs[o].txfd[w->idx] < 0)
		return -1;
	*mac = arp_find(t, o, rt->nexthop ? rt->nexthop : dst);
	return *mac ? o : -1;
}

void fp_tx_queue(struct fp_wk *w, const struct fp_tab *t, int o, const uint8_t *mac, struct pkt *p,
		 const uint8_t *vh, unsigned segs)
{
	const struct fp_if *fi = &t->ifs[o];
	uint8_t *eh = pkt_push(p, ETH_HLEN);
	if (!eh) {
		fp_count(&w->out_errors[o], 1);
		pkt_free(p);
		return;
	}
	memcpy(eh, mac, 6);
	memcpy(eh + 6, fi->mac, 6);
	wbuf_st16(eh + 12, ETHERTYPE_IP);
	if (w->ntx == FP_TX_BATCH)
		fp_wk_flush(w);
	w->tx[w->ntx].fd = fi->txfd[w->idx];
	w->tx[w->ntx].vnet = fi->vnet;
	w->tx[w->ntx].ifidx = o;
	w->tx[w->ntx].p = p;
	if (vh)
		memcpy(w->tx[w->ntx].vh, vh, VNET_HDR_LEN);
	else
		memset(w->tx[w->ntx].vh, 0, VNET_HDR_LEN);
	w->ntx++;
	/* A super-frame counts as the segments a host's stack takes it for. */
	fp_count(&w->out_pkts[o], segs);
	fp_count(&w->out_bytes[o], p->len + (uint64_t)(segs - 1) * ((size_t)ETH_HLEN + IP_HLEN + 20));
}

static void tx_queue(struct fp_wk *w, const struct fp_tab *t, int o, const uint8_t *mac,
		     struct pkt *p)
{
	fp_tx_queue(w, t, o, mac, p, NULL, 1);
}

/* Runs of frames for one socket go in one sendmmsg. */
void fp_wk_flush(struct fp_wk *w)
{
	struct mmsghdr m[FP_TX_BATCH];
	struct iovec iov[FP_TX_BATCH][2];
	for (unsigned i = 0; i < w->ntx;) {
		unsigned j = i, n = 0;
		for (; j < w->ntx && w->tx[j].fd == w->tx[i].fd; j++, n++) {
			size_t nv = w->tx[j].vnet ? 1 : 0;
			iov[n][0] = (struct iovec){ w->tx[j].vh, VNET_HDR_LEN };
			iov[n][nv] = (struct iovec){ w->tx[j].p->data, w->tx[j].p->len };
			m[n] = (struct mmsghdr){ .msg_hdr = { .msg_iov = iov[n], .msg_iovlen = 1 + nv } };
		}
		for (unsigned done = 0; done < n;) {
			int s = sendmmsg(w->tx[i].fd, m + done, n - done, MSG_DONTWAIT);
			if (s > 0) {
				done += (unsigned)s;
				continue;
			}
			if (s < 0 && errno == EINTR)
				continue;
			fp_count(&w->out_errors[w->tx[i + done].ifidx], 1);
			done++;
		}
		for (; i < j; i++)
			pkt_free(w->tx[i].p);
	}
	w->ntx = 0;
}

/* A decapsulated packet (p->data the inner IPv4 header): to a LAN host, or false. */
static bool forward_inner(struct fp_wk *w, const struct fp_tab *t, struct pkt *p)
{
	uint8_t *ip = p->data;
	/* What ipv4_input would refuse or count is its to refuse and count. */
	if (ip[0] != 0x45 || ip[8] <= 1 || (wbuf_be16(ip + 6) & (0x8000 | IP_MF | IP_OFFMASK)) ||
	    inet_cksum(ip, IP_HLEN) != 0)
		return false;
	uint32_t src = wbuf_be32(ip + 12), dst = wbuf_be32(ip + 16);
	if (src == 0 || ip_martian_src(src))
		return false;
	const uint8_t *mac;
	int o;
	if (not_for_forwarding(t, dst) || (o = egress(w, t, dst, &mac)) < 0 || t->ifs[o].cmap ||
	    p->len > t->ifs[o].mtu)
		return false;
	uint16_t old = wbuf_be16(ip + 8);
	ip[8]--;
	wbuf_st16(ip + 10, inet_cksum_update16(wbuf_be16(ip + 10), old, wbuf_be16(ip + 8)));
	fp_count(&w->forwarded, 1);
	if (t->ifs[o].vnet && ip[9] == IPPROTO_TCP_)
		fp_gro_add(w, t, o, mac, p);
	else
		tx_queue(w, t, o, mac, p);
	return true;
}

/* IPv4 in from a LAN (p->data the Ethernet header): encapsulated and sent, or FP_PUNT untouched. */
static enum fp_rc encap_path(struct fp_wk *w, const struct fp_tab *t, struct pkt *p, size_t tot)
{
	const uint8_t *ip = p->data + ETH_HLEN;
	uint32_t dst = wbuf_be32(ip + 16);
	const uint8_t *mac;
	int o;
	if (ip[8] <= 1 || not_for_forwarding(t, dst))
		return FP_PUNT;
	const struct route *rt = route_table_lookup(&t->rt, dst);
	if (!rt || !rt->ifp)
		return FP_PUNT;
	int mo = (int)(rt->ifp - t->if0);
	if (mo < 0 || mo >= t->nif || !t->ifs[mo].cmap)
		return FP_PUNT;	/* cleartext forwarding stays on the control thread */
	const struct fp_out *fo = ipsec_fp_lookup_out(t, mo, ip, tot);
	/* The peer is reached through the map's own interface, as the control thread sends it. */
	if (!fo || (o = egress(w, t, fo->peer, &mac)) != mo || tot > ipsec_fp_max_inner(fo, t->ifs[mo].mtu))
		return FP_PUNT;
	if (!ipsec_fp_ready(fo, w))
		return FP_PUNT;
	pkt_pull(p, ETH_HLEN);
	p->len = tot;
	if (w->nenc == FP_TX_BATCH)
		fp_enc_flush(w, t);
	w->enc[w->nenc].p = p;
	w->enc[w->nenc].fo = fo;
	w->enc[w->nenc].o = o;
	w->enc[w->nenc].mac = mac;
	w->nenc++;
	return FP_DONE;
}

/*
 * One SA's packets at a time, under its txlock from the first sequence
 * number reserved to the sendmmsg that hands them to the kernel: two
 * workers encrypting for one SA put their packets on the wire in sequence
 * order, never a batch apart (a peer's replay window would drop them).
 * Different SAs still run on every core at once.
 */
void fp_enc_flush(struct fp_wk *w, const struct fp_tab *t)
{
	for (unsigned i = 0; i < w->nenc; i++) {
		const struct fp_out *fo = w->enc[i].fo;
		if (!w->enc[i].p)
			continue;
		ipsec_fp_tx_lock(fo);
		for (unsigned j = i; j < w->nenc; j++) {
			struct pkt *p = w->enc[j].p;
			if (!p || w->enc[j].fo->sa != fo->sa)
				continue;
			w->enc[j].p = NULL;
			if (ipsec_fp_encap(w->enc[j].fo, w, p) == FP_DONE) {
				fp_count(&w->encaps, 1);
				tx_queue(w, t, w->enc[j].o, w->enc[j].mac, p);
			} else {
				pkt_free(p);	/* a drop is counted on the SA (ipsec_fp_encap) */
			}
		}
		fp_wk_flush(w);
		ipsec_fp_tx_unlock(fo);
	}
	w->nenc = 0;
}

/* ESP to us (ip: its outer header); FP_PUNT leaves p as it came. */
static enum fp_rc decap_path(struct fp_wk *w, const struct fp_tab *t, struct pkt *p, size_t tot,
			     void (*punt)(void *, struct pkt *, const uint8_t *), void *arg)
{
	uint8_t *ip = p->data + ETH_HLEN;
	uint32_t dst = wbuf_be32(ip + 16);
	size_t off = IP_HLEN;
	bool udp = ip[9] == IPPROTO_UDP_;
	if (udp) {
		/* ESP in UDP (RFC 3948) with a zero checksum; IKE's non-ESP marker and keepalives punt. */
		if (tot < IP_HLEN + UDP_HLEN + 8 || wbuf_be16(ip + 22) != UDP_PORT_IKE_NATT ||
		    wbuf_be16(ip + 24) != tot - IP_HLEN || wbuf_be16(ip + 26) != 0 ||
		    wbuf_be32(ip + 28) == 0)
			return FP_PUNT;
		off += UDP_HLEN;
	}
	uint8_t *save = p->data;
	size_t save_len = p->len;
	p->data = ip + off;
	p->len = tot - off;
	enum fp_rc rc = ipsec_fp_decap(t, w, p, dst, udp);
	if (rc == FP_PUNT) {
		p->data = save;
		p->len = save_len;
		return FP_PUNT;
	}
	fp_count(&w->in_pkts, 1);
	fp_count(&w->in_bytes, save_len);
	if (rc == FP_DROPPED) {
		pkt_free(p);
		return FP_DONE;
	}
	fp_count(&w->decaps, 1);
	if (!forward_inner(w, t, p)) {
		/* Opened here, delivered there: the control thread takes it from its IPv4 input on. */
		p->in_if = t->if0 + w->ifidx;
		p->flags = PKT_F_DECAPPED | PKT_F_FP_DECAP;
		fp_count(&w->punts, 1);
		punt(arg, p, NULL);
	}
	return FP_DONE;
}

/* One whole frame (p->data its Ethernet header, checksums finished, no GSO). */
static enum fp_rc one_frame(struct fp_wk *w, const struct fp_tab *t, struct pkt *p,
			    void (*punt)(void *, struct pkt *, const uint8_t *), void *arg)
{
	const struct fp_if *in = &t->ifs[w->ifidx];
	if (p->len < ETH_HLEN + IP_HLEN || memcmp(p->data, in->mac, 6) ||
	    wbuf_be16(p->data + 12) != ETHERTYPE_IP)
		return FP_PUNT;
	const uint8_t *ip = p->data + ETH_HLEN;
	size_t tot = wbuf_be16(ip + 2);
	/* No options, no fragments, a sound header: the rest is ipv4_input's to judge and count. */
	if (ip[0] != 0x45 || tot < IP_HLEN || tot > p->len - ETH_HLEN ||
	    (wbuf_be16(ip + 6) & (0x8000 | IP_MF | IP_OFFMASK)) || inet_cksum(ip, IP_HLEN) != 0)
		return FP_PUNT;
	uint32_t src = wbuf_be32(ip + 12), dst = wbuf_be32(ip + 16);
	if (src == 0 || ip_martian_src(src))
		return FP_PUNT;
	if ((ip[9] == IPPROTO_ESP_ || ip[9] == IPPROTO_UDP_) && not_for_forwarding(t, dst))
		return decap_path(w, t, p, tot, punt, arg);
	/* A crypto-map interface's cleartext is judged by its ingress policy: the control thread. */
	if (in->cmap)
		return FP_PUNT;
	size_t frame = p->len;
	enum fp_rc rc = encap_path(w, t, p, tot);
	if (rc == FP_DONE) {
		fp_count(&w->in_pkts, 1);
		fp_count(&w->in_bytes, frame);
	}
	return rc;
}

struct seg_ctx {
	struct fp_wk *w;
	const struct fp_tab *t;
	void (*punt)(void *, struct pkt *, const uint8_t *);
	void *arg;
};

/* Each segment of a super-frame: finished, so it punts behind a header that asks nothing. */
static void seg_emit(void *arg, struct pkt *seg)
{
	static const uint8_t vnet_none[VNET_HDR_LEN];
	struct seg_ctx *c = arg;
	if (one_frame(c->w, c->t, seg, c->punt, c->arg) == FP_PUNT) {
		fp_count(&c->w->punts, 1);
		c->punt(c->arg, seg, vnet_none);
	}
}

void fp_wk_frame(struct fp_wk *w, const struct fp_tab *t, struct pkt *p, const uint8_t *vh,
		 void (*punt)(void *arg, struct pkt *p, const uint8_t *vh), void *arg)
{
	static const uint8_t vnet_none[VNET_HDR_LEN];
	p->flags = 0;
	if (!t || t->off || w->ifidx >= t->nif || !t->ifs[w->ifidx].ok) {
		fp_count(&w->punts, 1);
		punt(arg, p, vh);
		return;
	}
	if (w->vnet) {
		struct vnet_hdr h;
		vnet_hdr_get(&h, vh);
		if (h.gso_type != VNET_GSO_NONE || (h.flags & VNET_F_NEEDS_CSUM)) {
			struct gso_stats gs = { 0 };
			struct seg_ctx c = { w, t, punt, arg };
			const char *why;
			enum gso_rc rc = gso_input(p, ETH_HLEN, &h, seg_emit, &c, &gs, &why);
			fp_count(&w->gso_csum, gs.csum);
			fp_count(&w->gso_frames, gs.frames);
			fp_count(&w->gso_segs, gs.segs);
			if (rc == GSO_SEGMENTED)
				return;
			if (rc == GSO_BAD) {
				fp_count(&w->punts, 1);
				punt(arg, p, vh);	/* the control thread counts and logs it */
				return;
			}
			vh = vnet_none;	/* its checksum is finished now */
		}
	}
	if (one_frame(w, t, p, punt, arg) == FP_PUNT) {
		fp_count(&w->punts, 1);
		punt(arg, p, vh);
	}
}
