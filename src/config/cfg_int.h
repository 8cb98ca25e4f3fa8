/*
 * Private to src/config: the command engine's lower layer (used by the file
 * loader, which must tell "not ours" from "ours but malformed"), the
 * running-config order list, and small helpers shared by the command files.
 */
#ifndef SPIGOT_CFG_INT_H
#define SPIGOT_CFG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/cmdtree.h"
#include "config/config.h"

/* ---- engine ---- */

enum cmd_status {
	CMDST_OK = 0,		/* matched and the handler succeeded */
	CMDST_FAILED,		/* matched, the handler refused (message in out) */
	CMDST_UNHANDLED,	/* not a command we implement (opaque in a file) */
	CMDST_INVALID,		/* one of ours, malformed at `col` */
	CMDST_INCOMPLETE,
	CMDST_AMBIGUOUS,
	CMDST_ASYNC,
};

struct cmd_result {
	enum cmd_status st;
	int col;		/* caret column (0-based, in the line as given) */
	bool handled;		/* the words named one of our commands */
};

/*
 * Runs `line` in `mode` only (no parent-mode fallback, no error printing
 * except what handlers print).  The loader uses this.
 */
void cmd_run_mode(struct cli_ctx *ctx, enum cli_mode mode, const char *line,
		  struct cmd_result *res);
/* Prints the IOS caret error for col with ctx->caret_indent / echo rules. */
void cmd_print_caret(struct cli_ctx *ctx, const char *line, int col);

/* Handler helper: flags argument i as the offending one (caret) and fails. */
int cmd_bad(struct cli_ctx *ctx, const struct cmd_args *a, int i);
/* Index of the first argument equal to kw at or after `from`, or -1. */
int cmd_find(const struct cmd_args *a, const char *kw, int from);
/* Strict decimal parse of a whole word. */
bool cmd_parse_u32(const char *s, uint32_t *v);

/* ---- running-config order ---- */

enum ord_kind {
	ORD_BANG = 1,		/* a "!" line (or "! comment") kept from a file */
	ORD_OPAQUE,		/* cfg->opaque[idx] */
	ORD_HOSTNAME,
	ORD_LOGGING,
	ORD_TIMESTAMPS,		/* service timestamps debug/log */
	ORD_POLICY,		/* key: priority */
	ORD_KEYS,
	ORD_ISR,
	ORD_KEEPALIVE,
	ORD_NATKA,
	ORD_IPSEC_LIFE,
	ORD_REPLAY,
	ORD_NATT,
	ORD_TSET,		/* key: name */
	ORD_CMAP,		/* key: "name seq" */
	ORD_IFACE,		/* key: name */
	ORD_ROUTES,
	ORD_ACL,		/* key: number */
	ORD_V2_PROPOSAL,	/* key: name (crypto ikev2 ...) */
	ORD_V2_POLICY,
	ORD_V2_KEYRING,
	ORD_V2_PROFILE,
	ORD_V2_QCD,		/* crypto ikev2 quick-crash-detection (spigot extension) */
	ORD_V2_FRAG,		/* crypto ikev2 fragmentation */
	ORD_V2_COOKIE,		/* crypto ikev2 cookie-challenge N */
};

struct ord_item {
	enum ord_kind kind;
	char key[CFG_NAME_MAX + 16];
	size_t idx;		/* ORD_OPAQUE: index into cfg->opaque */
	char *text;		/* ORD_BANG: the line as written */
	int bang_side;		/* a "!" inserted with it: -1 before, +1 after, 0 none */
};

struct cfg_order {
	struct ord_item *v;
	size_t n, cap;
};

/* Makes sure an item exists: appended while loading, else at the IOS place. */
void cfg_order_touch(struct config *cfg, bool loading, enum ord_kind kind, const char *key);
void cfg_order_remove(struct config *cfg, enum ord_kind kind, const char *key);
void cfg_order_add_bang(struct config *cfg, const char *text);
void cfg_order_add_opaque(struct config *cfg, size_t idx);
bool cfg_order_has(const struct config *cfg, enum ord_kind kind, const char *key);
void cfg_order_free(struct config *cfg);

