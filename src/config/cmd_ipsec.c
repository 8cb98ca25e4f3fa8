/* crypto ipsec ... and crypto map ...: transform sets (with IOS's
 * combination rules), global SA settings, crypto map entries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "config/cfg_int.h"
#include "config/transform.h"

/* ---- transform names: all from the one table (config/transform.h) ---- */

static const char *or_empty(const char *s) { return s ? s : ""; }
const char *cfg_xf_ah_name(enum cfg_xf_ah x) { return or_empty(xf_ah_cfg_name(x)); }
const char *cfg_xf_enc_name(enum cfg_xf_enc x) { return or_empty(xf_enc_cfg_name(x)); }
const char *cfg_xf_auth_name(enum cfg_xf_auth x) { return or_empty(xf_auth_cfg_name(x)); }

#define XF_SPEC                                                                                    \
	"{ ah-md5-hmac | ah-sha-hmac | ah-sha256-hmac | ah-sha384-hmac | ah-sha512-hmac | esp-des | " \
	"esp-3des | esp-aes [ 128 | 192 | 256 ] | esp-gcm [ 128 | 192 | 256 ] | esp-null | "          \
	"esp-md5-hmac | esp-sha-hmac | esp-sha256-hmac | esp-sha384-hmac | esp-sha512-hmac }"

static bool keys_fit(struct cli_ctx *ctx, const struct cfg_cmap_entry *e,
		     const struct cfg_transform_set *ts);

/* Redefining a set: every ipsec-manual map entry that uses it must still fit. */
static bool manual_users_fit(struct cli_ctx *ctx, const struct cfg_transform_set *ts)
{
	for (size_t i = 0; i < ctx->cfg->ncmap; i++) {
		const struct cfg_cmap_entry *e = &ctx->cfg->cmaps[i];
		for (size_t j = 0; e->manual && j < e->ntsets; j++)
			if (!strcmp(e->tsets[j], ts->name) && !keys_fit(ctx, e, ts))
				return false;
	}
	return true;
}

static int tset_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_transform_set ts;
	memset(&ts, 0, sizeof(ts));
	if (!cfg_strcpy(ts.name, sizeof(ts.name), a->argv[3]))
		return cmd_bad(ctx, a, 3);
	for (int i = 4; i < a->argc; i++) {
		const char *w = a->argv[i];
		int x;
		if ((x = (int)xf_ah_by_cfg_name(w))) {
			if (ts.ah)
				return cmd_bad(ctx, a, i);
			ts.ah = (enum cfg_xf_ah)x;
		} else if ((x = (int)xf_enc_by_cfg_name(w))) {
			if (ts.esp_enc || (x == XF_ENC_GCM && ts.esp_auth))
				return cmd_bad(ctx, a, i);
			ts.esp_enc = (enum cfg_xf_enc)x;
			if ((x == XF_ENC_AES || x == XF_ENC_GCM) && i + 1 < a->argc &&
			    (strcmp(a->argv[i + 1], "128") == 0 || strcmp(a->argv[i + 1], "192") == 0 ||
			     strcmp(a->argv[i + 1], "256") == 0))
				ts.esp_keybits = (uint16_t)atoi(a->argv[++i]);
		} else if ((x = (int)xf_auth_by_cfg_name(w))) {
			if (ts.esp_auth || ts.esp_enc == XF_ENC_GCM)
				return cmd_bad(ctx, a, i);
			ts.esp_auth = (enum cfg_xf_auth)x;
		} else {
			return cmd_bad(ctx, a, i);
		}
	}
	/* esp-null alone protects nothing */
	if (ts.esp_enc == XF_ENC_NULL && !ts.esp_auth && !ts.ah)
		return cmd_bad(ctx, a, a->argc - 1);
	struct config *c = ctx->cfg;
	struct cfg_transform_set *old = cfg_tset_get(c, ts.name);
	/* A file is checked whole after the load (cfg_check_cmaps). */
	if (old && !ctx->loading && !manual_users_fit(ctx, &ts))
		return -1;
	if (old) {
		/* redefining keeps the mode and the kept sub-lines */
		ts.transport = old->transport;
		ts.extra = old->extra;
		*old = ts;
	} else {
		struct cfg_transform_set *n = realloc(c->tsets, sizeof(*n) * (c->ntset + 1));
		if (!n)
			abort();
		c->tsets = n;
		c->tsets[c->ntset++] = ts;
	}
	cfg_order_touch(c, ctx->loading, ORD_TSET, ts.name);
	ctx->mode = MODE_CONFIG_TSET;
	snprintf(ctx->mode_key, sizeof(ctx->mode_key), "%s", ts.name);
	cfg_cur_tset(ctx);
	return 0;
}

