#include "test_sadb_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/wbuf.h"
#include "ipsec/ipsec.h"

/* The data plane's hooks carry no argument: map the router back to its fixture. */
static struct fx_router *registry[8];

static struct fx_router *lookup(struct router *r)
{
	for (int i = 0; i < 8; i++)
		if (registry[i] && registry[i]->r == r)
			return registry[i];
	return NULL;
}

static int cap_output(struct router *r, struct iface *out_if, struct pkt *p, uint32_t peer)
{
	(void)out_if;
	(void)peer;
	struct fx_router *fr = lookup(r);
	return fr ? pktq_push(&fr->out, p) : (pkt_free(p), -1);
}

static void cap_deliver(struct router *r, struct pkt *p)
{
	struct fx_router *fr = lookup(r);
	if (fr)
		pktq_push(&fr->in, p);
	else
		pkt_free(p);
}

static void tap(void *arg, const char *line)
{
	struct fx_router *fr = arg;
	if (fr->nlog < 64)
		snprintf(fr->log[fr->nlog++], sizeof(fr->log[0]), "%s", line);
}

struct cfg_transform_set fx_xf(const char *name, enum cfg_xf_ah ah, enum cfg_xf_enc enc,
			       uint16_t bits, enum cfg_xf_auth auth)
{
	struct cfg_transform_set ts;
	memset(&ts, 0, sizeof(ts));
	snprintf(ts.name, sizeof(ts.name), "%s", name);
	ts.ah = ah;
	ts.esp_enc = enc;
	ts.esp_keybits = bits;
	ts.esp_auth = auth;
	return ts;
}

