/*
 * crypto ikev2 proposal / policy / keyring (IOS 15.x, IOS-XE): the
 * commands and their sub-modes.  Profiles and `set ikev2-profile` are in
 * cmd_ikev2_profile.c.  An object that another names (a proposal in a
 * policy, a keyring in a profile, a profile in a crypto map) must exist
 * when it is named and cannot be removed while it is named, so the builder
 * (src/ikev2/ikev2_conf.c) never meets a dangling name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "config/cfg_int.h"
#include "config/cmd_v2.h"
#include "config/transform.h"

bool cfg_v2_mode(enum cli_mode m)
{
	return m >= MODE_CONFIG_V2_PROPOSAL && m <= MODE_CONFIG_V2_PROFILE;
}

bool cfg_mode_parent(struct cli_ctx *ctx)
{
	if (ctx->mode != MODE_CONFIG_V2_KR_PEER)
		return false;
	char *tab = strchr(ctx->mode_key, '\t');
	if (tab)
		*tab = '\0';
	ctx->mode = MODE_CONFIG_V2_KEYRING;
	ctx->mode_obj = NULL;
	return true;
}

void *cfg_v2_append(void **arr, size_t *n, size_t sz)
{
	unsigned char *m = malloc(sz * (*n + 1));
	if (!m)
		abort();
	if (*n) {
		memcpy(m, *arr, sz * *n);
		OPENSSL_cleanse(*arr, sz * *n);
	}
	free(*arr);
	*arr = m;
	memset(m + sz * *n, 0, sz);
	return m + sz * (*n)++;
}

void cfg_v2_remove_at(void *arr, size_t *n, size_t sz, size_t i)
{
	unsigned char *m = arr;
	memmove(m + sz * i, m + sz * (i + 1), sz * (*n - i - 1));
	(*n)--;
	OPENSSL_cleanse(m + sz * *n, sz);
}

void cfg_v2_enter(struct cli_ctx *ctx, enum cli_mode mode, const char *key)
{
	ctx->mode = mode;
	snprintf(ctx->mode_key, sizeof(ctx->mode_key), "%s", key);
	ctx->mode_obj = NULL;
}

bool cfg_v2_name_ok(struct cli_ctx *ctx, const struct cmd_args *a, int i)
{
	if (strlen(a->argv[i]) < CFG_NAME_MAX)
		return true;
	cmd_bad(ctx, a, i);
	return false;
}

bool cfg_v2_complete(struct cli_ctx *ctx, const struct cmd_args *a, int need)
{
	if (a->argc >= need)
		return true;
	sb_puts(ctx->out, "% Incomplete command.\n\n");
	return false;
}

bool cfg_v2_mask_ok(uint32_t m)
{
	return (m | (m - 1)) == 0xffffffff || m == 0;
}

int cfg_v2_description(struct cli_ctx *ctx, const struct cmd_args *a, char *dst, size_t n)
{
	if (a->negated) {
		dst[0] = '\0';
		return 0;
	}
	if (!cfg_strcpy(dst, n, a->argv[1]))
		return cmd_bad(ctx, a, 1);
	return 0;
}

int cfg_v2_set_edit(void *list, size_t *n, size_t sz, size_t max, const void *item, bool negated)
{
	unsigned char *m = list;
	size_t k = 0;
	while (k < *n && memcmp(m + sz * k, item, sz) != 0)
		k++;
	if (negated) {
		if (k < *n) {
			memmove(m + sz * k, m + sz * (k + 1), sz * (*n - k - 1));
			(*n)--;
		}
	} else if (k == *n) {
		if (*n == max)
			return -1;
		memcpy(m + sz * (*n)++, item, sz);
	}
	return 0;
}

/* ---- proposal ---- */

static int proposal_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	if (!cfg_v2_name_ok(ctx, a, 3))
		return -1;
	struct config *c = ctx->cfg;
	if (!cfg_v2_proposal_get(c, a->argv[3])) {
		struct cfg_ikev2_proposal *p = cfg_v2_append((void **)&c->v2_proposals, &c->nv2_proposal, sizeof(*p));
		snprintf(p->name, sizeof(p->name), "%s", a->argv[3]);
		p->lineno = ctx->lineno;
	}
	cfg_order_touch(c, ctx->loading, ORD_V2_PROPOSAL, a->argv[3]);
	cfg_v2_enter(ctx, MODE_CONFIG_V2_PROPOSAL, a->argv[3]);
	return 0;
}