static int no_tset_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	if (a->argc < 4) {
		sb_puts(ctx->out, "% Incomplete command.\n\n");
		return -1;
	}
	struct config *c = ctx->cfg;
	struct cfg_transform_set *ts = cfg_tset_get(c, a->argv[3]);
	if (!ts)
		return 0;
	cfg_opaque_clear(&ts->extra);
	size_t i = (size_t)(ts - c->tsets);
	memmove(ts, ts + 1, sizeof(*ts) * (c->ntset - i - 1));
	c->ntset--;
	cfg_order_remove(c, ORD_TSET, a->argv[3]);
	return 0;
}

static int mode_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_transform_set *ts = cfg_cur_tset(ctx);
	if (!ts) {
		sb_printf(ctx->out, "%% Transform set %s no longer exists\n", ctx->mode_key);
		return -1;
	}
	ts->transport = !a->negated && a->argc > 1 && strcmp(a->argv[1], "transport") == 0;
	return 0;
}

/* ---- global SA settings ---- */

static int natt_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	ctx->cfg->natt_enabled = !a->negated;
	cfg_order_touch(ctx->cfg, ctx->loading, ORD_NATT, "");
	return 0;
}

static int sa_lifetime_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct config *c = ctx->cfg;
	if (a->negated && a->argc < 5) {
		c->ipsec_life_sec = CFG_IPSEC_LIFE_SEC_DEFAULT;
		c->ipsec_life_kb = CFG_IPSEC_LIFE_KB_DEFAULT;
		return 0;
	}
	uint32_t v = 0;
	if (!a->negated && !cmd_parse_u32(a->argv[5], &v))
		return cmd_bad(ctx, a, 5);
	if (strcmp(a->argv[4], "seconds") == 0)
		c->ipsec_life_sec = a->negated ? CFG_IPSEC_LIFE_SEC_DEFAULT : v;
	else
		c->ipsec_life_kb = a->negated ? CFG_IPSEC_LIFE_KB_DEFAULT : v;
	cfg_order_touch(c, ctx->loading, ORD_IPSEC_LIFE, "");
	return 0;
}

static int replay_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	uint32_t v = 64;
	if (!a->negated && a->argc > 5)
		v = (uint32_t)atoi(a->argv[5]);
	ctx->cfg->replay_window = v;
	cfg_order_touch(ctx->cfg, ctx->loading, ORD_REPLAY, "");
	return 0;
}

/* ---- crypto map ---- */

static int cmap_cmp(const struct cfg_cmap_entry *x, const char *name, int seq)
{
	int c = strcmp(x->name, name);
	return c ? c : x->seq - seq;
}