static void pattern(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static void keys(struct sadb_sa_keys *k, const struct cfg_transform_set *xf, bool ah,
		 uint32_t spi, uint8_t seed)
{
	memset(k, 0, sizeof(*k));
	k->spi = spi;
	if (ah) {
		const struct xf_alg *a = xf_ah(xf->ah);
		k->auth_key_len = a->key_len;
		pattern(k->auth_key, a->key_len, seed);
		return;
	}
	const struct xf_alg *e = xf_esp_enc(xf->esp_enc, xf->esp_keybits);
	const struct xf_alg *a = xf_esp_auth(xf->esp_auth);
	if (e) {
		k->enc_key_len = e->key_len;
		pattern(k->enc_key, e->key_len, (uint8_t)(seed + 1));
	}
	if (a) {
		k->auth_key_len = a->key_len;
		pattern(k->auth_key, a->key_len, (uint8_t)(seed + 2));
	}
}

void fx_spec(struct sadb_bundle_spec *s, int side, const struct cfg_transform_set *xf,
	     uint32_t spi_base)
{
	memset(s, 0, sizeof(*s));
	s->cmap_name = "testtag1";
	s->cmap_seq = 10;
	uint32_t a_in = IP4(10, 0, 0, 1), b_in = IP4(10, 0, 2, 2);
	s->flow.local = side == 0 ? a_in : b_in;
	s->flow.remote = side == 0 ? b_in : a_in;
	s->flow.local_mask = s->flow.remote_mask = 0xffffffffu;
	s->local_addr = side == 0 ? IP4(10, 1, 1, 1) : IP4(10, 2, 2, 2);
	s->peer_addr = side == 0 ? IP4(10, 2, 2, 2) : IP4(10, 1, 1, 1);
	s->peer_port = 500;
	s->xf = *xf;
	s->has_ah = xf->ah != XF_AH_NONE;
	s->has_esp = xf->esp_enc != XF_ENC_NONE || xf->esp_auth != XF_AUTH_NONE;
	/* SPIs: A->B uses base+0 (AH) / base+1 (ESP), B->A base+2 / base+3. */
	uint32_t ab_ah = spi_base, ab_esp = spi_base + 1, ba_ah = spi_base + 2, ba_esp = spi_base + 3;
	if (s->has_ah) {
		keys(&s->ah_out, xf, true, side == 0 ? ab_ah : ba_ah, side == 0 ? 0x10 : 0x40);
		keys(&s->ah_in, xf, true, side == 0 ? ba_ah : ab_ah, side == 0 ? 0x40 : 0x10);
	}
	if (s->has_esp) {
		keys(&s->esp_out, xf, false, side == 0 ? ab_esp : ba_esp, side == 0 ? 0x20 : 0x50);
		keys(&s->esp_in, xf, false, side == 0 ? ba_esp : ab_esp, side == 0 ? 0x50 : 0x20);
	}
	s->life_sec = 3600;
	s->life_kb = 4608000;
}

static void session_key(struct cfg_session_key *ck, const struct sadb_sa_keys *k, bool ah)
{
	memset(ck, 0, sizeof(*ck));
	ck->set = true;
	ck->spi = k->spi;
	if (ah) {
		memcpy(ck->auth, k->auth_key, k->auth_key_len);
		ck->auth_len = k->auth_key_len;
		return;
	}
	memcpy(ck->cipher, k->enc_key, k->enc_key_len);
	ck->cipher_len = k->enc_key_len;
	memcpy(ck->auth, k->auth_key, k->auth_key_len);
	ck->auth_len = k->auth_key_len;
}

static struct config *seed_cfg(int side, const struct cfg_transform_set *xf, bool manual)
{
	struct config *c = config_new();
	snprintf(c->hostname, sizeof(c->hostname), "%s", side == 0 ? "ipseca-71a" : "ipseca-72a");
	c->ipsec_life_sec = 3600;
	c->ipsec_life_kb = 4608000;
	c->replay_window = 64;
	c->logging_buffered = true;
	c->logging_buffer_size = 8192;

	c->niface = 2;
	c->ifaces = calloc(2, sizeof(*c->ifaces));
	snprintf(c->ifaces[0].name, CFG_NAME_MAX, "%s", side == 0 ? "FastEthernet0/0" : "Ethernet1/0");
	c->ifaces[0].has_addr = true;
	c->ifaces[0].addr = side == 0 ? IP4(10, 1, 1, 1) : IP4(10, 2, 2, 2);
	c->ifaces[0].mask = 0xff000000u;
	snprintf(c->ifaces[0].crypto_map, CFG_NAME_MAX, "testtag1");
	snprintf(c->ifaces[1].name, CFG_NAME_MAX, "%s", side == 0 ? "FastEthernet0/1" : "Ethernet1/1");
	c->ifaces[1].has_addr = true;
	c->ifaces[1].addr = side == 0 ? IP4(10, 0, 0, 1) : IP4(10, 0, 2, 2);
	c->ifaces[1].mask = 0xff000000u;

	c->nacl = 1;
	c->acls = calloc(1, sizeof(*c->acls));
	c->acls[0].number = 150;
	c->acls[0].nace = 1;
	c->acls[0].aces = calloc(1, sizeof(struct cfg_ace));
	struct cfg_ace *a = &c->acls[0].aces[0];
	a->permit = true;
	a->extended = true;
	a->src = side == 0 ? IP4(10, 0, 0, 1) : IP4(10, 0, 2, 2);
	a->dst = side == 0 ? IP4(10, 0, 2, 2) : IP4(10, 0, 0, 1);

	c->ntset = 1;
	c->tsets = calloc(1, sizeof(*c->tsets));
	c->tsets[0] = *xf;

	c->ncmap = 1;
	c->cmaps = calloc(1, sizeof(*c->cmaps));
	struct cfg_cmap_entry *e = &c->cmaps[0];
	snprintf(e->name, CFG_NAME_MAX, "testtag1");
	e->seq = 10;
	e->manual = manual;
	e->peers[0] = side == 0 ? IP4(10, 2, 2, 2) : IP4(10, 1, 1, 1);
	e->npeers = 1;
	snprintf(e->tsets[0], CFG_NAME_MAX, "%s", xf->name);
	e->ntsets = 1;
	e->acl = 150;
	if (manual) {
		struct sadb_bundle_spec s;
		fx_spec(&s, side, xf, 0x1000);
		if (s.has_ah) {
			session_key(&e->ah_key[0], &s.ah_in, true);
			session_key(&e->ah_key[1], &s.ah_out, true);
		}
		if (s.has_esp) {
			session_key(&e->esp_key[0], &s.esp_in, false);
			session_key(&e->esp_key[1], &s.esp_out, false);
		}
	}
	return c;
}

static void fx_router_init(struct fx *f, struct fx_router *fr, int side,
			   const struct cfg_transform_set *xf, bool manual)
{
	memset(fr, 0, sizeof(*fr));
	pktq_init(&fr->out, 256);
	pktq_init(&fr->in, 256);
	fr->r = router_new(f->ev, seed_cfg(side, xf, manual));
	fr->r->log.tap = tap;
	fr->r->log.tap_arg = fr;
	for (int i = 0; i < 8; i++)
		if (!registry[i]) {
			registry[i] = fr;
			break;
		}
	ipsec_set_output(fr->r, cap_output);
	ipsec_set_deliver(fr->r, cap_deliver);
}

void fx_seed(struct fx *f, const struct cfg_transform_set *xf, bool manual)
{
	memset(f, 0, sizeof(*f));
	f->ev = ev_new();
	ev_set_virtual(f->ev, 1000000);
	fx_router_init(f, &f->a, 0, xf, manual);
	fx_router_init(f, &f->b, 1, xf, manual);
}

/* config_free may be the stub (frees only the struct) or the real one: detach what we built. */
static void detach_cfg(struct config *c)
{
	free(c->ifaces);
	for (size_t i = 0; i < c->nacl; i++)
		free(c->acls[i].aces);
	free(c->acls);
	free(c->tsets);
	free(c->cmaps);
	c->ifaces = NULL;
	c->acls = NULL;
	c->tsets = NULL;
	c->cmaps = NULL;
	c->niface = c->nacl = c->ntset = c->ncmap = 0;
}

static void fx_router_free(struct fx_router *fr)
{
	for (int i = 0; i < 8; i++)
		if (registry[i] == fr)
			registry[i] = NULL;
	pktq_flush(&fr->out);
	pktq_flush(&fr->in);
	if (!fr->r)
		return;
	struct config *c = fr->r->cfg;
	/* ipsec_free walks the config; detach only after the modules are gone. */
	fr->r->log.tap = NULL;
	ipsec_free(fr->r);
	detach_cfg(c);
	router_free(fr->r);
	fr->r = NULL;
}

void fx_free(struct fx *f)
{
	fx_router_free(&f->a);
	fx_router_free(&f->b);
	ev_free(f->ev);
}

struct pkt *fx_icmp(uint32_t src, uint32_t dst, size_t len, uint16_t id)
{
	struct pkt *p = pkt_alloc();
	uint8_t *h = p->data;
	memset(h, 0, len);
	ipsec_ip_header(h, len, 0, false, id, 64, 1, src, dst);
	h[20] = 8;	/* echo request */
	wbuf_st16(h + 24, id);
	for (size_t i = 28; i < len; i++)
		h[i] = (uint8_t)i;
	wbuf_st16(h + 22, inet_cksum(h + 20, len - 20));
	p->len = len;
	return p;
}

int fx_carry(struct fx_router *from, struct fx_router *to)
{
	int n = 0;
	struct pkt *p;
	while ((p = pktq_pop(&from->out))) {
		ipsec_input(to->r, p);
		n++;
	}
	return n;
}

int fx_count(const struct pkt_queue *q) { return (int)q->n; }

bool fx_logged(const struct fx_router *fr, const char *needle)
{
	for (int i = 0; i < fr->nlog; i++)
		if (strstr(fr->log[i], needle))
			return true;
	return false;
}
