/*
 * Arbitrary frames into a data-plane worker's fast path (net/fastpath_wk.c
 * and ipsec/fp_ipsec.c): a hand-built table with a LAN and a WAN interface,
 * routes, ARP, a crypto map whose ACL permits everything onto an AES-GCM
 * SA, and the inbound SAs of ipsec_fuzz.h (GCM, CBC, 3DES in UDP, AH
 * bundles the fast path must punt), behind a virtio-net header the input
 * also chooses (GSO super-frames and partial checksums).  What it sends
 * goes to a socketpair; punted frames are freed.
 */
#include <sys/socket.h>
#include <unistd.h>

#include "ipsec_fuzz.h"
#include "net/fp_int.h"

#define FZ_LAN 0x0a000001u	/* 10.0.0.1/24, host 10.0.0.2 */

static struct fp_tab *tab;
static struct fp_wk wk;
static int sp[2] = { -1, -1 };
static struct cfg_ace any = { .permit = true, .src_wild = 0xffffffffu };

static void fz_punt(void *arg, struct pkt *p, const uint8_t *vh)
{
	(void)arg;
	(void)vh;
	pkt_free(p);
}

static void add_route(struct router *r, uint32_t prefix, uint8_t plen, int ifidx, uint32_t nh)
{
	struct route *rt = &tab->rt.v[tab->rt.n++];
	*rt = (struct route){ .prefix = prefix, .mask = plen ? ~0u << (32 - plen) : 0, .plen = plen,
			      .type = RT_STATIC, .ifp = &r->ifaces[ifidx], .nexthop = nh };
}

static void add_arp(uint32_t ip, int ifidx)
{
	size_t h = fp_arp_slot(ip);
	while (tab->arp[h].ifidx >= 0)
		h = (h + 1) & (FP_ARP_SLOTS - 1);
	tab->arp[h] = (struct fp_arp){ .ip = ip, .ifidx = (int16_t)ifidx,
				       .mac = { 2, 0, 0, 0, 9, (uint8_t)ifidx } };
}

static void setup(void)
{
	struct router *r = fz_router_new(2);	/* the SAs keep their keys for the workers */
	fz_install(r, 0x2000, XF_AH_NONE, XF_ENC_GCM, 128, XF_AUTH_NONE, false);
	fz_install(r, 0x1000, XF_AH_NONE, XF_ENC_AES, 128, XF_AUTH_SHA1, false);
	fz_install(r, 0x5000, XF_AH_NONE, XF_ENC_3DES, 0, XF_AUTH_NONE, true);
	fz_install(r, 0x3000, XF_AH_SHA1, XF_ENC_DES, 0, XF_AUTH_SHA1, false);
	socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sp);
	tab = calloc(1, sizeof(*tab));
	for (size_t i = 0; i < FP_ARP_SLOTS; i++)
		tab->arp[i].ifidx = -1;
	if (ipsec_fp_build(r, tab) < 0)
		abort();
	tab->nif = 2;
	tab->if0 = r->ifaces;
	const uint32_t addr[2] = { FZ_LAN, FZ_LOCAL };
	for (int i = 0; i < 2; i++) {
		struct fp_if *fi = &tab->ifs[i];
		*fi = (struct fp_if){ .ok = true, .has_addr = true, .addr = addr[i], .mask = 0xffffff00u,
				      .mtu = 1500, .mac = { 2, 0, 0, 0, 1, (uint8_t)i }, .vnet = VNET_HDR_LEN,
				      .cmap = i == 1, .cm_first = 0, .cm_n = i == 1 };
		for (int w = 0; w < FP_MAX_WK; w++)
			fi->txfd[w] = w == 1 ? sp[0] : -1;
	}
	/* The crypto map: permit any -> the GCM bundle (the first one installed). */
	tab->ncm = 1;
	tab->aces[0] = any;
	tab->cm[0] = (struct fp_cm){ .acl = { .number = 1, .aces = tab->aces, .nace = 1 },
				     .ace_out = tab->ace_out };
	struct ipsec_bundle *b = r->ipsec->bundles;
	while (b && b->next)
		b = b->next;
	tab->out[0] = (struct fp_out){ .sa = &b->esp_out, .local = FZ_LOCAL, .peer = FZ_PEER,
				       .overhead_fixed = b->overhead_fixed, .esp_block = b->esp_block };
	tab->nout = 1;
	tab->ace_out[0] = &tab->out[0];
	tab->rt.v = calloc(4, sizeof(*tab->rt.v));
	add_route(r, 0x0a000000u, 24, 0, 0);
	add_route(r, 0x0a020200u, 24, 1, 0);
	add_route(r, 0, 0, 1, FZ_PEER);
	route_table_index(&tab->rt);
	add_arp(0x0a000002u, 0);
	add_arp(FZ_PEER, 1);
	fp_wk_init(&wk, NULL, 0, 1, 0, VNET_HDR_LEN);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!tab)
		setup();
	if (size < 1 + VNET_HDR_LEN || size > 1 + VNET_HDR_LEN + 60000)
		return 0;
	wk.ifidx = data[0] & 1;
	const uint8_t *vh = data + 1;
	data += 1 + VNET_HDR_LEN;
	size -= 1 + VNET_HDR_LEN;
	struct pkt *p = pkt_alloc();
	if (!p)
		return 0;
	p->data = p->buf + PKT_HEADROOM - ETH_HLEN;
	memcpy(p->data, data, size);
	p->len = size;
	fp_wk_frame(&wk, tab, p, vh, fz_punt, NULL);
	/* Every other input leaves a super-frame open for the next one to join. */
	if (size & 1) {
		fp_enc_flush(&wk, tab);
		fp_gro_flush(&wk, tab);
		fp_wk_flush(&wk);
	}
	uint8_t sink[2048];
	while (recv(sp[1], sink, sizeof(sink), MSG_DONTWAIT) > 0)
		;
	return 0;
}
