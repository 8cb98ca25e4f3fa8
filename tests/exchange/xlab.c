#include "xlab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/evloop.h"
#include "ike/ike.h"

/* The transport has no argument; tests are single-threaded, one bench at a time. */
static struct xlab *cur;

static int idx_of(struct xlab *x, struct router *r)
{
	return x->r[0] == r ? 0 : 1;
}

static int xmit(struct router *r, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
		const uint8_t *data, size_t len)
{
	struct xlab *x = cur;
	int from = idx_of(x, r);
	int n = x->sent[from]++;
	enum xl_verdict v = x->filter ? x->filter(x, from, n, data, len) : XL_PASS;
	if (len > ISAKMP_MAX_MSG)
		return -1;
	struct xl_dgram d = { from, src ? src : x->outside[from], dst, sport, dport, len, { 0 } };
	memcpy(d.data, data, len);
	if (x->tap)
		x->tap(x, &d);
	if (x->mutate)
		x->mutate(x, &d);	/* an attacker rewriting it in flight */
	if (v == XL_DROP) {
		x->dropped++;
		return 0;
	}
	for (int k = 0; k < (v == XL_DUP ? 2 : 1) && x->nq < XL_MAXQ; k++)
		x->q[x->nq++] = d;
	if (v == XL_DUP)
		x->duplicated++;
	return 0;
}

static void tap0(void *arg, const char *line)
{
	struct xlab *x = arg;
	size_t n = strlen(line);
	if (x->loglen[0] + n + 2 < sizeof(x->logs[0])) {
		memcpy(x->logs[0] + x->loglen[0], line, n);
		x->loglen[0] += n;
		x->logs[0][x->loglen[0]++] = '\n';
		x->logs[0][x->loglen[0]] = 0;
	}
}

static void tap1(void *arg, const char *line)
{
	struct xlab *x = arg;
	size_t n = strlen(line);
	if (x->loglen[1] + n + 2 < sizeof(x->logs[1])) {
		memcpy(x->logs[1] + x->loglen[1], line, n);
		x->loglen[1] += n;
		x->logs[1][x->loglen[1]++] = '\n';
		x->logs[1][x->loglen[1]] = 0;
	}
}

static uint32_t ip(int a, int b, int c, int d)
{
	return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | (uint32_t)d;
}

struct config *xl_config(int side, const struct xl_opts *o)
{
	struct config *c = config_new();
	uint32_t me = side ? ip(10, 2, 2, 2) : ip(10, 1, 1, 1);
	uint32_t peer = side ? ip(10, 1, 1, 1) : ip(10, 2, 2, 2);
	uint32_t in_me = side ? ip(10, 0, 2, 2) : ip(10, 0, 0, 1);
	uint32_t in_peer = side ? ip(10, 0, 0, 1) : ip(10, 0, 2, 2);
	snprintf(c->hostname, sizeof(c->hostname), "%s", side ? "ipsecb" : "ipseca");
	c->niface = 2;
	c->ifaces = calloc(2, sizeof(*c->ifaces));
	snprintf(c->ifaces[0].name, CFG_NAME_MAX, "%s", side ? "Ethernet1/0" : "FastEthernet0/0");
	c->ifaces[0].has_addr = true;
	c->ifaces[0].addr = me;
	c->ifaces[0].mask = 0xff000000u;
	snprintf(c->ifaces[0].crypto_map, CFG_NAME_MAX, "testtag1");
	snprintf(c->ifaces[1].name, CFG_NAME_MAX, "%s", side ? "Ethernet1/1" : "FastEthernet0/1");
	c->ifaces[1].has_addr = true;
	c->ifaces[1].addr = in_me;
	c->ifaces[1].mask = 0xff000000u;

	const struct cfg_isakmp_policy *pp = side ? &o->pol_b : &o->pol_a;
	c->npolicy = 1;
	c->policies = calloc(1, sizeof(*c->policies));
	if (pp->enc)
		c->policies[0] = *pp;
	else
		c->policies[0] = (struct cfg_isakmp_policy){ 1, IKE_ENC_DES, IKE_HASH_SHA1, IKE_AUTH_PSK, 1, 180 };