static int no_proposal_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	if (!cfg_v2_complete(ctx, a, 4))
		return -1;
	struct config *c = ctx->cfg;
	struct cfg_ikev2_proposal *p = cfg_v2_proposal_get(c, a->argv[3]);
	if (!p)
		return 0;
	for (size_t i = 0; i < c->nv2_policy; i++)
		for (size_t j = 0; j < c->v2_policies[i].nproposal; j++)
			if (strcmp(c->v2_policies[i].proposals[j], p->name) == 0) {
				sb_printf(ctx->out, "%% IKEv2 proposal %s is used by policy %s\n", p->name,
					  c->v2_policies[i].name);
				return -1;
			}
	cfg_opaque_clear(&p->extra);
	cfg_order_remove(c, ORD_V2_PROPOSAL, a->argv[3]);
	cfg_v2_remove_at(c->v2_proposals, &c->nv2_proposal, sizeof(*p), (size_t)(p - c->v2_proposals));
	return 0;
}

static struct cfg_ikev2_proposal *cur_proposal(struct cli_ctx *ctx)
{
	struct cfg_ikev2_proposal *p = cfg_v2_proposal_get(ctx->cfg, ctx->mode_key);
	if (!p)
		sb_printf(ctx->out, "%% IKEv2 proposal %s no longer exists\n", ctx->mode_key);
	return ctx->mode_obj = p;
}

/* encryption / integrity / prf / group ALG...: adds to the list; `no` removes (all, bare). */
static int alg_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_ikev2_proposal *p = cur_proposal(ctx);
	if (!p)
		return -1;
	const char *w = a->argv[0];
	uint8_t type = strcmp(w, "encryption") == 0 ? IKEV2_XF_ENCR
		     : strcmp(w, "integrity") == 0 ? IKEV2_XF_INTEG
		     : strcmp(w, "prf") == 0 ? IKEV2_XF_PRF : IKEV2_XF_DH;
	struct cfg_ikev2_alg *list = type == IKEV2_XF_ENCR ? p->encr
				   : type == IKEV2_XF_INTEG ? p->integ
				   : type == IKEV2_XF_PRF ? p->prf : p->group;
	size_t *n = type == IKEV2_XF_ENCR ? &p->nencr
		  : type == IKEV2_XF_INTEG ? &p->ninteg
		  : type == IKEV2_XF_PRF ? &p->nprf : &p->ngroup;
	if (a->negated && a->argc < 2) {
		*n = 0;
		return 0;
	}
	for (int i = 1; i < a->argc; i++) {
		const struct xf2_alg *x = xf2_by_kw(type, a->argv[i]);
		struct cfg_ikev2_alg v = { x ? x->id : 0, x ? x->bits : 0 };
		if (!x || cfg_v2_set_edit(list, n, sizeof(v), CFG_V2_MAX_ALG, &v, a->negated) < 0)
			return cmd_bad(ctx, a, i);
	}
	return 0;
}

/* ---- policy ---- */

static int policy_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	if (!cfg_v2_name_ok(ctx, a, 3))
		return -1;
	struct config *c = ctx->cfg;
	if (!cfg_v2_policy_get(c, a->argv[3])) {
		struct cfg_ikev2_policy *p = cfg_v2_append((void **)&c->v2_policies, &c->nv2_policy, sizeof(*p));
		snprintf(p->name, sizeof(p->name), "%s", a->argv[3]);
		p->lineno = ctx->lineno;
	}
	cfg_order_touch(c, ctx->loading, ORD_V2_POLICY, a->argv[3]);
	cfg_v2_enter(ctx, MODE_CONFIG_V2_POLICY, a->argv[3]);
	return 0;
}

static int no_policy_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	if (!cfg_v2_complete(ctx, a, 4))
		return -1;
	struct config *c = ctx->cfg;
	struct cfg_ikev2_policy *p = cfg_v2_policy_get(c, a->argv[3]);
	if (!p)
		return 0;
	cfg_opaque_clear(&p->extra);
	cfg_order_remove(c, ORD_V2_POLICY, a->argv[3]);
	cfg_v2_remove_at(c->v2_policies, &c->nv2_policy, sizeof(*p), (size_t)(p - c->v2_policies));
	return 0;
}