/* A config with no order skeleton (the loader starts from this). */
struct config *config_new_empty(void);

/* ---- helpers for the command files ---- */

/* cmd_logging.c: the logging lines of running-config. */
void cfg_render_logging(struct strbuf *out, const struct config *c);
void cfg_render_timestamps(struct strbuf *out, const struct config *c);
bool cfg_strcpy(char *dst, size_t n, const char *src);	/* false if it does not fit */
void cfg_opaque_add_sub(struct cfg_opaque *o, const char *line);
void cfg_opaque_clear(struct cfg_opaque *o);

struct cfg_iface *cfg_iface_get(struct config *cfg, const char *name);
struct cfg_isakmp_policy *cfg_policy_get(struct config *cfg, int prio);
struct cfg_cmap_entry *cfg_cmap_get(struct config *cfg, const char *name, int seq);
struct cfg_transform_set *cfg_tset_get(struct config *cfg, const char *name);
struct cfg_acl *cfg_acl_get(struct config *cfg, int number);

/* The object a sub-mode session is editing, found again by ctx->mode_key. */
struct cfg_iface *cfg_cur_iface(struct cli_ctx *ctx);
struct cfg_isakmp_policy *cfg_cur_policy(struct cli_ctx *ctx);
struct cfg_cmap_entry *cfg_cur_cmap(struct cli_ctx *ctx);
struct cfg_transform_set *cfg_cur_tset(struct cli_ctx *ctx);

/* Port names of extended ACLs (IOS keywords: www, isakmp ...). */
bool cfg_port_parse(const char *s, uint8_t proto, uint16_t *port);
const char *cfg_port_name(uint16_t port, uint8_t proto);
/* Transform names ("" for none), from config/transform.h's table. */
const char *cfg_xf_ah_name(enum cfg_xf_ah x);
const char *cfg_xf_enc_name(enum cfg_xf_enc x);
const char *cfg_xf_auth_name(enum cfg_xf_auth x);

/* After a load: every crypto map's transform sets exist and manual keys
 * fit them.  0, or -1 with "FILE:LINE: ..." in err. */
int cfg_check_cmaps(struct config *cfg, const char *name, struct strbuf *err);

/* crypto ikev2 (cfg_ikev2.c, cmd_ikev2*.c, render_ikev2.c). */
void cfg_v2_keyring_clear(struct cfg_ikev2_keyring *k);
void cfg_v2_free(struct config *cfg);
bool cfg_v2_mode(enum cli_mode m);
/* Moves ctx to the sub-mode enclosing its own (keyring peer -> keyring); false if none. */
bool cfg_mode_parent(struct cli_ctx *ctx);
/* The extra sub-lines of the crypto ikev2 object ctx edits, or NULL. */
struct cfg_opaque *cfg_v2_mode_extra(struct cli_ctx *ctx);
struct cfg_ikev2_proposal *cfg_v2_proposal_get(struct config *cfg, const char *name);
struct cfg_ikev2_policy *cfg_v2_policy_get(struct config *cfg, const char *name);
struct cfg_ikev2_keyring *cfg_v2_keyring_get(struct config *cfg, const char *name);
struct cfg_ikev2_profile *cfg_v2_profile_get(struct config *cfg, const char *name);
/*
 * After a load: "FILE:LINE: ..." notes for incomplete proposals and empty
 * policies.  Not load errors: an interactive session can leave them so, and
 * a saved configuration must load again (IOS, too, keeps them and does not
 * use them).
 */
void cfg_v2_notes(const struct config *cfg, const char *name, struct strbuf *notes);
/*
 * After a load: every proposal a policy names, keyring a profile names and
 * profile a crypto map names exists (a file may define them in any order,
 * as its blocks keep their places).  0, or -1 with "FILE:LINE: ..." in err.
 */
int cfg_v2_check_refs(const struct config *cfg, const char *name, struct strbuf *err);
/* One crypto ikev2 block of running-config. */
void cfg_render_v2(struct strbuf *out, const struct config *c, enum ord_kind kind, const char *key);

/* Renders one interface / map / ... (render.c). */
struct strbuf;
void cfg_render_body(const struct config *cfg, struct strbuf *out);

#endif
