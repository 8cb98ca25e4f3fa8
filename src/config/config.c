/*
 * The config model: IOS defaults, lookups for the rest of the router, and
 * the running-config order list (where each top-level block sits, so lines
 * we keep but do not act on stay in their place and new objects land where
 * IOS would print them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include <openssl/crypto.h>

#include "config/cfg_int.h"
#include "config/load.h"

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);
	if (!p)
		abort();
	return p;
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		abort();
	return q;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);
	if (!d)
		abort();
	return d;
}

struct config *config_new_empty(void)
{
	struct config *c = xcalloc(1, sizeof(*c));
	snprintf(c->hostname, sizeof(c->hostname), "Router");
	c->isr.enabled = false;
	c->isr.holddown_sec = 10;
	c->isr.notify_holddown_sec = 1;
	c->isr.budget_per_sec = 10;
	c->isr.max_pending = 64;
	c->isr.restore_phase2 = true;
	c->isr.contact_on_start = false;
	c->isakmp_keepalive = 0;
	c->isakmp_keepalive_retry = 2;
	c->isakmp_keepalive_periodic = false;
	c->nat_keepalive = 0;
	c->natt_enabled = true;
	c->ipsec_life_sec = CFG_IPSEC_LIFE_SEC_DEFAULT;
	c->ipsec_life_kb = CFG_IPSEC_LIFE_KB_DEFAULT;
	c->replay_window = 64;
	c->logging_buffered = true;
	c->logging_buffer_size = LOG_BUFFER_DEFAULT;
	c->logging_buffered_level = LOG_BUFFERED_LEVEL_DEFAULT;
	c->logging_trap = LOG_TRAP_LEVEL_DEFAULT;
	c->logging_console = true;
	c->logging_console_level = LOG_CONSOLE_LEVEL_DEFAULT;
	c->stamp_log = log_stamp_default;
	c->stamp_debug = log_stamp_default;
	c->logging_facility = LOG_FACILITY_DEFAULT;
	c->order = xcalloc(1, sizeof(struct cfg_order));
	return c;
}

struct config *config_new(void)
{
	struct config *c = config_new_empty();
	cfg_order_add_bang(c, "!");
	cfg_order_touch(c, true, ORD_HOSTNAME, "");
	cfg_order_add_bang(c, "!");
	return c;
}

void cfg_opaque_clear(struct cfg_opaque *o)
{
	free(o->text);
	for (size_t i = 0; i < o->nsub; i++)
		free(o->sub[i]);
	free(o->sub);
	memset(o, 0, sizeof(*o));
}

void cfg_opaque_add_sub(struct cfg_opaque *o, const char *line)
{
	o->sub = xrealloc(o->sub, sizeof(*o->sub) * (o->nsub + 1));
	o->sub[o->nsub++] = xstrdup(line);
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->niface; i++)
		cfg_opaque_clear(&cfg->ifaces[i].extra);
	free(cfg->ifaces);
	free(cfg->routes);
	for (size_t i = 0; i < cfg->nacl; i++) {
		for (size_t j = 0; j < cfg->acls[i].nace; j++)
			free(cfg->acls[i].aces[j].remark);
		free(cfg->acls[i].aces);
	}
	free(cfg->acls);
	for (size_t i = 0; i < cfg->npolicy; i++)
		cfg_opaque_clear(&cfg->policies[i].extra);
	free(cfg->policies);
	if (cfg->keys)
		OPENSSL_cleanse(cfg->keys, sizeof(*cfg->keys) * cfg->nkey);
	free(cfg->keys);
	for (size_t i = 0; i < cfg->ntset; i++)
		cfg_opaque_clear(&cfg->tsets[i].extra);
	free(cfg->tsets);
	for (size_t i = 0; i < cfg->ncmap; i++)
		cfg_opaque_clear(&cfg->cmaps[i].extra);
	if (cfg->cmaps)
		OPENSSL_cleanse(cfg->cmaps, sizeof(*cfg->cmaps) * cfg->ncmap);
	free(cfg->cmaps);
	for (size_t i = 0; i < cfg->nopaque; i++)
		cfg_opaque_clear(&cfg->opaque[i]);
	free(cfg->opaque);
	cfg_v2_free(cfg);
	cfg_order_free(cfg);
	free(cfg);
}

/* ---- lookups ---- */

