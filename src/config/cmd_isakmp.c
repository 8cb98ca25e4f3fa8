/* crypto isakmp ...: policies, pre-shared keys, keepalives, NAT keepalive and
 * Invalid SPI Recovery with spigot's rate-limit knobs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "config/cfg_int.h"

static int policy_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	uint32_t prio;
	if (!cmd_parse_u32(a->argv[3], &prio))
		return cmd_bad(ctx, a, 3);
	struct config *c = ctx->cfg;
	if (!cfg_policy_get(c, (int)prio)) {
		struct cfg_isakmp_policy *n = realloc(c->policies, sizeof(*n) * (c->npolicy + 1));
		if (!n)
			abort();
		c->policies = n;
		size_t i = 0;
		while (i < c->npolicy && c->policies[i].priority < (int)prio)
			i++;
		memmove(&c->policies[i + 1], &c->policies[i], sizeof(*n) * (c->npolicy - i));
		c->npolicy++;
		struct cfg_isakmp_policy *p = &c->policies[i];
		memset(p, 0, sizeof(*p));
		p->priority = (int)prio;
		p->enc = IKE_ENC_DES;
		p->hash = IKE_HASH_SHA1;
		p->auth = IKE_AUTH_RSA_SIG;
		p->group = 1;
		p->lifetime = 86400;
	}
	char key[16];
	snprintf(key, sizeof(key), "%u", prio);
	cfg_order_touch(c, ctx->loading, ORD_POLICY, key);
	ctx->mode = MODE_CONFIG_ISAKMP;
	snprintf(ctx->mode_key, sizeof(ctx->mode_key), "%u", prio);
	cfg_cur_policy(ctx);
	return 0;
}

static int no_policy_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	uint32_t prio;
	if (a->argc < 4 || !cmd_parse_u32(a->argv[3], &prio)) {
		sb_puts(ctx->out, "% Incomplete command.\n\n");
		return -1;
	}
	struct config *c = ctx->cfg;
	struct cfg_isakmp_policy *p = cfg_policy_get(c, (int)prio);
	if (!p)
		return 0;
	cfg_opaque_clear(&p->extra);
	size_t i = (size_t)(p - c->policies);
	memmove(p, p + 1, sizeof(*p) * (c->npolicy - i - 1));
	c->npolicy--;
	cfg_order_remove(c, ORD_POLICY, a->argv[3]);
	return 0;
}

static struct cfg_isakmp_policy *cur(struct cli_ctx *ctx)
{
	struct cfg_isakmp_policy *p = cfg_cur_policy(ctx);
	if (!p)
		sb_printf(ctx->out, "%% ISAKMP policy %s no longer exists\n", ctx->mode_key);
	return p;
}

static int encryption_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_isakmp_policy *p = cur(ctx);
	if (!p)
		return -1;
	if (a->negated || a->argc < 2) {
		p->enc = IKE_ENC_DES;
		return 0;
	}
	const char *e = a->argv[1];
	if (strcmp(e, "des") == 0)
		p->enc = IKE_ENC_DES;
	else if (strcmp(e, "3des") == 0)
		p->enc = IKE_ENC_3DES;
	else {
		const char *bits = a->argc > 2 ? a->argv[2] : "128";
		p->enc = strcmp(bits, "256") == 0 ? IKE_ENC_AES256
		       : strcmp(bits, "192") == 0 ? IKE_ENC_AES192 : IKE_ENC_AES128;
	}
	return 0;
}

static int hash_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_isakmp_policy *p = cur(ctx);
	if (!p)
		return -1;
	const char *h = a->negated || a->argc < 2 ? "sha" : a->argv[1];
	p->hash = strcmp(h, "md5") == 0      ? IKE_HASH_MD5
		: strcmp(h, "sha256") == 0 ? IKE_HASH_SHA256
		: strcmp(h, "sha384") == 0 ? IKE_HASH_SHA384
		: strcmp(h, "sha512") == 0 ? IKE_HASH_SHA512 : IKE_HASH_SHA1;
	return 0;
}

static int auth_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_isakmp_policy *p = cur(ctx);
	if (!p)
		return -1;
	const char *h = a->negated || a->argc < 2 ? "rsa-sig" : a->argv[1];
	p->auth = strcmp(h, "pre-share") == 0 ? IKE_AUTH_PSK
		: strcmp(h, "rsa-encr") == 0 ? IKE_AUTH_RSA_ENCR : IKE_AUTH_RSA_SIG;
	return 0;
}

static int group_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_isakmp_policy *p = cur(ctx);
	if (!p)
		return -1;
	p->group = a->negated || a->argc < 2 ? 1 : atoi(a->argv[1]);
	return 0;
}

static int lifetime_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_isakmp_policy *p = cur(ctx);
	if (!p)
		return -1;
	uint32_t v = 86400;
	if (!a->negated && !cmd_parse_u32(a->argv[1], &v))
		return cmd_bad(ctx, a, 1);
	p->lifetime = v;
	return 0;
}

/* crypto isakmp key [0|6] KEY address A.B.C.D [MASK] [no-xauth] */
static int parse_key(struct cli_ctx *ctx, const struct cmd_args *a, struct cfg_isakmp_key *k, bool need_key)
{
	memset(k, 0, sizeof(*k));
	k->enc_type = -1;
	int i = 3;
	int ai = cmd_find(a, "address", 3);
	if (ai < 0)
		return -1;
	if (ai - i == 2) {
		k->enc_type = atoi(a->argv[i]);
		i++;
	}
	if (ai - i != 1)
		return need_key ? cmd_bad(ctx, a, i) : 0;
	if (!cfg_strcpy(k->key, sizeof(k->key), a->argv[i]))
		return cmd_bad(ctx, a, i);
	i = ai + 1;
	if (i >= a->argc || !cmd_parse_ip(a->argv[i], &k->addr))
		return cmd_bad(ctx, a, i);
	i++;
	k->mask = 0xffffffff;
	if (i < a->argc && cmd_parse_ip(a->argv[i], &k->mask))
		i++;
	if (i < a->argc && strcmp(a->argv[i], "no-xauth") == 0) {
		k->no_xauth = true;
		i++;
	}
	return 0;
}