static struct cfg_ikev2_policy *cur_policy(struct cli_ctx *ctx)
{
	struct cfg_ikev2_policy *p = cfg_v2_policy_get(ctx->cfg, ctx->mode_key);
	if (!p)
		sb_printf(ctx->out, "%% IKEv2 policy %s no longer exists\n", ctx->mode_key);
	return ctx->mode_obj = p;
}

static int pol_proposal_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_ikev2_policy *p = cur_policy(ctx);
	if (!p)
		return -1;
	if (a->negated && a->argc < 2) {
		p->nproposal = 0;
		return 0;
	}
	const char *name = a->argv[1];
	size_t k = 0;
	while (k < p->nproposal && strcmp(p->proposals[k], name) != 0)
		k++;
	if (a->negated) {
		if (k < p->nproposal) {
			memmove(p->proposals[k], p->proposals[k + 1], sizeof(p->proposals[0]) * (p->nproposal - k - 1));
			memmove(&p->proposal_line[k], &p->proposal_line[k + 1],
				sizeof(p->proposal_line[0]) * (p->nproposal - k - 1));
			p->nproposal--;
		}
		return 0;
	}
	/* a file is checked as a whole once loaded (cfg_v2_check_refs) */
	if (!ctx->loading && !config_v2_proposal(ctx->cfg, name)) {
		sb_printf(ctx->out, "%% IKEv2 proposal %s does not exist\n", name);
		return -1;
	}
	if (k < p->nproposal)
		return 0;
	if (p->nproposal == CFG_V2_MAX_PROP) {
		sb_printf(ctx->out, "%% An IKEv2 policy takes at most %d proposals\n", CFG_V2_MAX_PROP);
		return -1;
	}
	p->proposal_line[p->nproposal] = ctx->lineno;
	snprintf(p->proposals[p->nproposal++], CFG_NAME_MAX, "%s", name);
	return 0;
}

static int match_local_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_ikev2_policy *p = cur_policy(ctx);
	if (!p)
		return -1;
	if (a->negated && a->argc < 4) {
		p->nmatch_local = 0;
		return 0;
	}
	uint32_t ip;
	if (!cmd_parse_ip(a->argv[3], &ip))
		return cmd_bad(ctx, a, 3);
	if (cfg_v2_set_edit(p->match_local, &p->nmatch_local, sizeof(ip), CFG_V2_MAX_MATCH, &ip, a->negated) < 0)
		return cmd_bad(ctx, a, 3);
	return 0;
}

/* ---- keyring ---- */

static int keyring_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	if (!cfg_v2_name_ok(ctx, a, 3))
		return -1;
	struct config *c = ctx->cfg;
	if (!cfg_v2_keyring_get(c, a->argv[3])) {
		struct cfg_ikev2_keyring *k = cfg_v2_append((void **)&c->v2_keyrings, &c->nv2_keyring, sizeof(*k));
		snprintf(k->name, sizeof(k->name), "%s", a->argv[3]);
	}
	cfg_order_touch(c, ctx->loading, ORD_V2_KEYRING, a->argv[3]);
	cfg_v2_enter(ctx, MODE_CONFIG_V2_KEYRING, a->argv[3]);
	return 0;
}

static int no_keyring_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	if (!cfg_v2_complete(ctx, a, 4))
		return -1;
	struct config *c = ctx->cfg;
	struct cfg_ikev2_keyring *k = cfg_v2_keyring_get(c, a->argv[3]);
	if (!k)
		return 0;
	for (size_t i = 0; i < c->nv2_profile; i++)
		if (strcmp(c->v2_profiles[i].keyring, k->name) == 0) {
			sb_printf(ctx->out, "%% IKEv2 keyring %s is used by profile %s\n", k->name,
				  c->v2_profiles[i].name);
			return -1;
		}
	cfg_v2_keyring_clear(k);
	cfg_order_remove(c, ORD_V2_KEYRING, a->argv[3]);
	cfg_v2_remove_at(c->v2_keyrings, &c->nv2_keyring, sizeof(*k), (size_t)(k - c->v2_keyrings));
	return 0;
}