const struct cfg_iface *config_iface(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->niface; i++)
		if (strcasecmp(cfg->ifaces[i].name, name) == 0)
			return &cfg->ifaces[i];
	return NULL;
}

const struct cfg_acl *config_acl(const struct config *cfg, int number)
{
	for (size_t i = 0; i < cfg->nacl; i++)
		if (cfg->acls[i].number == number)
			return &cfg->acls[i];
	return NULL;
}

const struct cfg_transform_set *config_tset(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->ntset; i++)
		if (strcmp(cfg->tsets[i].name, name) == 0)
			return &cfg->tsets[i];
	return NULL;
}

const struct cfg_cmap_entry *config_cmap_entry(const struct config *cfg, const char *name, int seq)
{
	for (size_t i = 0; i < cfg->ncmap; i++)
		if (cfg->cmaps[i].seq == seq && strcmp(cfg->cmaps[i].name, name) == 0)
			return &cfg->cmaps[i];
	return NULL;
}

uint32_t config_cmap_life_sec(const struct config *cfg, const struct cfg_cmap_entry *e)
{
	if (e && e->life_sec)
		return e->life_sec;
	return cfg->ipsec_life_sec ? cfg->ipsec_life_sec : CFG_IPSEC_LIFE_SEC_DEFAULT;
}

uint32_t config_cmap_life_kb(const struct config *cfg, const struct cfg_cmap_entry *e)
{
	if (e && e->life_kb)
		return e->life_kb;
	return cfg->ipsec_life_kb ? cfg->ipsec_life_kb : CFG_IPSEC_LIFE_KB_DEFAULT;
}

const struct cfg_isakmp_key *config_key_for(const struct config *cfg, uint32_t peer)
{
	const struct cfg_isakmp_key *best = NULL;
	for (size_t i = 0; i < cfg->nkey; i++) {
		const struct cfg_isakmp_key *k = &cfg->keys[i];
		if ((peer & k->mask) == (k->addr & k->mask) && (!best || k->mask > best->mask))
			best = k;
	}
	return best;
}

bool config_is_static_peer(const struct config *cfg, uint32_t addr)
{
	for (size_t i = 0; i < cfg->ncmap; i++)
		for (size_t j = 0; j < cfg->cmaps[i].npeers; j++)
			if (cfg->cmaps[i].peers[j] == addr)
				return true;
	return false;
}

struct cfg_iface *cfg_iface_get(struct config *cfg, const char *name)
{
	return (struct cfg_iface *)config_iface(cfg, name);
}

struct cfg_acl *cfg_acl_get(struct config *cfg, int number)
{
	return (struct cfg_acl *)config_acl(cfg, number);
}

struct cfg_transform_set *cfg_tset_get(struct config *cfg, const char *name)
{
	return (struct cfg_transform_set *)config_tset(cfg, name);
}

struct cfg_isakmp_policy *cfg_policy_get(struct config *cfg, int prio)
{
	for (size_t i = 0; i < cfg->npolicy; i++)
		if (cfg->policies[i].priority == prio)
			return &cfg->policies[i];
	return NULL;
}

struct cfg_cmap_entry *cfg_cmap_get(struct config *cfg, const char *name, int seq)
{
	for (size_t i = 0; i < cfg->ncmap; i++)
		if (cfg->cmaps[i].seq == seq && strcmp(cfg->cmaps[i].name, name) == 0)
			return &cfg->cmaps[i];
	return NULL;
}

struct cfg_iface *cfg_cur_iface(struct cli_ctx *ctx)
{
	return ctx->mode_obj = cfg_iface_get(ctx->cfg, ctx->mode_key);
}

struct cfg_isakmp_policy *cfg_cur_policy(struct cli_ctx *ctx)
{
	return ctx->mode_obj = cfg_policy_get(ctx->cfg, atoi(ctx->mode_key));
}

struct cfg_cmap_entry *cfg_cur_cmap(struct cli_ctx *ctx)
{
	char name[CFG_NAME_MAX];
	int seq;
	if (sscanf(ctx->mode_key, "%63s %d", name, &seq) != 2)
		return ctx->mode_obj = NULL;
	return ctx->mode_obj = cfg_cmap_get(ctx->cfg, name, seq);
}