static int key_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_isakmp_key k;
	if (parse_key(ctx, a, &k, true) < 0) {
		OPENSSL_cleanse(&k, sizeof(k));	/* the key may be in before the error */
		return -1;
	}
	struct config *c = ctx->cfg;
	for (size_t i = 0; i < c->nkey; i++)
		if (c->keys[i].addr == k.addr && c->keys[i].mask == k.mask) {
			OPENSSL_cleanse(&c->keys[i], sizeof(c->keys[i]));
			c->keys[i] = k;
			OPENSSL_cleanse(&k, sizeof(k));
			return 0;
		}
	struct cfg_isakmp_key *n = malloc(sizeof(*n) * (c->nkey + 1));
	if (!n)
		abort();
	if (c->nkey) {
		memcpy(n, c->keys, sizeof(*n) * c->nkey);
		OPENSSL_cleanse(c->keys, sizeof(*n) * c->nkey);
	}
	free(c->keys);
	c->keys = n;
	c->keys[c->nkey++] = k;
	OPENSSL_cleanse(&k, sizeof(k));
	cfg_order_touch(c, ctx->loading, ORD_KEYS, "");
	return 0;
}

static int no_key_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_isakmp_key k;
	int ai = cmd_find(a, "address", 3);
	if (ai < 0) {
		sb_puts(ctx->out, "% Incomplete command.\n\n");
		return -1;
	}
	if (parse_key(ctx, a, &k, false) < 0) {
		OPENSSL_cleanse(&k, sizeof(k));
		return -1;
	}
	struct config *c = ctx->cfg;
	bool mask_given = ai + 2 < a->argc && strcmp(a->argv[ai + 2], "no-xauth") != 0;
	size_t j = 0;
	for (size_t i = 0; i < c->nkey; i++) {
		bool hit = c->keys[i].addr == k.addr && (!mask_given || c->keys[i].mask == k.mask);
		if (hit)
			OPENSSL_cleanse(&c->keys[i], sizeof(c->keys[i]));
		else
			c->keys[j++] = c->keys[i];
	}
	OPENSSL_cleanse(&k, sizeof(k));
	/* Compaction left copies of the keys that moved down behind the new end. */
	OPENSSL_cleanse(c->keys + j, sizeof(*c->keys) * (c->nkey - j));
	c->nkey = j;
	if (!j)
		cfg_order_remove(c, ORD_KEYS, "");
	return 0;
}