static int cmap_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct config *c = ctx->cfg;
	const char *name = a->argv[2];
	uint32_t seq;
	if (strlen(name) >= CFG_NAME_MAX)
		return cmd_bad(ctx, a, 2);
	if (!cmd_parse_u32(a->argv[3], &seq))
		return cmd_bad(ctx, a, 3);
	bool manual = a->argc > 4 && strcmp(a->argv[4], "ipsec-manual") == 0;
	struct cfg_cmap_entry *e = cfg_cmap_get(c, name, (int)seq);
	if (e) {
		if (a->argc > 4 && e->manual != manual) {
			sb_printf(ctx->out, "%% Crypto map %s %u already exists with a different type\n",
				  name, seq);
			return -1;
		}
	} else {
		struct cfg_cmap_entry *n = realloc(c->cmaps, sizeof(*n) * (c->ncmap + 1));
		if (!n)
			abort();
		c->cmaps = n;
		size_t i = 0;
		while (i < c->ncmap && cmap_cmp(&c->cmaps[i], name, (int)seq) < 0)
			i++;
		memmove(&c->cmaps[i + 1], &c->cmaps[i], sizeof(*n) * (c->ncmap - i));
		c->ncmap++;
		e = &c->cmaps[i];
		memset(e, 0, sizeof(*e));
		snprintf(e->name, sizeof(e->name), "%s", name);
		e->seq = (int)seq;
		e->manual = manual;
		if (!manual && !ctx->loading)
			sb_puts(ctx->out, "% NOTE: This new crypto map will remain disabled until a peer "
					  "and a valid access list have been configured.\n");
	}
	char key[CFG_NAME_MAX + 16];
	snprintf(key, sizeof(key), "%s %u", name, seq);
	cfg_order_touch(c, ctx->loading, ORD_CMAP, key);
	ctx->mode = MODE_CONFIG_CMAP;
	snprintf(ctx->mode_key, sizeof(ctx->mode_key), "%s", key);
	cfg_cur_cmap(ctx);
	return 0;
}

static void cmap_del(struct config *c, struct cfg_cmap_entry *e)
{
	char key[CFG_NAME_MAX + 16];
	snprintf(key, sizeof(key), "%s %d", e->name, e->seq);
	cfg_order_remove(c, ORD_CMAP, key);
	cfg_opaque_clear(&e->extra);
	OPENSSL_cleanse(e, sizeof(*e));
	size_t i = (size_t)(e - c->cmaps);
	memmove(e, e + 1, sizeof(*e) * (c->ncmap - i - 1));
	c->ncmap--;
}

static int no_cmap_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct config *c = ctx->cfg;
	if (a->argc < 3) {
		sb_puts(ctx->out, "% Incomplete command.\n\n");
		return -1;
	}
	uint32_t seq = 0;
	if (a->argc > 3 && !cmd_parse_u32(a->argv[3], &seq))
		return cmd_bad(ctx, a, 3);
	for (size_t i = 0; i < c->ncmap;) {
		struct cfg_cmap_entry *e = &c->cmaps[i];
		if (strcmp(e->name, a->argv[2]) == 0 && (a->argc < 4 || e->seq == (int)seq))
			cmap_del(c, e);
		else
			i++;
	}
	return 0;
}

static struct cfg_cmap_entry *cur(struct cli_ctx *ctx)
{
	struct cfg_cmap_entry *e = cfg_cur_cmap(ctx);
	if (!e)
		sb_printf(ctx->out, "%% Crypto map %s no longer exists\n", ctx->mode_key);
	return e;
}

static int set_peer_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_cmap_entry *e = cur(ctx);
	if (!e)
		return -1;
	if (a->negated && a->argc < 3) {
		e->npeers = 0;
		return 0;
	}
	uint32_t ip;
	if (!cmd_parse_ip(a->argv[2], &ip))
		return cmd_bad(ctx, a, 2);
	size_t j = 0;
	bool have = false;
	for (size_t i = 0; i < e->npeers; i++) {
		if (e->peers[i] == ip)
			have = true;
		if (!(a->negated && e->peers[i] == ip))
			e->peers[j++] = e->peers[i];
	}
	e->npeers = j;
	if (a->negated || have)
		return 0;
	if (e->npeers >= CFG_MAX_PEERS || (e->manual && e->npeers >= 1)) {
		sb_puts(ctx->out, e->manual ? "% A manual crypto map can have only one peer\n"
					    : "% Too many peers (at most 8)\n");
		return cmd_bad(ctx, a, 2);
	}
	e->peers[e->npeers++] = ip;
	return 0;
}

