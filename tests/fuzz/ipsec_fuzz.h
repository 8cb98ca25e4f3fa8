/*
 * Shared setup for the ESP/AH fuzz targets: one router (kept for the whole
 * run) with SAs whose keys are known, so inputs can reach past the SPI
 * lookup: an unauthenticated AES-CBC SA exercises decryption and padding,
 * a GCM SA and an AH+ESP bundle the ICV paths.
 */
#ifndef SPIGOT_FUZZ_IPSEC_H
#define SPIGOT_FUZZ_IPSEC_H

#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/evloop.h"
#include "core/pkt.h"
#include "ipsec/ipsec.h"
#include "ipsec/ipsec_int.h"
#include "router.h"

#define FZ_LOCAL 0x0a020202u	/* 10.2.2.2 */
#define FZ_PEER 0x0a010101u	/* 10.1.1.1 */

static void fz_drop(struct router *r, struct pkt *p) { (void)r; pkt_free(p); }

static void fz_install(struct router *r, uint32_t spi, enum cfg_xf_ah ah, enum cfg_xf_enc enc,
		       uint16_t bits, enum cfg_xf_auth auth, bool udp)
{
	struct sadb_bundle_spec s;
	memset(&s, 0, sizeof(s));
	s.cmap_name = "fuzz";
	s.cmap_seq = 10;
	s.flow.local_mask = s.flow.remote_mask = 0;	/* any */
	s.local_addr = FZ_LOCAL;
	s.peer_addr = FZ_PEER;
	s.peer_port = udp ? 4500 : 500;
	s.udp_encap = udp;
	s.xf.ah = ah;
	s.xf.esp_enc = enc;
	s.xf.esp_keybits = bits;
	s.xf.esp_auth = auth;
	s.has_ah = ah != XF_AH_NONE;
	s.has_esp = enc != XF_ENC_NONE || auth != XF_AUTH_NONE;
	struct sadb_sa_keys *k[4] = { &s.ah_in, &s.ah_out, &s.esp_in, &s.esp_out };
	const struct xf_alg *e = xf_esp_enc(enc, bits), *a = xf_esp_auth(auth), *h = xf_ah(ah);
	for (int i = 0; i < 4; i++) {
		k[i]->spi = spi + (uint32_t)i;
		memset(k[i]->enc_key, 0x11 * (i + 1), SADB_KEY_MAX);
		memset(k[i]->auth_key, 0x22 * (i + 1), SADB_KEY_MAX);
		k[i]->enc_key_len = e ? e->key_len : 0;
		k[i]->auth_key_len = i < 2 ? (h ? h->key_len : 0) : (a ? a->key_len : 0);
	}
	s.life_sec = 3600;
	s.life_kb = 4608000;
	sadb_install(r, &s);
}

/* A router whose decapsulated packets go nowhere; workers > 1 keeps SA keys for workers. */
static inline struct router *fz_router_new(int workers)
{
	struct evloop *ev = ev_new();
	struct config *cfg = config_new();
	cfg->ipsec_life_sec = 3600;
	cfg->ipsec_life_kb = 4608000;
	cfg->replay_window = 64;
	cfg->logging_buffered = false;
	struct router *r = router_new(ev, cfg);
	r->workers = workers;
	ipsec_set_deliver(r, fz_drop);
	return r;
}

static inline struct router *fz_router(void)
{
	static struct router *r;
	if (r)
		return r;
	r = fz_router_new(0);
	fz_install(r, 0x1000, XF_AH_NONE, XF_ENC_AES, 128, XF_AUTH_NONE, false);
	fz_install(r, 0x2000, XF_AH_NONE, XF_ENC_GCM, 128, XF_AUTH_NONE, false);
	fz_install(r, 0x3000, XF_AH_SHA1, XF_ENC_DES, 0, XF_AUTH_SHA1, false);
	fz_install(r, 0x4000, XF_AH_MD5, XF_ENC_NONE, 0, XF_AUTH_NONE, false);
	fz_install(r, 0x5000, XF_AH_NONE, XF_ENC_3DES, 0, XF_AUTH_NONE, true);
	return r;
}

/* Wraps data in an outer IPv4 header (proto) toward FZ_LOCAL and feeds it in. */
static inline void fz_feed_ip(struct router *r, uint8_t proto, const uint8_t *data, size_t n)
{
	if (n > 60000)
		return;
	struct pkt *p = pkt_alloc();
	ipsec_ip_header(p->data, n + 20, 0, false, 1, 64, proto, FZ_PEER, FZ_LOCAL);
	memcpy(p->data + 20, data, n);
	p->len = n + 20;
	ipsec_input(r, p);
}

#endif