static struct cfg_ikev2_keyring *cur_keyring(struct cli_ctx *ctx, const char *name)
{
	struct cfg_ikev2_keyring *k = cfg_v2_keyring_get(ctx->cfg, name);
	if (!k)
		sb_printf(ctx->out, "%% IKEv2 keyring %s no longer exists\n", name);
	return k;
}

static struct cfg_ikev2_kr_peer *kr_peer(struct cfg_ikev2_keyring *k, const char *name)
{
	for (size_t i = 0; i < k->npeer; i++)
		if (strcmp(k->peers[i].name, name) == 0)
			return &k->peers[i];
	return NULL;
}

static int peer_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_ikev2_keyring *k = cur_keyring(ctx, ctx->mode_key);
	if (!k || !cfg_v2_name_ok(ctx, a, 1))
		return -1;
	if (!kr_peer(k, a->argv[1])) {
		struct cfg_ikev2_kr_peer *p = cfg_v2_append((void **)&k->peers, &k->npeer, sizeof(*p));
		snprintf(p->name, sizeof(p->name), "%s", a->argv[1]);
		p->mask = 0xffffffff;
		p->psk_local.enc_type = p->psk_remote.enc_type = -1;
	}
	char key[sizeof(ctx->mode_key)];
	snprintf(key, sizeof(key), "%s\t%s", k->name, a->argv[1]);
	cfg_v2_enter(ctx, MODE_CONFIG_V2_KR_PEER, key);
	return 0;
}

static int no_peer_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_ikev2_keyring *k = cur_keyring(ctx, ctx->mode_key);
	if (!k)
		return -1;
	if (!cfg_v2_complete(ctx, a, 2))
		return -1;
	struct cfg_ikev2_kr_peer *p = kr_peer(k, a->argv[1]);
	if (p) {
		cfg_opaque_clear(&p->extra);
		cfg_v2_remove_at(k->peers, &k->npeer, sizeof(*p), (size_t)(p - k->peers));
	}
	return 0;
}

static struct cfg_ikev2_kr_peer *cur_peer(struct cli_ctx *ctx)
{
	char kr[CFG_NAME_MAX], *tab = strchr(ctx->mode_key, '\t');
	if (!tab)
		return NULL;
	snprintf(kr, sizeof(kr), "%.*s", (int)(tab - ctx->mode_key), ctx->mode_key);
	struct cfg_ikev2_keyring *k = cur_keyring(ctx, kr);
	struct cfg_ikev2_kr_peer *p = k ? kr_peer(k, tab + 1) : NULL;
	if (k && !p)
		sb_printf(ctx->out, "%% IKEv2 keyring %s peer %s no longer exists\n", kr, tab + 1);
	return ctx->mode_obj = p;
}

static int peer_desc_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_ikev2_kr_peer *p = cur_peer(ctx);
	if (!p)
		return -1;
	return cfg_v2_description(ctx, a, p->description, sizeof(p->description));
}

static int peer_addr_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_ikev2_kr_peer *p = cur_peer(ctx);
	if (!p)
		return -1;
	if (a->negated) {
		p->has_addr = false;
		p->addr = 0;
		p->mask = 0xffffffff;
		return 0;
	}
	uint32_t ip, mask = 0xffffffff;
	if (!cmd_parse_ip(a->argv[1], &ip))
		return cmd_bad(ctx, a, 1);
	if (a->argc > 2 && (!cmd_parse_ip(a->argv[2], &mask) || !cfg_v2_mask_ok(mask)))
		return cmd_bad(ctx, a, 2);
	p->has_addr = true;
	p->addr = ip & mask;
	p->mask = mask;
	return 0;
}