struct cfg_transform_set *cfg_cur_tset(struct cli_ctx *ctx)
{
	return ctx->mode_obj = cfg_tset_get(ctx->cfg, ctx->mode_key);
}

bool cfg_strcpy(char *dst, size_t n, const char *src)
{
	size_t l = strlen(src);
	if (l >= n)
		return false;
	memcpy(dst, src, l + 1);
	return true;
}

/* ---- running-config order ---- */

static struct cfg_order *ord(const struct config *cfg) { return cfg->order; }

/* Where IOS prints each kind of block (lower first). */
static int kind_rank(enum ord_kind k)
{
	switch (k) {
	case ORD_HOSTNAME: return 30;
	case ORD_LOGGING: return 40;
	case ORD_TIMESTAMPS: return 20;
	case ORD_V2_PROPOSAL: return 191;	/* IOS prints crypto ikev2 before isakmp */
	case ORD_V2_POLICY: return 192;
	case ORD_V2_KEYRING: return 193;
	case ORD_V2_PROFILE: return 194;
	case ORD_V2_QCD: return 195;
	case ORD_V2_FRAG: return 196;
	case ORD_V2_COOKIE: return 197;
	case ORD_POLICY: return 200;
	case ORD_KEYS: return 210;
	case ORD_ISR: return 220;
	case ORD_KEEPALIVE: return 230;
	case ORD_NATKA: return 240;
	case ORD_IPSEC_LIFE: return 250;
	case ORD_REPLAY: return 255;
	case ORD_NATT: return 260;
	case ORD_TSET: return 270;
	case ORD_CMAP: return 280;
	case ORD_IFACE: return 400;
	case ORD_ROUTES: return 510;
	case ORD_ACL: return 600;
	default: return -1;
	}
}

