/*
 * The one IOS command tree.  Config-file loading, interactive `configure
 * terminal`, exec commands (show/clear/ping/debug), `?` help, tab
 * completion, `no` forms and unambiguous abbreviations all walk the same
 * definitions, so they can never disagree.
 *
 * A command is declared by a spec string:
 *   keywords      literal words, matched by unambiguous prefix ("sh" = show)
 *   A.B.C.D       an IPv4 address
 *   WORD          any single token
 *   LINE          the rest of the line (must be last)
 *   <1-65535>     a number in a range
 *   HEX           a hex string
 *   IFNAME        an interface name (abbreviations expand: fa0/0)
 *   PORT          a TCP/UDP port: a number or an IOS port name (www, isakmp)
 *   [ x ]         optional;  { a | b }  one of;  [ a | b ] optional one of
 * e.g. "show crypto ipsec sa [ interface IFNAME | peer A.B.C.D | map WORD | detail ]"
 *
 * Help for each keyword comes from `help` ("word:text;word:text") or the
 * shared dictionary in cmdtree.c.
 */
#ifndef SPIGOT_CMDTREE_H
#define SPIGOT_CMDTREE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/strbuf.h"

struct router;
struct config;

enum cli_mode {
	MODE_EXEC = 0,		/* Router#            */
	MODE_CONFIG,		/* Router(config)#    */
	MODE_CONFIG_IF,		/* (config-if)#       */
	MODE_CONFIG_ISAKMP,	/* (config-isakmp)#   */
	MODE_CONFIG_CMAP,	/* (config-crypto-map)# */
	MODE_CONFIG_TSET,	/* (cfg-crypto-trans)# */
	MODE_CONFIG_OPAQUE,	/* sub-mode of a block we keep but do not act on */
	MODE_CONFIG_V2_PROPOSAL,	/* (config-ikev2-proposal)# */
	MODE_CONFIG_V2_POLICY,	/* (config-ikev2-policy)# */
	MODE_CONFIG_V2_KEYRING,	/* (config-ikev2-keyring)# */
	MODE_CONFIG_V2_KR_PEER,	/* (config-ikev2-keyring-peer)#, inside a keyring */
	MODE_CONFIG_V2_PROFILE,	/* (config-ikev2-profile)# */
	MODE_COUNT
};

/* One CLI session or one config-file load. */
struct cli_ctx {
	struct router *r;	/* NULL while loading a file into a fresh config */
	struct config *cfg;	/* the config being edited */
	struct strbuf *out;	/* what the command prints */
	enum cli_mode mode;
	void *mode_obj;		/* the interface / policy / map entry being edited */
	char mode_key[128];	/* its name, so it can be found again */
	bool loading;		/* from a file: nothing may touch live state */
	bool changed;		/* a config command ran: the router must apply */
	int lineno;
	/*
	 * An exec command that keeps running (ping) returns CMD_ASYNC after
	 * setting `pending` and `cancel`; it then streams with cli_async_write()
	 * and ends with cli_async_done().  If the session goes away first, the
	 * server calls cancel(pending) and the command must stop touching ctx.
	 */
	void *pending;
	void (*cancel)(void *pending);
	void *session;		/* private to src/cli */
	/*
	 * Where the "^" of an "% Invalid input" error goes: interactive
	 * sessions set caret_indent to the prompt's length (the caret lands
	 * under prompt+line); one-shot and piped sessions set echo_line so
	 * the line is printed first and the caret sits under it.
	 */
	int caret_indent;
	bool echo_line;
	int bad_arg;		/* set by cmd_bad(): the argument the caret points at */
	/*
	 * `spigot --json`: a show that has a JSON rendering (docs/JSON.md)
	 * writes it instead of the text and sets json_done; the control
	 * socket refuses the output of any other command.
	 */
	bool json;
	bool json_done;
};

#define CMD_ASYNC 1
void cli_async_write(struct cli_ctx *ctx, const char *text);
void cli_async_done(struct cli_ctx *ctx, int status);

/* What a handler sees: the words as matched, keywords in full. */
#define CMD_MAX_ARGS 48
struct cmd_args {
	int argc;
	const char *argv[CMD_MAX_ARGS];
	int col[CMD_MAX_ARGS];	/* column of each word in the line (for the caret) */
	bool negated;		/* the line started with "no" */
};

typedef int (*cmd_fn)(struct cli_ctx *ctx, const struct cmd_args *a);

struct cmd_def {
	enum cli_mode mode;
	const char *spec;
	const char *help;	/* "keyword:help text;..." for keywords not in the dictionary */
	cmd_fn fn;		/* 0 on success; otherwise it printed a "% ..." error */
	cmd_fn no_fn;		/* the "no" form; NULL when there is none */
};

/* Registers a table (kept by pointer; make it static const). */
void cmd_register(const struct cmd_def *defs, int n);
#define CMD_REGISTER(table)                                                            \
	__attribute__((constructor)) static void cmd_register_##table(void)           \
	{                                                                              \
		cmd_register(table, (int)(sizeof(table) / sizeof(table[0])));          \
	}

/*
 * Runs one line in ctx's mode (in a config sub-mode, a line the sub-mode does
 * not know is tried in global config, as IOS does).  Returns 0, CMD_ASYNC
 * when an exec command keeps running, or -1 with the error in ctx->out.
 * Empty lines and "!" comments are accepted and do nothing.
 */
int cmd_execute(struct cli_ctx *ctx, const char *line);
/* `?` help: what may come next after `line` (which ends in a space or a partial word). */
void cmd_help(struct cli_ctx *ctx, const char *line, struct strbuf *out);
/* Tab: the completed line, or NULL when nothing or several match.  Caller frees. */
char *cmd_complete(struct cli_ctx *ctx, const char *line);
/* The prompt for ctx's mode: "ipseca-71a(config-if)#". */
void cmd_prompt(const struct cli_ctx *ctx, struct strbuf *out);

/* Argument access. */
bool cmd_has(const struct cmd_args *a, const char *keyword);
/* The word after the first occurrence of keyword, or NULL. */
const char *cmd_after(const struct cmd_args *a, const char *keyword);
bool cmd_after_ip(const struct cmd_args *a, const char *keyword, uint32_t *ip);
bool cmd_after_u32(const struct cmd_args *a, const char *keyword, uint32_t *v);

/* Parses "10.1.1.1" (host byte order). Strict: four decimal octets. */
bool cmd_parse_ip(const char *s, uint32_t *ip);
/* Expands an interface abbreviation ("fa0/0" -> "FastEthernet0/0"). */
bool cmd_ifname_canon(const char *in, char *out, size_t n);

#endif