	c->nkey = 1;
	c->keys = calloc(1, sizeof(*c->keys));
	const char *psk = side ? o->psk_b : o->psk_a;
	snprintf(c->keys[0].key, CFG_KEY_MAX, "%s", psk ? psk : "1234");
	c->keys[0].addr = peer;
	c->keys[0].mask = 0xffffffffu;
	c->keys[0].enc_type = 0;

	const struct cfg_transform_set *ts = side ? &o->ts_b : &o->ts_a;
	c->ntset = 1;
	c->tsets = calloc(1, sizeof(*c->tsets));
	if (ts->name[0])
		c->tsets[0] = *ts;
	else
		c->tsets[0] = (struct cfg_transform_set){ "auth2", XF_AH_SHA1, XF_ENC_DES, 0, XF_AUTH_SHA1, false };

	c->nacl = 1;
	c->acls = calloc(1, sizeof(*c->acls));
	c->acls[0].number = 150;
	c->acls[0].nace = 1;
	c->acls[0].aces = calloc(1, sizeof(struct cfg_ace));
	c->acls[0].aces[0] = (struct cfg_ace){ .permit = true, .extended = true, .src = in_me,
					       .dst = in_peer };

	c->ncmap = 1;
	c->cmaps = calloc(1, sizeof(*c->cmaps));
	struct cfg_cmap_entry *e = &c->cmaps[0];
	snprintf(e->name, CFG_NAME_MAX, "testtag1");
	e->seq = 10;
	e->peers[0] = peer;
	e->npeers = 1;
	snprintf(e->tsets[0], CFG_NAME_MAX, "%s", c->tsets[0].name);
	e->ntsets = 1;
	e->acl = 150;
	e->pfs_group = side ? o->pfs_b : o->pfs_a;
	e->life_sec = side ? o->life_sec_b : o->life_sec_a;
	c->ipsec_life_sec = 3600;
	c->ipsec_life_kb = 4608000;
	c->isakmp_keepalive = o->keepalive;
	c->isakmp_keepalive_retry = 2;
	c->isakmp_keepalive_periodic = o->periodic;
	return c;
}

/* Frees what xl_config allocated, leaving a config any config_free can free. */
static void strip_config(struct config *c)
{
	for (size_t i = 0; i < c->nacl; i++)
		free(c->acls[i].aces);
	free(c->acls);
	free(c->ifaces);
	free(c->policies);
	free(c->keys);
	free(c->tsets);
	free(c->cmaps);
	c->acls = NULL;
	c->ifaces = NULL;
	c->policies = NULL;
	c->keys = NULL;
	c->tsets = NULL;
	c->cmaps = NULL;
	c->nacl = c->niface = c->npolicy = c->nkey = c->ntset = c->ncmap = 0;
}

static void make_router(struct xlab *x, int i, const struct xl_opts *o)
{
	struct router *r = router_new(x->ev, xl_config(i, o));
	r->log.tap = i ? tap1 : tap0;
	r->log.tap_arg = x;
	r->debug = DBG_ISAKMP | DBG_IPSEC;
	ike_set_xmit(r, xmit);
	ike_set_retransmit(r, 2000, 5);
	x->r[i] = r;
}

static void free_router(struct router *r)
{
	strip_config(r->cfg);
	router_free(r);
}

struct xlab *xl_new(const struct xl_opts *o)
{
	struct xlab *x = calloc(1, sizeof(*x));
	x->q = calloc(XL_MAXQ, sizeof(*x->q));
	x->ev = ev_new();
	ev_set_virtual(x->ev, 1000000);
	x->outside[0] = ip(10, 1, 1, 1);
	x->outside[1] = ip(10, 2, 2, 2);
	x->inside[0] = ip(10, 0, 0, 1);
	x->inside[1] = ip(10, 0, 2, 2);
	cur = x;
	make_router(x, 0, o);
	make_router(x, 1, o);
	return x;
}

void xl_reboot(struct xlab *x, int i, const struct xl_opts *o)
{
	free_router(x->r[i]);
	x->loglen[i] = 0;
	x->logs[i][0] = 0;
	make_router(x, i, o);
}