static int isr_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	ctx->cfg->isr.enabled = !a->negated;
	cfg_order_touch(ctx->cfg, ctx->loading, ORD_ISR, "");
	return 0;
}

/* crypto isakmp invalid-spi-recovery {holddown|notify-holddown|budget|max-pending} N */
static int isr_knob_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_isr *isr = &ctx->cfg->isr;
	const char *knob = a->argv[3];
	uint32_t v = 0;
	if (!a->negated && !cmd_parse_u32(a->argv[4], &v))
		return cmd_bad(ctx, a, 4);
	if (strcmp(knob, "holddown") == 0)
		isr->holddown_sec = a->negated ? 10 : v;
	else if (strcmp(knob, "notify-holddown") == 0)
		isr->notify_holddown_sec = a->negated ? 1 : v;
	else if (strcmp(knob, "budget") == 0)
		isr->budget_per_sec = a->negated ? 10 : v;
	else
		isr->max_pending = a->negated ? 64 : v;
	cfg_order_touch(ctx->cfg, ctx->loading, ORD_ISR, "");
	return 0;
}

/* crypto isakmp invalid-spi-recovery {restore-phase2|contact-peers-on-start} (spigot) */
static int isr_flag_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_isr *isr = &ctx->cfg->isr;
	if (strcmp(a->argv[3], "restore-phase2") == 0)
		isr->restore_phase2 = !a->negated;
	else
		isr->contact_on_start = !a->negated;
	cfg_order_touch(ctx->cfg, ctx->loading, ORD_ISR, "");
	return 0;
}

static int keepalive_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct config *c = ctx->cfg;
	if (a->negated) {
		c->isakmp_keepalive = 0;
		c->isakmp_keepalive_retry = 2;
		c->isakmp_keepalive_periodic = false;
		return 0;
	}
	uint32_t secs, retry = 2;
	if (!cmd_parse_u32(a->argv[3], &secs))
		return cmd_bad(ctx, a, 3);
	int i = 4;
	if (i < a->argc && cmd_parse_u32(a->argv[i], &retry))
		i++;
	c->isakmp_keepalive = secs;
	c->isakmp_keepalive_retry = retry;
	c->isakmp_keepalive_periodic = i < a->argc && strcmp(a->argv[i], "periodic") == 0;
	cfg_order_touch(c, ctx->loading, ORD_KEEPALIVE, "");
	return 0;
}

static int nat_keepalive_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	uint32_t v = 0;
	if (!a->negated && !cmd_parse_u32(a->argv[4], &v))
		return cmd_bad(ctx, a, 4);
	ctx->cfg->nat_keepalive = v;
	cfg_order_touch(ctx->cfg, ctx->loading, ORD_NATKA, "");
	return 0;
}