/*
 * A manual map's transform set must be one manual keys may use (the table's
 * manual_ok column), and its keys must fit the set, when both are known.
 */
static bool keys_fit(struct cli_ctx *ctx, const struct cfg_cmap_entry *e, const struct cfg_transform_set *ts)
{
	char why[256];
	if (xf_manual_check(ts, why, sizeof(why)) < 0) {
		sb_printf(ctx->out, "%s\n", why);
		return false;
	}
	for (int d = 0; d < 2; d++) {
		const struct cfg_session_key *k = &e->esp_key[d];
		if (k->set) {
			size_t need = xf_enc_keylen(ts);
			if (need != k->cipher_len && ts->esp_enc) {
				sb_printf(ctx->out, "%% %s needs a %zu-byte cipher key, %zu given\n",
					  cfg_xf_enc_name(ts->esp_enc), need, k->cipher_len);
				return false;
			}
			size_t an = xf_esp_auth_keylen(ts);
			if (ts->esp_auth && an != k->auth_len) {
				sb_printf(ctx->out, "%% %s needs a %zu-byte authenticator key, %zu given\n",
					  cfg_xf_auth_name(ts->esp_auth), an, k->auth_len);
				return false;
			}
		}
		const struct cfg_session_key *h = &e->ah_key[d];
		if (h->set && ts->ah) {
			size_t an = xf_ah_keylen(ts);
			if (an != h->auth_len) {
				sb_printf(ctx->out, "%% %s needs a %zu-byte key, %zu given\n",
					  cfg_xf_ah_name(ts->ah), an, h->auth_len);
				return false;
			}
		}
	}
	return true;
}

int cfg_check_cmaps(struct config *cfg, const char *name, struct strbuf *err)
{
	struct strbuf msg;
	sb_init(&msg);
	struct cli_ctx ctx;
	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = cfg;
	ctx.out = &msg;
	for (size_t i = 0; i < cfg->ncmap; i++) {
		const struct cfg_cmap_entry *e = &cfg->cmaps[i];
		for (size_t j = 0; j < e->ntsets; j++) {
			const struct cfg_transform_set *ts = config_tset(cfg, e->tsets[j]);
			if (!ts)
				sb_printf(&msg, "ERROR: transform set with tag \"%s\" does not exist.\n", e->tsets[j]);
			else if (e->manual)
				keys_fit(&ctx, e, ts);
			if (msg.len) {
				if (err)
					sb_printf(err, "%s:%d: %s", name, e->key_lineno, sb_str(&msg));
				sb_free(&msg);
				return -1;
			}
		}
	}
	sb_free(&msg);
	return 0;
}

static int set_tset_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_cmap_entry *e = cur(ctx);
	if (!e)
		return -1;
	if (a->negated) {
		e->ntsets = 0;
		return 0;
	}
	struct cfg_cmap_entry tmp = *e;
	tmp.ntsets = 0;
	for (int i = 2; i < a->argc; i++) {
		const struct cfg_transform_set *ts = config_tset(ctx->cfg, a->argv[i]);
		/* a file may name a set defined further down: checked after the load */
		if (!ts && ctx->loading) {
			snprintf(tmp.tsets[tmp.ntsets++], CFG_NAME_MAX, "%s", a->argv[i]);
			continue;
		}
		if (!ts) {
			sb_printf(ctx->out, "ERROR: transform set with tag \"%s\" does not exist.\n", a->argv[i]);
			return cmd_bad(ctx, a, i);
		}
		if (e->manual && !ctx->loading && !keys_fit(ctx, e, ts))
			return cmd_bad(ctx, a, i);
		snprintf(tmp.tsets[tmp.ntsets++], CFG_NAME_MAX, "%s", a->argv[i]);
	}
	memcpy(e->tsets, tmp.tsets, sizeof(e->tsets));
	e->ntsets = tmp.ntsets;
	e->key_lineno = ctx->lineno;
	OPENSSL_cleanse(&tmp, sizeof(tmp));
	return 0;
}