/* pre-shared-key [local|remote] [0|6] KEY */
static int peer_psk_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_ikev2_kr_peer *p = cur_peer(ctx);
	if (!p)
		return -1;
	int i = 1;
	const char *dir = NULL;
	if (i < a->argc && (strcmp(a->argv[i], "local") == 0 || strcmp(a->argv[i], "remote") == 0) &&
	    (a->negated || a->argc - i >= 2))
		dir = a->argv[i++];
	bool loc = !dir || strcmp(dir, "local") == 0, rem = !dir || strcmp(dir, "remote") == 0;
	if (a->negated) {
		if (loc)
			OPENSSL_cleanse(&p->psk_local, sizeof(p->psk_local));
		if (rem)
			OPENSSL_cleanse(&p->psk_remote, sizeof(p->psk_remote));
		if (loc)
			p->psk_local.enc_type = -1;
		if (rem)
			p->psk_remote.enc_type = -1;
		p->psk_both = false;
		return 0;
	}
	int enc = -1;
	if (a->argc - i == 2) {
		if (strcmp(a->argv[i], "0") != 0 && strcmp(a->argv[i], "6") != 0)
			return cmd_bad(ctx, a, i);
		enc = a->argv[i][0] - '0';
		i++;
	}
	if (a->argc - i != 1 || strlen(a->argv[i]) >= CFG_KEY_MAX)
		return cmd_bad(ctx, a, i < a->argc ? i : a->argc - 1);
	struct cfg_ikev2_psk k = { .enc_type = enc };
	memcpy(k.key, a->argv[i], strlen(a->argv[i]) + 1);
	if (loc)
		p->psk_local = k;
	if (rem)
		p->psk_remote = k;
	p->psk_both = loc && rem;
	OPENSSL_cleanse(&k, sizeof(k));
	return 0;
}

struct cfg_opaque *cfg_v2_mode_extra(struct cli_ctx *ctx)
{
	struct strbuf sink, *real = ctx->out;
	sb_init(&sink);
	ctx->out = &sink;	/* a vanished object is no error here */
	struct cfg_opaque *x = NULL;
	switch (ctx->mode) {
	case MODE_CONFIG_V2_PROPOSAL: {
		struct cfg_ikev2_proposal *p = cur_proposal(ctx);
		x = p ? &p->extra : NULL;
		break;
	}
	case MODE_CONFIG_V2_POLICY: {
		struct cfg_ikev2_policy *p = cur_policy(ctx);
		x = p ? &p->extra : NULL;
		break;
	}
	case MODE_CONFIG_V2_KEYRING: {
		struct cfg_ikev2_keyring *k = cur_keyring(ctx, ctx->mode_key);
		x = k ? &k->extra : NULL;
		break;
	}
	case MODE_CONFIG_V2_KR_PEER: {
		struct cfg_ikev2_kr_peer *p = cur_peer(ctx);
		x = p ? &p->extra : NULL;
		break;
	}
	case MODE_CONFIG_V2_PROFILE: {
		struct cfg_ikev2_profile *p = cfg_v2_profile_get(ctx->cfg, ctx->mode_key);
		x = p ? &p->extra : NULL;
		break;
	}
	default:
		break;
	}
	ctx->out = real;
	sb_free(&sink);
	return x;
}

/* crypto ikev2 fragmentation [mtu <68-1500>] (RFC 7383); `no` turns it off. */
static int frag_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	uint32_t mtu = CFG_V2_FRAG_MTU;
	if (!a->negated && a->argc > 4 && (!cmd_parse_u32(a->argv[4], &mtu) || mtu < 68 || mtu > 1500))
		return cmd_bad(ctx, a, 4);
	ctx->cfg->v2_frag_mtu = a->negated ? 0 : (uint16_t)mtu;
	if (a->negated)
		cfg_order_remove(ctx->cfg, ORD_V2_FRAG, "");
	else
		cfg_order_touch(ctx->cfg, ctx->loading, ORD_V2_FRAG, "");
	return 0;
}

#define ENC "aes-cbc-128 | aes-cbc-192 | aes-cbc-256 | aes-gcm-128 | aes-gcm-256"
#define ENC_HELP                                                                                  \
	"aes-cbc-128:AES-CBC-128;aes-cbc-192:AES-CBC-192;aes-cbc-256:AES-CBC-256;"                 \
	"aes-gcm-128:Combined-mode,128 bit key,16 byte ICV(Authentication Tag);"                   \
	"aes-gcm-256:Combined-mode,256 bit key,16 byte ICV(Authentication Tag)"
#define HASH "sha1 | sha256 | sha384 | sha512"
#define DH "5 | 14 | 15 | 16 | 19 | 20 | 21 | 24"
#define DH_HELP                                                                                   \
	"5:DH 1536 MODP;14:DH 2048 MODP;15:DH 3072 MODP;16:DH 4096 MODP;"                         \
	"19:DH 256 ECP;20:DH 384 ECP;21:DH 521 ECP;24:DH 2048 (256 subgroup) MODP"