static const struct cmd_def isakmp_cmds[] = {
	{ MODE_CONFIG, "crypto isakmp policy <1-10000>",
	  "<1-10000>:Priority of protection suite", policy_fn, no_policy_fn },
	{ MODE_CONFIG_ISAKMP, "encryption { des | 3des | aes [ 128 | 192 | 256 ] }",
	  "des:DES - Data Encryption Standard (56 bit keys).;"
	  "3des:Three key triple DES;aes:AES - Advanced Encryption Standard.;"
	  "128:128 bit keys.;192:192 bit keys.;256:256 bit keys.",
	  encryption_fn, encryption_fn },
	{ MODE_CONFIG_ISAKMP, "hash { sha | md5 | sha256 | sha384 | sha512 }",
	  "sha:Secure Hash Standard;md5:Message Digest 5;sha256:Secure Hash Standard 2 (256 bit);"
	  "sha384:Secure Hash Standard 2 (384 bit);sha512:Secure Hash Standard 2 (512 bit)",
	  hash_fn, hash_fn },
	{ MODE_CONFIG_ISAKMP, "authentication { pre-share | rsa-sig | rsa-encr }",
	  "pre-share:Pre-Shared Key;rsa-sig:Rivest-Shamir-Adleman Signature;"
	  "rsa-encr:Rivest-Shamir-Adleman Encryption",
	  auth_fn, auth_fn },
	{ MODE_CONFIG_ISAKMP, "group { 1 | 2 | 5 | 14 | 15 | 16 | 19 | 20 | 21 | 24 }",
	  "1:Diffie-Hellman group 1 (768 bit);2:Diffie-Hellman group 2 (1024 bit);"
	  "5:Diffie-Hellman group 5 (1536 bit);14:Diffie-Hellman group 14 (2048 bit);"
	  "15:Diffie-Hellman group 15 (3072 bit);16:Diffie-Hellman group 16 (4096 bit);"
	  "19:Diffie-Hellman group 19 (256 bit ecp);20:Diffie-Hellman group 20 (384 bit ecp);"
	  "21:Diffie-Hellman group 21 (521 bit ecp);24:Diffie-Hellman group 24 (2048 bit, 256 bit subgroup)",
	  group_fn, group_fn },
	{ MODE_CONFIG_ISAKMP, "lifetime <60-86400>", "<60-86400>:lifetime in seconds", lifetime_fn,
	  lifetime_fn },
	{ MODE_CONFIG, "crypto isakmp key [ 0 | 6 ] WORD address A.B.C.D [ A.B.C.D ] [ no-xauth ]",
	  "0:Specifies an UNENCRYPTED password will follow;6:Specifies an ENCRYPTED password will follow;"
	  "WORD:The UNENCRYPTED (cleartext) user password;address:define shared key with IP address;"
	  "A.B.C.D:Peer IP address;A.B.C.D:Peer IP subnet mask;"
	  "no-xauth:Bypasses XAuth for this peer",
	  key_fn, no_key_fn },
	{ MODE_CONFIG, "crypto isakmp invalid-spi-recovery",
	  "invalid-spi-recovery:Initiate IKE and send Invalid SPI Notify", isr_fn, isr_fn },
	{ MODE_CONFIG,
	  "crypto isakmp invalid-spi-recovery { holddown <1-3600> | notify-holddown <0-3600> | "
	  "budget <1-1000> | max-pending <1-4096> }",
	  "invalid-spi-recovery:Initiate IKE and send Invalid SPI Notify;"
	  "holddown:Seconds between recovery IKE initiations toward one peer (default 10);"
	  "notify-holddown:Seconds between INVALID-SPI notifies per peer and SPI (default 1);"
	  "budget:Recovery IKE initiations per second, all peers (default 10);"
	  "max-pending:Recoveries tracked at once (default 64);"
	  "<1-3600>:Seconds;<0-3600>:Seconds;<1-1000>:Initiations per second;<1-4096>:Entries",
	  isr_knob_fn, isr_knob_fn },
	{ MODE_CONFIG, "crypto isakmp invalid-spi-recovery { restore-phase2 | contact-peers-on-start }",
	  "invalid-spi-recovery:Initiate IKE and send Invalid SPI Notify;"
	  "restore-phase2:Bring a peer's IPsec SAs back after recovery or INITIAL-CONTACT (default on);"
	  "contact-peers-on-start:Open IKE with INITIAL-CONTACT to every crypto map peer at start",
	  isr_flag_fn, isr_flag_fn },
	{ MODE_CONFIG, "crypto isakmp keepalive <10-3600> [ <2-60> ] [ periodic | on-demand ]",
	  "keepalive:Set a keepalive interval for use with IOS peers;"
	  "<10-3600>:Number of seconds between keep alives;<2-60>:Number of seconds between retries if keepalive fails;"
	  "periodic:Send keepalives periodically;on-demand:Send keepalives on demand (default)",
	  keepalive_fn, keepalive_fn },
	{ MODE_CONFIG, "crypto isakmp nat keepalive <5-3600>",
	  "nat:Set NAT related parameters;keepalive:Set NAT keepalive interval;<5-3600>:NAT keepalive interval in seconds",
	  nat_keepalive_fn, nat_keepalive_fn },
};
CMD_REGISTER(isakmp_cmds)