static int set_pfs_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_cmap_entry *e = cur(ctx);
	if (!e)
		return -1;
	if (a->negated)
		e->pfs_group = 0;
	else
		e->pfs_group = a->argc > 2 ? atoi(a->argv[2] + 5) : 1;	/* "groupN"; bare = group1 */
	return 0;
}

static int set_life_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_cmap_entry *e = cur(ctx);
	if (!e)
		return -1;
	if (a->negated && a->argc < 4) {
		e->life_sec = e->life_kb = 0;
		return 0;
	}
	uint32_t v = 0;
	if (!a->negated && !cmd_parse_u32(a->argv[4], &v))
		return cmd_bad(ctx, a, 4);
	if (strcmp(a->argv[3], "seconds") == 0)
		e->life_sec = v;
	else
		e->life_kb = v;
	return 0;
}

static int match_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_cmap_entry *e = cur(ctx);
	if (!e)
		return -1;
	uint32_t v = 0;
	if (!a->negated && !cmd_parse_u32(a->argv[2], &v))
		return cmd_bad(ctx, a, 2);
	e->acl = (int)v;
	return 0;
}

static int cmap_desc_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_cmap_entry *e = cur(ctx);
	if (!e)
		return -1;
	if (a->negated) {
		e->description[0] = '\0';
		return 0;
	}
	if (!cfg_strcpy(e->description, sizeof(e->description), a->argv[1]))
		return cmd_bad(ctx, a, 1);
	return 0;
}

static bool hex_decode(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = strlen(s);
	if (n % 2 || n / 2 > cap || n == 0)
		return false;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return false;
		out[i] = (uint8_t)v;
	}
	*len = n / 2;
	return true;
}

/* set session-key {inbound|outbound} {esp SPI [cipher HEX] [authenticator HEX] | ah SPI HEX} */
static int session_key_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_cmap_entry *e = cur(ctx);
	if (!e)
		return -1;
	if (a->negated && a->argc < 3) {
		OPENSSL_cleanse(e->esp_key, sizeof(e->esp_key));
		OPENSSL_cleanse(e->ah_key, sizeof(e->ah_key));
		return 0;
	}
	int dir = strcmp(a->argv[2], "outbound") == 0;
	bool ah = a->argc > 3 && strcmp(a->argv[3], "ah") == 0;
	if (a->negated) {
		if (a->argc < 4 || !ah)
			OPENSSL_cleanse(&e->esp_key[dir], sizeof(e->esp_key[dir]));
		if (a->argc < 4 || ah)
			OPENSSL_cleanse(&e->ah_key[dir], sizeof(e->ah_key[dir]));
		return 0;
	}
	if (!e->manual) {
		sb_puts(ctx->out, "% Session keys apply only to ipsec-manual crypto maps\n");
		return cmd_bad(ctx, a, 1);
	}
	struct cfg_session_key k;
	memset(&k, 0, sizeof(k));
	k.set = true;
	if (!cmd_parse_u32(a->argv[4], &k.spi))
		return cmd_bad(ctx, a, 4);
	int rc = 0;
	if (ah) {
		if (!hex_decode(a->argv[5], k.auth, sizeof(k.auth), &k.auth_len))
			rc = cmd_bad(ctx, a, 5);
	} else {
		int ci = cmd_find(a, "cipher", 5), ai = cmd_find(a, "authenticator", 5);
		if (ci >= 0 && !hex_decode(a->argv[ci + 1], k.cipher, sizeof(k.cipher), &k.cipher_len))
			rc = cmd_bad(ctx, a, ci + 1);
		if (!rc && ai >= 0 && !hex_decode(a->argv[ai + 1], k.auth, sizeof(k.auth), &k.auth_len))
			rc = cmd_bad(ctx, a, ai + 1);
	}
	if (!rc) {
		struct cfg_cmap_entry tmp = *e;
		if (ah)
			tmp.ah_key[dir] = k;
		else
			tmp.esp_key[dir] = k;
		const struct cfg_transform_set *ts =
			tmp.ntsets ? config_tset(ctx->cfg, tmp.tsets[0]) : NULL;
		if (ts && !ctx->loading && !keys_fit(ctx, &tmp, ts)) {
			rc = cmd_bad(ctx, a, a->argc - 1);
		} else {
			tmp.key_lineno = ctx->lineno;
			*e = tmp;
		}
		OPENSSL_cleanse(&tmp, sizeof(tmp));
	}
	OPENSSL_cleanse(&k, sizeof(k));
	return rc;
}