void xl_free(struct xlab *x)
{
	free_router(x->r[0]);
	free_router(x->r[1]);
	ev_free(x->ev);
	free(x->q);
	free(x);
	cur = NULL;
}

void xl_pump(struct xlab *x)
{
	for (int rounds = 0; x->nq && rounds < 1000; rounds++) {
		size_t n = x->nq;
		struct xl_dgram *batch = malloc(n * sizeof(*batch));
		memcpy(batch, x->q, n * sizeof(*batch));
		x->nq = 0;
		for (size_t k = 0; k < n; k++) {
			struct xl_dgram *d = &batch[x->reorder ? n - 1 - k : k];
			int to = 1 - d->from;
			if (d->dst != x->outside[to])
				continue;
			x->delivered++;
			ike_input_datagram(x->r[to], d->src, d->sport, d->dst, d->dport, d->data, d->len);
		}
		free(batch);
	}
}

void xl_run(struct xlab *x, uint64_t ms)
{
	for (uint64_t t = 0; t < ms; t += 100) {
		xl_pump(x);
		ev_advance(x->ev, 100);
	}
	xl_pump(x);
}

struct ipsec_flow xl_flow(const struct xlab *x, int i)
{
	struct ipsec_flow f = { x->inside[i], 0xffffffffu, x->inside[1 - i], 0xffffffffu, 0, 0, 0 };
	return f;
}

void xl_acquire(struct xlab *x, int i)
{
	struct ipsec_flow f = xl_flow(x, i);
	const struct cfg_cmap_entry *e = &x->r[i]->cfg->cmaps[0];
	ike_km_ops()->acquire(x->r[i], e, &f, x->outside[i], x->outside[1 - i]);
}

struct ike_state *xl_ike(const struct xlab *x, int i) { return x->r[i]->ike; }

int xl_nrecords(const struct xlab *x, int i)
{
	int n = 0;
	for (int k = 0; k < IKE_MAX_RECORDS; k++)
		n += x->r[i]->ike->rec[k].used;
	return n;
}

const struct ike_record *xl_record(const struct xlab *x, int i, int nth)
{
	for (int k = 0; k < IKE_MAX_RECORDS; k++)
		if (x->r[i]->ike->rec[k].used && nth-- == 0)
			return &x->r[i]->ike->rec[k];
	return NULL;
}

struct ike_sa *xl_sa(const struct xlab *x, int i)
{
	return ike_sa_find_peer(x->r[i]->ike, x->outside[1 - i]);
}

bool xl_log_has(const struct xlab *x, int i, const char *needle)
{
	return strstr(x->logs[i], needle) != NULL;
}

bool xl_crosswise(const struct xlab *x)
{
	if (xl_nrecords(x, 0) != 1 || xl_nrecords(x, 1) != 1)
		return false;
	const struct ike_record *a = xl_record(x, 0, 0), *b = xl_record(x, 1, 0);
	/* The SADB agrees with our records: each side can send on the other's SPIs. */
	if (!sadb_has_outbound_spi(x->r[0], x->outside[1], 51, a->ah_spi_out) ||
	    !sadb_has_outbound_spi(x->r[0], x->outside[1], 50, a->esp_spi_out) ||
	    !sadb_has_outbound_spi(x->r[1], x->outside[0], 51, b->ah_spi_out) ||
	    !sadb_has_outbound_spi(x->r[1], x->outside[0], 50, b->esp_spi_out))
		return false;
	return a->has_ah && b->has_ah && a->has_esp && b->has_esp && a->ah_spi_in == b->ah_spi_out &&
	       a->ah_spi_out == b->ah_spi_in && a->esp_spi_in == b->esp_spi_out &&
	       a->esp_spi_out == b->esp_spi_in && a->key_fp[0] == b->key_fp[1] &&
	       a->key_fp[1] == b->key_fp[0] && a->key_fp[2] == b->key_fp[3] &&
	       a->key_fp[3] == b->key_fp[2] && a->ah_spi_in != a->ah_spi_out &&
	       a->flow.local == b->flow.remote && a->flow.remote == b->flow.local;
}