/* As many words as a proposal holds of a kind (CFG_V2_MAX_ALG), so that
 * running-config's one line per kind always reads back. */
#define OPT(x) " [ " x " ]"
#define REP8(x) "{ " x " }" OPT(x) OPT(x) OPT(x) OPT(x) OPT(x) OPT(x) OPT(x)

static const struct cmd_def ikev2_cmds[] = {
	{ MODE_CONFIG, "crypto ikev2 proposal WORD",
	  "ikev2:Configure IKEv2 Options;proposal:Define IKEv2 proposals;WORD:Name of IKEv2 proposal",
	  proposal_fn, no_proposal_fn },
	{ MODE_CONFIG_V2_PROPOSAL, "encryption " REP8(ENC), "encryption:Set encryption algorithm(s);" ENC_HELP,
	  alg_fn, alg_fn },
	{ MODE_CONFIG_V2_PROPOSAL, "integrity " REP8(HASH),
	  "integrity:Set integrity hash algorithm(s);sha1:SHA1 (HMAC variant);sha256:SHA256 (HMAC variant);"
	  "sha384:SHA384 (HMAC variant);sha512:SHA512 (HMAC variant)",
	  alg_fn, alg_fn },
	{ MODE_CONFIG_V2_PROPOSAL, "prf " REP8(HASH),
	  "prf:Set pseudo random function(s);sha1:SHA1 (HMAC variant);sha256:SHA256 (HMAC variant);"
	  "sha384:SHA384 (HMAC variant);sha512:SHA512 (HMAC variant)",
	  alg_fn, alg_fn },
	{ MODE_CONFIG_V2_PROPOSAL, "group " REP8(DH), "group:Set the Diffie-Hellman group(s);" DH_HELP,
	  alg_fn, alg_fn },
	{ MODE_CONFIG, "crypto ikev2 policy WORD",
	  "ikev2:Configure IKEv2 Options;policy:Define IKEv2 policies;WORD:Name of IKEv2 policy",
	  policy_fn, no_policy_fn },
	{ MODE_CONFIG_V2_POLICY, "proposal WORD", "proposal:Specify Proposal;WORD:Specify IKEv2 Proposal name",
	  pol_proposal_fn, pol_proposal_fn },
	{ MODE_CONFIG_V2_POLICY, "match address local A.B.C.D",
	  "match:Match values of local fields;address:Local address;local:Local address;A.B.C.D:IPv4 address",
	  match_local_fn, match_local_fn },
	{ MODE_CONFIG, "crypto ikev2 keyring WORD",
	  "ikev2:Configure IKEv2 Options;keyring:Define IKEv2 Keyrings;WORD:Name of IKEv2 Keyring",
	  keyring_fn, no_keyring_fn },
	{ MODE_CONFIG_V2_KEYRING, "peer WORD", "peer:Configure a Peer and associated keys;WORD:Name of peer",
	  peer_fn, no_peer_fn },
	{ MODE_CONFIG_V2_KR_PEER, "description LINE", "description:Specify a description of this peer;LINE:Peer description",
	  peer_desc_fn, peer_desc_fn },
	{ MODE_CONFIG_V2_KR_PEER, "address A.B.C.D [ A.B.C.D ]",
	  "address:Address;A.B.C.D:IPv4 Address;A.B.C.D:Mask",
	  peer_addr_fn, peer_addr_fn },
	{ MODE_CONFIG_V2_KR_PEER, "pre-shared-key [ local | remote ] [ 0 | 6 ] WORD",
	  "pre-shared-key:pre-shared-key;local:Local pre-shared-key;remote:Remote pre-shared-key;"
	  "0:Specifies an UNENCRYPTED password will follow;6:Specifies an ENCRYPTED password will follow;"
	  "WORD:The UNENCRYPTED (cleartext) user password",
	  peer_psk_fn, peer_psk_fn },
	{ MODE_CONFIG, "crypto ikev2 fragmentation [ mtu <68-1500> ]",
	  "ikev2:Configure IKEv2 Options;fragmentation:Enable IKEv2 fragmentation;mtu:Specify fragmentation MTU;"
	  "<68-1500>:MTU value in bytes, default 576",
	  frag_fn, frag_fn },
};
CMD_REGISTER(ikev2_cmds)