static const struct cmd_def ipsec_cmds[] = {
	{ MODE_CONFIG, "crypto ipsec nat-transparency udp-encapsulation",
	  "nat-transparency:IPsec NAT transparency model;udp-encapsulation:UDP encapsulation",
	  natt_fn, natt_fn },
	{ MODE_CONFIG,
	  "crypto ipsec security-association lifetime { seconds <120-86400> | kilobytes <2560-4294967295> }",
	  "security-association:Security association parameters;lifetime:security association lifetime;"
	  "seconds:Time-based key duration in seconds;kilobytes:Volume-based key duration;"
	  "<120-86400>:Security association duration in seconds;<2560-4294967295>:Security association duration in kilobytes encrypted",
	  sa_lifetime_fn, sa_lifetime_fn },
	{ MODE_CONFIG,
	  "crypto ipsec security-association replay window-size [ 64 | 128 | 256 | 512 | 1024 ]",
	  "security-association:Security association parameters;replay:Set replay checking.;"
	  "window-size:Set replay window size.;64:Window size of 64 (default);128:Window size of 128;"
	  "256:Window size of 256;512:Window size of 512;1024:Window size of 1024",
	  replay_fn, replay_fn },
	{ MODE_CONFIG, "crypto ipsec transform-set WORD " XF_SPEC " [ " XF_SPEC " [ " XF_SPEC " ] ]",
	  "WORD:Transform set tag;"
	  "ah-md5-hmac:AH-HMAC-MD5 transform;ah-sha-hmac:AH-HMAC-SHA transform;"
	  "ah-sha256-hmac:AH-HMAC-SHA256 transform;ah-sha384-hmac:AH-HMAC-SHA384 transform;"
	  "ah-sha512-hmac:AH-HMAC-SHA512 transform;esp-des:ESP transform using DES cipher (56 bits);"
	  "esp-3des:ESP transform using 3DES(EDE) cipher (168 bits);esp-aes:ESP transform using AES cipher;"
	  "esp-gcm:ESP transform using GCM cipher;esp-null:ESP transform w/o cipher;"
	  "esp-md5-hmac:ESP transform using HMAC-MD5 auth;esp-sha-hmac:ESP transform using HMAC-SHA auth;"
	  "esp-sha256-hmac:ESP transform using HMAC-SHA256 auth;esp-sha384-hmac:ESP transform using HMAC-SHA384 auth;"
	  "esp-sha512-hmac:ESP transform using HMAC-SHA512 auth;"
	  "128:128 bit keys.;192:192 bit keys.;256:256 bit keys.",
	  tset_fn, no_tset_fn },
	{ MODE_CONFIG_TSET, "mode { tunnel | transport }",
	  "tunnel:tunnel (datagram encapsulation) mode;transport:transport (payload encapsulation) mode",
	  mode_fn, mode_fn },
	{ MODE_CONFIG, "crypto map WORD <1-65535> [ ipsec-isakmp | ipsec-manual ]",
	  "WORD:Crypto map tag;<1-65535>:Sequence to insert into crypto map entry;"
	  "ipsec-isakmp:IPSEC w/ISAKMP;ipsec-manual:IPSEC w/manual keying",
	  cmap_fn, no_cmap_fn },
	{ MODE_CONFIG_CMAP, "set peer A.B.C.D", "A.B.C.D:IP address of peer", set_peer_fn, set_peer_fn },
	{ MODE_CONFIG_CMAP, "set transform-set WORD [ WORD [ WORD [ WORD [ WORD [ WORD ] ] ] ] ]",
	  "transform-set:Specify list of transform sets in priority order;WORD:Proposal tag",
	  set_tset_fn, set_tset_fn },
	{ MODE_CONFIG_CMAP,
	  "set pfs [ group1 | group2 | group5 | group14 | group15 | group16 | group19 | group20 | group21 | group24 ]",
	  "pfs:Specify pfs settings;group1:D-H Group1 (768-bit modulus) exchange.;"
	  "group2:D-H Group2 (1024-bit modulus) exchange.;group5:D-H Group5 (1536-bit modulus) exchange.;"
	  "group14:D-H Group14 (2048-bit modulus) exchange.;group15:D-H Group15 (3072-bit modulus) exchange.;"
	  "group16:D-H Group16 (4096-bit modulus) exchange.;group19:D-H Group19 (256-bit elliptic curve) exchange.;"
	  "group20:D-H Group20 (384-bit elliptic curve) exchange.;group21:D-H Group21 (521-bit elliptic curve) exchange.;"
	  "group24:D-H Group24 (2048-bit modulus & 256-bit subgroup) exchange.",
	  set_pfs_fn, set_pfs_fn },
	{ MODE_CONFIG_CMAP,
	  "set security-association lifetime { seconds <120-86400> | kilobytes <2560-4294967295> }",
	  "security-association:Security association parameters;lifetime:security association lifetime;"
	  "seconds:Time-based key duration in seconds;kilobytes:Volume-based key duration",
	  set_life_fn, set_life_fn },
	{ MODE_CONFIG_CMAP, "match address { <1-99> | <100-199> | <1300-1999> | <2000-2699> }",
	  "address:Match address of packets to encrypt.;<1-99>:IP access-list number;"
	  "<100-199>:IP access-list number;<1300-1999>:IP access-list number (expanded range);"
	  "<2000-2699>:IP access-list number (expanded range)",
	  match_fn, match_fn },
	{ MODE_CONFIG_CMAP, "description LINE", "description:Description of the crypto map statement policy;LINE:Up to 240 characters describing this crypto map",
	  cmap_desc_fn, cmap_desc_fn },
	{ MODE_CONFIG_CMAP,
	  "set session-key { inbound | outbound } esp <256-4294967295> { cipher HEX [ authenticator HEX ] | authenticator HEX }",
	  "session-key:Specify a session key for a manual IPSEC connection;inbound:Inbound session key;"
	  "outbound:Outbound session key;esp:ESP session key;<256-4294967295>:Security parameter index;"
	  "cipher:ESP cipher key;authenticator:ESP authenticator key;HEX:Key (hex, no 0x)",
	  session_key_fn, session_key_fn },
	{ MODE_CONFIG_CMAP, "set session-key { inbound | outbound } ah <256-4294967295> HEX",
	  "session-key:Specify a session key for a manual IPSEC connection;inbound:Inbound session key;"
	  "outbound:Outbound session key;ah:AH session key;<256-4294967295>:Security parameter index;HEX:Key (hex, no 0x)",
	  session_key_fn, session_key_fn },
};
CMD_REGISTER(ipsec_cmds)