static bool starts(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

/* Lines we keep verbatim still tell us where they belong. */
static int opaque_rank(const char *t)
{
	if (starts(t, "no "))
		t += 3;
	static const struct {
		const char *p;
		int rank;
	} tab[] = {
		{ "version", 10 },	{ "service", 20 },	{ "hostname", 30 },
		{ "boot", 35 },		{ "logging", 40 },	{ "enable", 50 },
		{ "username", 55 },	{ "aaa", 60 },		{ "clock", 70 },
		{ "ip classless", 500 }, { "ip http", 520 },	{ "ip ", 100 },
		{ "voice", 150 },	{ "mta", 160 },		{ "crypto", 190 },
		{ "controller", 350 },	{ "dialer-list", 610 }, { "snmp-server", 650 },
		{ "call", 700 },	{ "mgcp", 710 },	{ "dial-peer", 720 },
		{ "gatekeeper", 730 },	{ "control-plane", 800 }, { "line", 900 },
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (starts(t, tab[i].p))
			return tab[i].rank;
	return -1;
}

static int item_rank(const struct config *cfg, const struct ord_item *it)
{
	if (it->kind == ORD_OPAQUE)
		return it->idx < cfg->nopaque ? opaque_rank(cfg->opaque[it->idx].text) : -1;
	return kind_rank(it->kind);
}

static void insert_at(struct config *cfg, size_t pos, const struct ord_item *it)
{
	struct cfg_order *o = ord(cfg);
	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 32;
		o->v = xrealloc(o->v, sizeof(*o->v) * o->cap);
	}
	memmove(&o->v[pos + 1], &o->v[pos], sizeof(*o->v) * (o->n - pos));
	o->v[pos] = *it;
	o->n++;
}

static struct ord_item bang_item(void)
{
	struct ord_item b = { .kind = ORD_BANG };
	b.text = xstrdup("!");
	return b;
}

void cfg_order_add_bang(struct config *cfg, const char *text)
{
	struct ord_item b = { .kind = ORD_BANG };
	b.text = xstrdup(text);
	insert_at(cfg, ord(cfg)->n, &b);
}

void cfg_order_add_opaque(struct config *cfg, size_t idx)
{
	struct ord_item it = { .kind = ORD_OPAQUE, .idx = idx };
	insert_at(cfg, ord(cfg)->n, &it);
}

bool cfg_order_has(const struct config *cfg, enum ord_kind kind, const char *key)
{
	const struct cfg_order *o = ord(cfg);
	for (size_t i = 0; i < o->n; i++)
		if (o->v[i].kind == kind && strcmp(o->v[i].key, key) == 0)
			return true;
	return false;
}

/* Blocks that IOS separates with "!" lines. */
static bool is_block(enum ord_kind k)
{
	return k == ORD_POLICY || k == ORD_TSET || k == ORD_CMAP || k == ORD_IFACE ||
	       k == ORD_V2_PROPOSAL || k == ORD_V2_POLICY || k == ORD_V2_KEYRING || k == ORD_V2_PROFILE;
}

/* Sort order within a kind, as IOS lists them. */
static int key_cmp(enum ord_kind k, const char *a, const char *b)
{
	if (k == ORD_POLICY || k == ORD_ACL)
		return atoi(a) - atoi(b);
	if (k == ORD_CMAP) {
		char na[CFG_NAME_MAX], nb[CFG_NAME_MAX];
		int sa = 0, sb = 0;
		if (sscanf(a, "%63s %d", na, &sa) != 2 || sscanf(b, "%63s %d", nb, &sb) != 2)
			return strcmp(a, b);
		int c = strcmp(na, nb);
		return c ? c : sa - sb;
	}
	return 0;	/* interfaces, transform sets: in creation order */
}

void cfg_order_touch(struct config *cfg, bool loading, enum ord_kind kind, const char *key)
{
	if (cfg_order_has(cfg, kind, key))
		return;
	struct cfg_order *o = ord(cfg);
	struct ord_item it = { .kind = kind };
	snprintf(it.key, sizeof(it.key), "%s", key);
	if (loading) {
		insert_at(cfg, o->n, &it);
		return;
	}
	bool block = is_block(kind);
	/* among its own kind: before the first greater, else after the last */
	ssize_t last = -1;
	for (size_t i = 0; i < o->n; i++) {
		if (o->v[i].kind != kind)
			continue;
		if (key_cmp(kind, key, o->v[i].key) < 0) {
			it.bang_side = block ? 1 : 0;
			insert_at(cfg, i, &it);
			if (block) {
				struct ord_item b = bang_item();
				insert_at(cfg, i + 1, &b);
			}
			return;
		}
		last = (ssize_t)i;
	}
	if (last >= 0) {
		size_t pos = (size_t)last + 1;
		if (block) {
			struct ord_item b = bang_item();
			insert_at(cfg, pos++, &b);
			it.bang_side = -1;
		}
		insert_at(cfg, pos, &it);
		return;
	}
	/* a kind not yet present: before the first thing IOS prints after it */
	int r = kind_rank(kind);
	size_t pos = o->n;
	for (size_t i = 0; i < o->n; i++) {
		int ir = item_rank(cfg, &o->v[i]);
		if (ir > r) {
			pos = i;
			break;
		}
	}
	bool bang = block || pos == o->n;
	it.bang_side = bang ? 1 : 0;
	insert_at(cfg, pos, &it);
	if (bang) {
		struct ord_item b = bang_item();
		insert_at(cfg, pos + 1, &b);
	}
}

static void remove_at(struct cfg_order *o, size_t i)
{
	free(o->v[i].text);
	memmove(&o->v[i], &o->v[i + 1], sizeof(*o->v) * (o->n - i - 1));
	o->n--;
}

void cfg_order_remove(struct config *cfg, enum ord_kind kind, const char *key)
{
	struct cfg_order *o = ord(cfg);
	for (size_t i = 0; i < o->n; i++) {
		if (o->v[i].kind != kind || strcmp(o->v[i].key, key) != 0)
			continue;
		int side = o->v[i].bang_side;
		remove_at(o, i);
		/* take the separator that came with it; a block loaded from a
		 * file leaves a "!" pair behind, of which one goes */
		if (side > 0 && i < o->n && o->v[i].kind == ORD_BANG)
			remove_at(o, i);
		else if (side < 0 && i > 0 && o->v[i - 1].kind == ORD_BANG)
			remove_at(o, i - 1);
		else if (!side && is_block(kind) && i < o->n && i > 0 && o->v[i].kind == ORD_BANG &&
			 o->v[i - 1].kind == ORD_BANG)
			remove_at(o, i);
		return;
	}
}

void cfg_order_free(struct config *cfg)
{
	struct cfg_order *o = ord(cfg);
	if (!o)
		return;
	for (size_t i = 0; i < o->n; i++)
		free(o->v[i].text);
	free(o->v);
	free(o);
	cfg->order = NULL;
}
