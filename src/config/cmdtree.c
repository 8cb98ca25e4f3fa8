/*
 * The command engine.  Each spec string is compiled once, at registration,
 * into a small NFA (Thompson construction: token states and epsilon splits).
 * A line is matched by running every command of the mode in parallel, one
 * word at a time, so tables registered by different modules under the same
 * prefix ("show crypto ipsec ..." and "show crypto isakmp ...") simply sit
 * side by side and registration order does not matter.
 *
 * Per word: an exact keyword wins; else an unambiguous keyword prefix; else
 * parameters (A.B.C.D, <lo-hi>, WORD ...).  The same walk gives `?` help
 * (the tokens reachable next), tab completion and the IOS errors.
 */
#include "config/cmdtree.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/cfg_int.h"
#include "config/config.h"

enum tok_type { T_KW, T_IP, T_WORD, T_LINE, T_HEX, T_IFNAME, T_PORT, T_RANGE };

struct tok {
	enum tok_type type;
	char *text;
	uint32_t lo, hi;
	const char *help;	/* points into helpbuf or the dictionary */
	size_t helplen;
};

enum { N_TOK, N_SPLIT, N_MATCH };

struct nst {
	int kind, tok, out1, out2;
};

struct cdef {
	const struct cmd_def *def;
	struct tok *tok;
	int ntok, ctok;
	struct nst *st;
	int nst, cst;
	int start;
	int lead_kw;		/* leading plain keywords: the command's identity */
};

/*
 * The registry is filled by constructors before main() and only read
 * afterwards; it describes the program, not any router, so it is the one
 * piece of process-wide state here.
 */
static struct {
	struct cdef *v;
	int n, cap;
} reg;

/* ---- the shared help dictionary ---- */

static const struct {
	const char *kw, *help;
} dict[] = {
	{ "aaa", "Authentication, Authorization and Accounting." },
	{ "access-list", "Add an access list entry" },
	{ "access-lists", "List access lists" },
	{ "address", "Set the IP address of an interface" },
	{ "all", "Enable all debugging" },
	{ "any", "Any source host" },
	{ "authentication", "Set authentication method for protection suite" },
	{ "buffered", "Set buffered logging parameters" },
	{ "clear", "Reset functions" },
	{ "clock", "Display the system clock" },
	{ "configure", "Enter configuration mode" },
	{ "copy", "Copy from one file to another" },
	{ "crypto", "Encryption module" },
	{ "debug", "Debugging functions (see also 'undebug')" },
	{ "debugging", "State of each debugging option" },
	{ "deny", "Specify packets to reject" },
	{ "description", "Interface specific description" },
	{ "detail", "Show detailed information" },
	{ "do", "To run exec commands in config mode" },
	{ "encryption", "Set encryption algorithm for protection suite" },
	{ "end", "Exit from configure mode" },
	{ "exit", "Exit from the EXEC" },
	{ "group", "Set the Diffie-Hellman group" },
	{ "hash", "Set hash algorithm for protection suite" },
	{ "history", "Display the session command history" },
	{ "host", "A single host address" },
	{ "hostname", "Set system's network name" },
	{ "interface", "Select an interface to configure" },
	{ "interfaces", "Interface status and configuration" },
	{ "ip", "Global IP configuration subcommands" },
	{ "ipsec", "Configure IPSEC policy" },
	{ "isakmp", "Configure ISAKMP policy" },
	{ "key", "Set pre-shared key for remote peer" },
	{ "lifetime", "Set lifetime for ISAKMP security association" },
	{ "log", "Log matches against this entry" },
	{ "logging", "Modify message logging facilities" },
	{ "map", "Enter a crypto map" },
	{ "match", "Match values from packet" },
	{ "memory", "Write to NV memory" },
	{ "mode", "encapsulation mode (transport/tunnel)" },
	{ "no", "Negate a command or set its defaults" },
	{ "peer", "Allowed Encryption/Decryption peer." },
	{ "permit", "Specify packets to forward" },
	{ "ping", "Send echo messages" },
	{ "policy", "Set policy for an ISAKMP protection suite" },
	{ "remark", "Access list entry comment" },
	{ "route", "Establish static routes" },
	{ "running-config", "Current operating configuration" },
	{ "sa", "IPSEC SA table" },
	{ "set", "Set values for encryption/decryption" },
	{ "show", "Show running system information" },
	{ "shutdown", "Shutdown the selected interface" },
	{ "startup-config", "Contents of startup configuration" },
	{ "terminal", "Set terminal line parameters" },
	{ "transform-set", "Define transform and settings" },
	{ "undebug", "Disable debugging functions (see also 'debug')" },
	{ "version", "System hardware and software status" },
	{ "write", "Write running configuration to memory, network, or terminal" },
};

static const char *dict_help(const char *kw)
{
	for (size_t i = 0; i < sizeof(dict) / sizeof(dict[0]); i++)
		if (strcmp(dict[i].kw, kw) == 0)
			return dict[i].help;
	return NULL;
}

/* ---- interface names ---- */

static const struct {
	const char *name, *abbr[3], *help;
} iftypes[] = {
	{ "FastEthernet", { "fa", "f", NULL }, "FastEthernet IEEE 802.3" },
	{ "Ethernet", { "e", "eth", NULL }, "IEEE 802.3" },
	{ "GigabitEthernet", { "gi", "g", NULL }, "GigabitEthernet IEEE 802.3z" },
	{ "TenGigabitEthernet", { "te", NULL, NULL }, "Ten Gigabit Ethernet" },
	{ "Serial", { "se", "s", NULL }, "Serial" },
	{ "Loopback", { "lo", NULL, NULL }, "Loopback interface" },
	{ "Tunnel", { "tu", NULL, NULL }, "Tunnel interface" },
	{ "Vlan", { "vl", NULL, NULL }, "Catalyst Vlans" },
	{ "Dialer", { "di", NULL, NULL }, "Dialer interface" },
	{ "Virtual-Template", { "vi", NULL, NULL }, "Virtual Template interface" },
	{ "Port-channel", { "po", NULL, NULL }, "Ethernet Channel of interfaces" },
	{ "Multilink", { "mu", NULL, NULL }, "Multilink-group interface" },
	{ "ATM", { "at", NULL, NULL }, "ATM interface" },
	{ "BVI", { "bv", NULL, NULL }, "Bridge-Group Virtual Interface" },
	{ "Null", { "nu", NULL, NULL }, "Null interface" },
};
#define NIFTYPES ((int)(sizeof(iftypes) / sizeof(iftypes[0])))

/* The type word: an explicit abbreviation, else a unique prefix of a name. */
static int iftype_lookup(const char *w, size_t len)
{
	if (len == 0)
		return -1;
	for (int i = 0; i < NIFTYPES; i++)
		for (int k = 0; k < 3 && iftypes[i].abbr[k]; k++)
			if (strlen(iftypes[i].abbr[k]) == len && strncasecmp(w, iftypes[i].abbr[k], len) == 0)
				return i;
	int found = -1;
	for (int i = 0; i < NIFTYPES; i++) {
		if (strlen(iftypes[i].name) >= len && strncasecmp(w, iftypes[i].name, len) == 0) {
			if (strlen(iftypes[i].name) == len)
				return i;
			if (found >= 0)
				return -1;
			found = i;
		}
	}
	return found;
}

bool cmd_ifname_canon(const char *in, char *out, size_t n)
{
	size_t t = 0;
	while (in[t] && (isalpha((unsigned char)in[t]) || in[t] == '-'))
		t++;
	const char *unit = in + t;
	/* unit: digits separated by '/', optional ".sub" or ":chan" */
	if (!isdigit((unsigned char)unit[0]))
		return false;
	size_t ulen = strlen(unit);
	bool prev_digit = false;
	for (size_t i = 0; i < ulen; i++) {
		char c = unit[i];
		if (isdigit((unsigned char)c)) {
			prev_digit = true;
		} else if ((c == '/' || c == '.' || c == ':') && prev_digit) {
			prev_digit = false;
		} else {
			return false;
		}
	}
	if (!prev_digit || ulen > 16)
		return false;
	int ty = iftype_lookup(in, t);
	if (ty < 0)
		return false;
	int w = snprintf(out, n, "%s%s", iftypes[ty].name, unit);
	return w > 0 && (size_t)w < n;
}

/* ---- small parsers ---- */

bool cmd_parse_ip(const char *s, uint32_t *ip)
{
	uint32_t v = 0;
	for (int oct = 0; oct < 4; oct++) {
		if (!isdigit((unsigned char)*s))
			return false;
		uint32_t o = 0;
		int nd = 0;
		while (isdigit((unsigned char)*s)) {
			o = o * 10 + (uint32_t)(*s++ - '0');
			if (++nd > 3 || o > 255)
				return false;
		}
		v = v << 8 | o;
		if (oct < 3 && *s++ != '.')
			return false;
	}
	if (*s)
		return false;
	*ip = v;
	return true;
}

bool cmd_parse_u32(const char *s, uint32_t *v)
{
	uint64_t x = 0;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return false;
		x = x * 10 + (uint64_t)(*s - '0');
		if (x > UINT32_MAX)
			return false;
	}
	*v = (uint32_t)x;
	return true;
}

static bool is_hex(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n % 2)
		return false;
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s))
			return false;
	return true;
}

/* ---- spec compilation ---- */

struct lex {
	const char *p;
	char word[128];
};

/* Returns the next spec token in l->word; false at the end. */
static bool lex_next(struct lex *l)
{
	while (*l->p == ' ' || *l->p == '\t')
		l->p++;
	if (!*l->p)
		return false;
	if (strchr("[]{}|", *l->p)) {
		l->word[0] = *l->p++;
		l->word[1] = '\0';
		return true;
	}
	size_t n = 0;
	while (*l->p && !strchr(" \t[]{}|", *l->p)) {
		if (n + 1 < sizeof(l->word))
			l->word[n++] = *l->p;
		l->p++;
	}
	l->word[n] = '\0';
	return true;
}

struct ast;
struct aseq {
	struct ast *v;
	int n;
};
struct ast {
	int tok;		/* >= 0: a token; -1: a group */
	bool opt;
	struct aseq *alts;
	int nalt;
};

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		abort();
	return q;
}

static void spec_die(const struct cmd_def *d, const char *why)
{
	fprintf(stderr, "spigot: bad command spec \"%s\": %s\n", d->spec, why);
	abort();
}

static int add_tok(struct cdef *cd, const char *w)
{
	if (cd->ntok == cd->ctok) {
		cd->ctok = cd->ctok ? cd->ctok * 2 : 16;
		cd->tok = xrealloc(cd->tok, sizeof(*cd->tok) * (size_t)cd->ctok);
	}
	struct tok *t = &cd->tok[cd->ntok];
	memset(t, 0, sizeof(*t));
	t->text = strdup(w);
	if (!t->text)
		abort();
	if (strcmp(w, "A.B.C.D") == 0)
		t->type = T_IP;
	else if (strcmp(w, "WORD") == 0)
		t->type = T_WORD;
	else if (strcmp(w, "LINE") == 0)
		t->type = T_LINE;
	else if (strcmp(w, "HEX") == 0)
		t->type = T_HEX;
	else if (strcmp(w, "IFNAME") == 0)
		t->type = T_IFNAME;
	else if (strcmp(w, "PORT") == 0)
		t->type = T_PORT;
	else if (w[0] == '<') {
		unsigned long lo, hi;
		char c;
		if (sscanf(w, "<%lu-%lu%c", &lo, &hi, &c) != 3 || c != '>' || lo > hi || hi > UINT32_MAX)
			spec_die(cd->def, w);
		t->type = T_RANGE;
		t->lo = (uint32_t)lo;
		t->hi = (uint32_t)hi;
	} else {
		t->type = T_KW;
	}
	return cd->ntok++;
}

static void free_seq(struct aseq *s)
{
	for (int i = 0; i < s->n; i++) {
		if (s->v[i].tok < 0) {
			for (int k = 0; k < s->v[i].nalt; k++)
				free_seq(&s->v[i].alts[k]);
			free(s->v[i].alts);
		}
	}
	free(s->v);
}

static void parse_seq(struct cdef *cd, struct lex *l, struct aseq *out, bool *more, char *closer);

static void parse_group(struct cdef *cd, struct lex *l, struct ast *g, char close)
{
	g->tok = -1;
	g->opt = close == ']';
	g->alts = NULL;
	g->nalt = 0;
	for (;;) {
		g->alts = xrealloc(g->alts, sizeof(*g->alts) * (size_t)(g->nalt + 1));
		bool more;
		char closer = 0;
		parse_seq(cd, l, &g->alts[g->nalt++], &more, &closer);
		if (closer == '|')
			continue;
		if (closer != close)
			spec_die(cd->def, "unbalanced brackets");
		return;
	}
}

static void parse_seq(struct cdef *cd, struct lex *l, struct aseq *out, bool *more, char *closer)
{
	out->v = NULL;
	out->n = 0;
	*more = false;
	while (lex_next(l)) {
		char c = l->word[1] ? 0 : l->word[0];
		if (c == ']' || c == '}' || c == '|') {
			*closer = c;
			*more = true;
			if (out->n == 0)
				spec_die(cd->def, "empty alternative");
			return;
		}
		out->v = xrealloc(out->v, sizeof(*out->v) * (size_t)(out->n + 1));
		struct ast *a = &out->v[out->n++];
		if (c == '[' || c == '{') {
			parse_group(cd, l, a, c == '[' ? ']' : '}');
		} else {
			a->tok = add_tok(cd, l->word);
			a->opt = false;
			a->alts = NULL;
			a->nalt = 0;
		}
	}
}

static int new_state(struct cdef *cd, int kind, int tok, int o1, int o2)
{
	if (cd->nst == cd->cst) {
		cd->cst = cd->cst ? cd->cst * 2 : 32;
		cd->st = xrealloc(cd->st, sizeof(*cd->st) * (size_t)cd->cst);
	}
	cd->st[cd->nst] = (struct nst){ kind, tok, o1, o2 };
	return cd->nst++;
}

static int compile_seq(struct cdef *cd, const struct aseq *s, int next);

static int compile_node(struct cdef *cd, const struct ast *a, int next)
{
	if (a->tok >= 0)
		return new_state(cd, N_TOK, a->tok, next, -1);
	int n = a->nalt + (a->opt ? 1 : 0);
	int *starts = xrealloc(NULL, sizeof(int) * (size_t)n);
	for (int k = 0; k < a->nalt; k++)
		starts[k] = compile_seq(cd, &a->alts[k], next);
	if (a->opt)
		starts[a->nalt] = next;
	int s = starts[n - 1];
	for (int k = n - 2; k >= 0; k--)
		s = new_state(cd, N_SPLIT, -1, starts[k], s);
	free(starts);
	return s;
}

static int compile_seq(struct cdef *cd, const struct aseq *s, int next)
{
	for (int i = s->n - 1; i >= 0; i--)
		next = compile_node(cd, &s->v[i], next);
	return next;
}

/* Help for tokens: "word:text;word:text"; the k-th entry for a parameter
 * name goes to its k-th occurrence in the spec. */
static void assign_help(struct cdef *cd)
{
	const char *h = cd->def->help;
	for (int i = 0; i < cd->ntok; i++) {
		struct tok *t = &cd->tok[i];
		int occ = 0;
		for (int j = 0; j < i; j++)
			if (strcmp(cd->tok[j].text, t->text) == 0)
				occ++;
		const char *best = NULL;
		size_t bestlen = 0;
		int seen = 0;
		for (const char *p = h; p && *p;) {
			const char *end = strchr(p, ';');
			if (!end)
				end = p + strlen(p);
			const char *colon = memchr(p, ':', (size_t)(end - p));
			if (colon && (size_t)(colon - p) == strlen(t->text) &&
			    strncmp(p, t->text, (size_t)(colon - p)) == 0) {
				if (seen <= occ) {
					best = colon + 1;
					bestlen = (size_t)(end - colon - 1);
				}
				seen++;
			}
			p = *end ? end + 1 : end;
		}
		if (!best && t->type == T_KW) {
			best = dict_help(t->text);
			bestlen = best ? strlen(best) : 0;
		}
		t->help = best;
		t->helplen = bestlen;
	}
}

void cmd_register(const struct cmd_def *defs, int n)
{
	for (int i = 0; i < n; i++) {
		if (reg.n == reg.cap) {
			reg.cap = reg.cap ? reg.cap * 2 : 64;
			reg.v = xrealloc(reg.v, sizeof(*reg.v) * (size_t)reg.cap);
		}
		struct cdef *cd = &reg.v[reg.n];
		memset(cd, 0, sizeof(*cd));
		cd->def = &defs[i];
		struct lex l = { .p = defs[i].spec };
		struct aseq top;
		bool more;
		char closer = 0;
		parse_seq(cd, &l, &top, &more, &closer);
		if (more)
			spec_die(cd->def, "stray closing bracket");
		if (top.n == 0)
			spec_die(cd->def, "empty");
		for (int k = 0; k < top.n && top.v[k].tok >= 0 && cd->tok[top.v[k].tok].type == T_KW; k++)
			cd->lead_kw++;
		int match = new_state(cd, N_MATCH, -1, -1, -1);
		cd->start = compile_seq(cd, &top, match);
		free_seq(&top);
		for (int k = 0; k < cd->ntok; k++)
			if (cd->tok[k].type == T_LINE) {
				/* LINE swallows the rest, so nothing may follow it */
				for (int s = 0; s < cd->nst; s++)
					if (cd->st[s].kind == N_TOK && cd->st[s].tok == k &&
					    cd->st[cd->st[s].out1].kind != N_MATCH)
						spec_die(cd->def, "LINE must be last");
			}
		assign_help(cd);
		reg.n++;
	}
}

/* ---- matching ---- */

struct word {
	char *s;		/* NUL-terminated copy */
	int col;
	char canon[CFG_NAME_MAX];
};

struct line {
	char *raw;		/* the line, trailing blanks removed */
	char *buf;		/* word storage */
	struct word *w;
	int n;
};

static void line_split(struct line *ln, const char *text)
{
	size_t len = strlen(text);
	while (len && (text[len - 1] == ' ' || text[len - 1] == '\t' || text[len - 1] == '\r' ||
		       text[len - 1] == '\n'))
		len--;
	ln->raw = xrealloc(NULL, len + 1);
	memcpy(ln->raw, text, len);
	ln->raw[len] = '\0';
	ln->buf = xrealloc(NULL, len + 1);
	memcpy(ln->buf, ln->raw, len + 1);
	ln->w = NULL;
	ln->n = 0;
	int cap = 0;
	char *p = ln->buf;
	while (*p) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (!*p)
			break;
		if (ln->n == cap) {
			cap = cap ? cap * 2 : 8;
			ln->w = xrealloc(ln->w, sizeof(*ln->w) * (size_t)cap);
		}
		ln->w[ln->n].s = p;
		ln->w[ln->n].col = (int)(p - ln->buf);
		ln->w[ln->n].canon[0] = '\0';
		ln->n++;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
}

static void line_free(struct line *ln)
{
	free(ln->raw);
	free(ln->buf);
	free(ln->w);
}

struct thr {
	int d, s;
	int argc;
	int nwords;		/* words consumed (after "no") */
	bool done;		/* a LINE swallowed the rest */
	const char *argv[CMD_MAX_ARGS];
	int col[CMD_MAX_ARGS];
};

struct tset {
	struct thr *v;
	int n, cap;
};

static void ts_push(struct tset *ts, const struct thr *t)
{
	if (ts->n == ts->cap) {
		ts->cap = ts->cap ? ts->cap * 2 : 32;
		ts->v = xrealloc(ts->v, sizeof(*ts->v) * (size_t)ts->cap);
	}
	ts->v[ts->n++] = *t;
}

/* Adds the epsilon closure of state s for thread t. */
static void ts_add(struct tset *ts, const struct thr *t, int s)
{
	const struct nst *n = &reg.v[t->d].st[s];
	if (n->kind == N_SPLIT) {
		ts_add(ts, t, n->out1);
		ts_add(ts, t, n->out2);
		return;
	}
	for (int i = 0; i < ts->n; i++)
		if (ts->v[i].d == t->d && ts->v[i].s == s && ts->v[i].done == t->done)
			return;
	struct thr c = *t;
	c.s = s;
	ts_push(ts, &c);
}

static const struct tok *thr_tok(const struct thr *t)
{
	const struct nst *n = &reg.v[t->d].st[t->s];
	return n->kind == N_TOK ? &reg.v[t->d].tok[n->tok] : NULL;
}

static bool thr_complete(const struct thr *t)
{
	return reg.v[t->d].st[t->s].kind == N_MATCH;
}

/* A "no" line may stop once the command's keywords are given
 * ("no ip address", "no crypto map NAME", "no access-list 150"). */
static bool thr_accepts(const struct thr *t, bool negated)
{
	if (thr_complete(t))
		return true;
	return negated && !t->done && t->nwords >= reg.v[t->d].lead_kw && t->nwords > 0;
}

static bool param_match(const struct tok *tk, struct word *w, int *bad_off)
{
	uint32_t v;
	*bad_off = 0;
	switch (tk->type) {
	case T_IP:
		return cmd_parse_ip(w->s, &v);
	case T_WORD:
	case T_LINE:
		return true;
	case T_HEX:
		return is_hex(w->s);
	case T_RANGE:
		return cmd_parse_u32(w->s, &v) && v >= tk->lo && v <= tk->hi;
	case T_IFNAME:
		return cmd_ifname_canon(w->s, w->canon, sizeof(w->canon));
	case T_PORT: {
		uint16_t port;
		return cfg_port_parse(w->s, 6, &port) || cfg_port_parse(w->s, 17, &port);
	}
	case T_KW:
		break;
	}
	return false;
}

struct match {
	enum cmd_status st;
	int col;
	bool handled;
	struct tset cur;	/* the live threads when matching stopped */
	int chosen;		/* index in cur of the accepted thread, or -1 */
};

static size_t prefix_len(const char *a, const char *b)
{
	size_t i = 0;
	while (a[i] && b[i] && tolower((unsigned char)a[i]) == tolower((unsigned char)b[i]))
		i++;
	return i;
}

/*
 * Runs words [first, upto) of ln through mode's commands.  With upto < n the
 * caller wants the state before a partial word (help, completion).
 */
static void match_words(enum cli_mode mode, bool negated, struct line *ln, int first, int upto,
			struct match *m)
{
	memset(m, 0, sizeof(*m));
	m->chosen = -1;
	m->st = CMDST_OK;
	struct thr t0;
	memset(&t0, 0, sizeof(t0));
	for (int d = 0; d < reg.n; d++) {
		if (reg.v[d].def->mode != mode)
			continue;
		if (negated && !reg.v[d].def->no_fn)
			continue;
		t0.d = d;
		ts_add(&m->cur, &t0, reg.v[d].start);
	}
	for (int i = first; i < upto; i++) {
		struct word *w = &ln->w[i];
		struct tset nxt = { 0 };
		int nexact = 0, nprefix = 0;
		const char *pfx_kw = NULL;
		bool pfx_ambig = false;
		for (int k = 0; k < m->cur.n; k++) {
			const struct thr *t = &m->cur.v[k];
			const struct tok *tk = thr_tok(t);
			if (t->done || !tk || tk->type != T_KW)
				continue;
			if (strcasecmp(w->s, tk->text) == 0) {
				nexact++;
			} else if (strncasecmp(w->s, tk->text, strlen(w->s)) == 0) {
				nprefix++;
				if (pfx_kw && strcasecmp(pfx_kw, tk->text) != 0)
					pfx_ambig = true;
				pfx_kw = tk->text;
			}
		}
		if (!nexact && nprefix && pfx_ambig) {
			m->st = CMDST_AMBIGUOUS;
			m->col = w->col;
			free(nxt.v);
			return;
		}
		bool any_param = false;
		for (int k = 0; k < m->cur.n; k++) {
			struct thr *t = &m->cur.v[k];
			if (t->done) {
				ts_push(&nxt, t);
				continue;
			}
			const struct tok *tk = thr_tok(t);
			if (!tk)
				continue;
			bool take;
			if (tk->type == T_KW) {
				take = nexact ? strcasecmp(w->s, tk->text) == 0
					      : nprefix && strncasecmp(w->s, tk->text, strlen(w->s)) == 0;
			} else {
				any_param = true;
				int off;
				take = !nexact && !nprefix && param_match(tk, w, &off);
			}
			if (!take)
				continue;
			struct thr c = *t;
			if (c.argc >= CMD_MAX_ARGS)
				continue;
			c.col[c.argc] = w->col;
			if (tk->type == T_KW)
				c.argv[c.argc++] = tk->text;
			else if (tk->type == T_IFNAME)
				c.argv[c.argc++] = w->canon;
			else if (tk->type == T_LINE)
				c.argv[c.argc++] = ln->raw + w->col;
			else
				c.argv[c.argc++] = w->s;
			c.nwords++;
			if (tk->type == T_LINE)
				c.done = true;
			int lead = reg.v[c.d].lead_kw;
			if (c.nwords >= (lead ? lead : 1))
				m->handled = true;
			ts_add(&nxt, &c, reg.v[c.d].st[c.s].out1);
		}
		if (nxt.n == 0) {
			/* caret: the first character no keyword accepts */
			size_t best = 0;
			if (!any_param)
				for (int k = 0; k < m->cur.n; k++) {
					const struct tok *tk = thr_tok(&m->cur.v[k]);
					if (tk && tk->type == T_KW) {
						size_t pl = prefix_len(w->s, tk->text);
						if (pl > best)
							best = pl;
					}
				}
			if (best >= strlen(w->s))
				best = 0;
			m->st = CMDST_INVALID;
			m->col = w->col + (int)best;
			free(nxt.v);
			return;
		}
		free(m->cur.v);
		m->cur = nxt;
		bool all_done = true;
		for (int k = 0; k < m->cur.n; k++)
			if (!m->cur.v[k].done)
				all_done = false;
		if (all_done)
			break;
	}
	if (upto < ln->n)
		return;		/* help / completion: the caller looks at cur */
	/* choose: a complete command first, in registration order */
	for (int pass = 0; pass < 2 && m->chosen < 0; pass++)
		for (int k = 0; k < m->cur.n; k++) {
			const struct thr *t = &m->cur.v[k];
			if (pass == 0 ? thr_complete(t) : thr_accepts(t, negated)) {
				if (m->chosen < 0 || t->d < m->cur.v[m->chosen].d)
					m->chosen = k;
			}
		}
	if (m->chosen < 0) {
		m->st = CMDST_INCOMPLETE;
		m->col = (int)strlen(ln->raw) + 1;
	}
}

static bool is_config_mode(enum cli_mode m) { return m != MODE_EXEC; }

static bool line_negated(const struct line *ln)
{
	return ln->n > 0 && strcasecmp(ln->w[0].s, "no") == 0;
}

/* The error text for the loader and the CLI share these words. */
static void run_matched(struct cli_ctx *ctx, struct match *m, bool negated, struct cmd_result *res)
{
	const struct thr *t = &m->cur.v[m->chosen];
	const struct cmd_def *def = reg.v[t->d].def;
	struct cmd_args a;
	memset(&a, 0, sizeof(a));
	a.argc = t->argc;
	for (int i = 0; i < t->argc; i++) {
		a.argv[i] = t->argv[i];
		a.col[i] = t->col[i];
	}
	a.negated = negated;
	ctx->bad_arg = -1;
	cmd_fn fn = negated ? def->no_fn : def->fn;
	int rc = fn(ctx, &a);
	if (rc == CMD_ASYNC) {
		res->st = CMDST_ASYNC;
	} else if (rc == 0) {
		res->st = CMDST_OK;
		if (is_config_mode(def->mode))
			ctx->changed = true;
	} else if (ctx->bad_arg >= 0 && ctx->bad_arg < a.argc) {
		res->st = CMDST_INVALID;
		res->col = a.col[ctx->bad_arg];
	} else {
		res->st = CMDST_FAILED;
	}
}

void cmd_run_mode(struct cli_ctx *ctx, enum cli_mode mode, const char *text, struct cmd_result *res)
{
	struct line ln;
	line_split(&ln, text);
	memset(res, 0, sizeof(*res));
	if (ln.n == 0 || ln.w[0].s[0] == '!') {
		res->st = CMDST_OK;
		line_free(&ln);
		return;
	}
	bool neg = line_negated(&ln);
	struct match m;
	if (neg && ln.n == 1) {
		/* bare "no" */
		res->st = CMDST_INCOMPLETE;
		res->col = (int)strlen(ln.raw) + 1;
		line_free(&ln);
		return;
	}
	match_words(mode, neg, &ln, neg ? 1 : 0, ln.n, &m);
	if (m.st == CMDST_OK) {
		enum cli_mode saved = ctx->mode;
		ctx->mode = mode;
		run_matched(ctx, &m, neg, res);
		if (res->st != CMDST_OK && res->st != CMDST_ASYNC && ctx->mode == mode)
			ctx->mode = saved;
	} else {
		res->st = m.st == CMDST_INVALID && !m.handled ? CMDST_UNHANDLED : m.st;
		res->handled = m.handled;
		res->col = m.col;
		/* keep the caret for callers that print it even when unhandled */
	}
	free(m.cur.v);
	line_free(&ln);
}

void cmd_print_caret(struct cli_ctx *ctx, const char *line, int col)
{
	if (ctx->echo_line) {
		const char *p = line;
		size_t n = strlen(p);
		while (n && (p[n - 1] == '\n' || p[n - 1] == '\r'))
			n--;
		sb_putn(ctx->out, p, n);
		sb_puts(ctx->out, "\n");
	}
	int pad = (ctx->echo_line ? 0 : ctx->caret_indent) + col;
	if (pad < 0)
		pad = 0;
	sb_printf(ctx->out, "%*s^\n%% Invalid input detected at '^' marker.\n\n", pad, "");
}

static void print_error(struct cli_ctx *ctx, const char *line, const struct cmd_result *r)
{
	switch (r->st) {
	case CMDST_INVALID:
	case CMDST_UNHANDLED:
		cmd_print_caret(ctx, line, r->col);
		break;
	case CMDST_INCOMPLETE:
		sb_puts(ctx->out, "% Incomplete command.\n\n");
		break;
	case CMDST_AMBIGUOUS: {
		size_t n = strlen(line);
		while (n && strchr(" \t\r\n", line[n - 1]))
			n--;
		sb_printf(ctx->out, "%% Ambiguous command:  \"%.*s\"\n", (int)n, line);
		break;
	}
	default:
		break;
	}
}

static bool is_submode(enum cli_mode m)
{
	return m != MODE_EXEC && m != MODE_CONFIG && m < MODE_COUNT;
}

int cmd_execute(struct cli_ctx *ctx, const char *line)
{
	struct cmd_result r;
	struct strbuf *real = ctx->out, scratch;
	sb_init(&scratch);
	/* A sub-mode that does not know the line hands it to global config. */
	if (is_submode(ctx->mode)) {
		ctx->out = &scratch;
		cmd_run_mode(ctx, ctx->mode, line, &r);
		ctx->out = real;
		/* a nested sub-mode (keyring peer) hands it to its parent first */
		if (r.st == CMDST_UNHANDLED) {
			enum cli_mode sub = ctx->mode;
			char key[sizeof(ctx->mode_key)];
			memcpy(key, ctx->mode_key, sizeof(key));
			if (cfg_mode_parent(ctx)) {
				sb_reset(&scratch);
				ctx->out = &scratch;
				cmd_run_mode(ctx, ctx->mode, line, &r);
				ctx->out = real;
				if (r.st == CMDST_UNHANDLED) {
					ctx->mode = sub;
					memcpy(ctx->mode_key, key, sizeof(key));
				}
			}
		}
		if (r.st == CMDST_UNHANDLED) {
			struct cmd_result r2;
			enum cli_mode sub = ctx->mode;
			char key[sizeof(ctx->mode_key)];
			memcpy(key, ctx->mode_key, sizeof(key));
			ctx->mode = MODE_CONFIG;
			cmd_run_mode(ctx, MODE_CONFIG, line, &r2);
			if (r2.st == CMDST_OK || r2.st == CMDST_ASYNC) {
				/* IOS leaves the sub-mode for the global command */
				r = r2;
			} else {
				ctx->mode = sub;
				memcpy(ctx->mode_key, key, sizeof(key));
				if (r2.st != CMDST_UNHANDLED)
					r = r2;
			}
		} else {
			sb_puts(ctx->out, sb_str(&scratch));
		}
	} else {
		cmd_run_mode(ctx, ctx->mode, line, &r);
	}
	sb_free(&scratch);
	if (r.st == CMDST_OK)
		return 0;
	if (r.st == CMDST_ASYNC)
		return CMD_ASYNC;
	print_error(ctx, line, &r);
	return -1;
}

/* ---- help and completion ---- */

struct cand {
	const char *name;	/* shown */
	const char *help;
	size_t helplen;
	bool param;
	uint32_t lo;
};

static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (x->param != y->param)
		return x->param ? -1 : 1;
	if (x->param)
		return 0;
	return strcasecmp(x->name, y->name);
}

static const char *param_default_help(const struct tok *tk)
{
	switch (tk->type) {
	case T_IP: return "IP address";
	case T_WORD: return "Name";
	case T_LINE: return "Text";
	case T_HEX: return "Hex string (no 0x)";
	case T_PORT: return "Port number";
	case T_RANGE: return "Number";
	default: return "";
	}
}

static bool mode_has_no(enum cli_mode mode)
{
	for (int d = 0; d < reg.n; d++)
		if (reg.v[d].def->mode == mode && reg.v[d].def->no_fn)
			return true;
	return false;
}

void cmd_help(struct cli_ctx *ctx, const char *text, struct strbuf *out)
{
	struct line ln;
	line_split(&ln, text);
	size_t tl = strlen(text);
	bool partial = tl > 0 && text[tl - 1] != ' ' && text[tl - 1] != '\t' && ln.n > 0;
	int upto = partial ? ln.n - 1 : ln.n;
	bool neg = line_negated(&ln) && !(partial && ln.n == 1);
	struct match m;
	match_words(ctx->mode, neg, &ln, neg ? 1 : 0, upto, &m);
	if (m.st == CMDST_AMBIGUOUS) {
		sb_printf(out, "%% Ambiguous command:  \"%s\"\n", ln.raw);
		goto done;
	}
	if (m.st == CMDST_INVALID) {
		if ((m.col == 0 && !neg) || !m.handled) {
			sb_puts(out, "% Unrecognized command\n");
		} else {
			struct strbuf *saved = ctx->out;
			ctx->out = out;
			cmd_print_caret(ctx, ln.raw, m.col);
			ctx->out = saved;
		}
		goto done;
	}
	struct cand *c = NULL;
	int nc = 0;
	bool cr = false;
	const char *pw = partial ? ln.w[ln.n - 1].s : NULL;
	if (upto == 0 && mode_has_no(ctx->mode) && (!pw || strncasecmp(pw, "no", strlen(pw)) == 0)) {
		c = xrealloc(c, sizeof(*c) * (size_t)(nc + 1));
		c[nc++] = (struct cand){ "no", dict_help("no"), strlen(dict_help("no")), false, 0 };
	}
	for (int k = 0; k < m.cur.n; k++) {
		const struct thr *t = &m.cur.v[k];
		if (!partial && thr_accepts(t, neg) && (upto > (neg ? 1 : 0)))
			cr = true;
		const struct tok *tk = thr_tok(t);
		if (!tk || t->done)
			continue;
		if (partial && (tk->type != T_KW || strncasecmp(pw, tk->text, strlen(pw)) != 0))
			continue;
		if (tk->type == T_IFNAME) {
			for (int i = 0; i < NIFTYPES; i++) {
				bool dup = false;
				for (int j = 0; j < nc; j++)
					dup |= strcmp(c[j].name, iftypes[i].name) == 0;
				if (dup)
					continue;
				c = xrealloc(c, sizeof(*c) * (size_t)(nc + 1));
				c[nc++] = (struct cand){ iftypes[i].name, iftypes[i].help,
							 strlen(iftypes[i].help), false, 0 };
			}
			continue;
		}
		const char *name = tk->type == T_PORT ? "<0-65535>" : tk->text;
		bool dup = false;
		for (int j = 0; j < nc; j++)
			dup |= strcmp(c[j].name, name) == 0;
		if (dup)
			continue;
		c = xrealloc(c, sizeof(*c) * (size_t)(nc + 1));
		const char *h = tk->help ? tk->help : param_default_help(tk);
		size_t hl = tk->help ? tk->helplen : strlen(h);
		c[nc++] = (struct cand){ name, h, hl, tk->type != T_KW, tk->lo };
	}
	if (partial) {
		if (nc == 0) {
			sb_puts(out, "% Unrecognized command\n");
		} else {
			qsort(c, (size_t)nc, sizeof(*c), cand_cmp);
			for (int i = 0; i < nc; i++)
				sb_printf(out, "%s%s", i ? "  " : "", c[i].name);
			sb_puts(out, "\n\n");
		}
		free(c);
		goto done;
	}
	if (nc)
		qsort(c, (size_t)nc, sizeof(*c), cand_cmp);
	int width = cr ? 4 : 0;
	for (int i = 0; i < nc; i++)
		if ((int)strlen(c[i].name) > width)
			width = (int)strlen(c[i].name);
	for (int i = 0; i < nc; i++) {
		if (c[i].helplen)
			sb_printf(out, "  %-*s  %.*s\n", width, c[i].name, (int)c[i].helplen, c[i].help);
		else
			sb_printf(out, "  %s\n", c[i].name);
	}
	if (cr)
		sb_puts(out, "  <cr>\n");
	if (!nc && !cr)
		sb_puts(out, "% Unrecognized command\n");
	sb_puts(out, "\n");
	free(c);
done:
	free(m.cur.v);
	line_free(&ln);
}

char *cmd_complete(struct cli_ctx *ctx, const char *text)
{
	size_t tl = strlen(text);
	if (tl == 0 || text[tl - 1] == ' ' || text[tl - 1] == '\t')
		return NULL;
	struct line ln;
	line_split(&ln, text);
	if (ln.n == 0) {
		line_free(&ln);
		return NULL;
	}
	bool neg = line_negated(&ln) && ln.n > 1;
	struct match m;
	match_words(ctx->mode, neg, &ln, neg ? 1 : 0, ln.n - 1, &m);
	char *res = NULL;
	if (m.st == CMDST_OK) {
		const char *pw = ln.w[ln.n - 1].s;
		size_t pl = strlen(pw);
		const char *kw = NULL;
		bool ambig = false, ifname = false;
		if (ln.n == 1 && mode_has_no(ctx->mode) && strncasecmp(pw, "no", pl) == 0)
			kw = "no";
		for (int k = 0; k < m.cur.n; k++) {
			const struct tok *tk = thr_tok(&m.cur.v[k]);
			if (!tk || m.cur.v[k].done)
				continue;
			if (tk->type == T_IFNAME)
				ifname = true;
			if (tk->type != T_KW || strncasecmp(pw, tk->text, pl) != 0)
				continue;
			if (kw && strcasecmp(kw, tk->text) != 0)
				ambig = true;
			kw = tk->text;
		}
		struct strbuf sb;
		sb_init(&sb);
		int col = ln.w[ln.n - 1].col;
		if (kw && !ambig) {
			sb_putn(&sb, ln.raw, (size_t)col);
			sb_printf(&sb, "%s ", kw);
			res = sb_take(&sb);
		} else if (!kw && ifname) {
			size_t t = 0;
			while (pw[t] && (isalpha((unsigned char)pw[t]) || pw[t] == '-'))
				t++;
			int ty = iftype_lookup(pw, t);
			if (ty >= 0) {
				sb_putn(&sb, ln.raw, (size_t)col);
				sb_printf(&sb, "%s%s", iftypes[ty].name, pw + t);
				res = sb_take(&sb);
			}
		}
		sb_free(&sb);
	}
	free(m.cur.v);
	line_free(&ln);
	return res;
}

/* ---- prompt and argument access ---- */

void cmd_prompt(const struct cli_ctx *ctx, struct strbuf *out)
{
	static const char *const suffix[MODE_COUNT] = {
		[MODE_EXEC] = "#",
		[MODE_CONFIG] = "(config)#",
		[MODE_CONFIG_IF] = "(config-if)#",
		[MODE_CONFIG_ISAKMP] = "(config-isakmp)#",
		[MODE_CONFIG_CMAP] = "(config-crypto-map)#",
		[MODE_CONFIG_TSET] = "(cfg-crypto-trans)#",
		[MODE_CONFIG_OPAQUE] = "(config-line)#",
		[MODE_CONFIG_V2_PROPOSAL] = "(config-ikev2-proposal)#",
		[MODE_CONFIG_V2_POLICY] = "(config-ikev2-policy)#",
		[MODE_CONFIG_V2_KEYRING] = "(config-ikev2-keyring)#",
		[MODE_CONFIG_V2_KR_PEER] = "(config-ikev2-keyring-peer)#",
		[MODE_CONFIG_V2_PROFILE] = "(config-ikev2-profile)#",
	};
	const char *host = ctx->cfg ? ctx->cfg->hostname : "Router";
	sb_printf(out, "%s%s", host, ctx->mode < MODE_COUNT ? suffix[ctx->mode] : "#");
}

bool cmd_has(const struct cmd_args *a, const char *kw) { return cmd_find(a, kw, 0) >= 0; }

int cmd_find(const struct cmd_args *a, const char *kw, int from)
{
	for (int i = from < 0 ? 0 : from; i < a->argc; i++)
		if (strcmp(a->argv[i], kw) == 0)
			return i;
	return -1;
}

const char *cmd_after(const struct cmd_args *a, const char *kw)
{
	int i = cmd_find(a, kw, 0);
	return i >= 0 && i + 1 < a->argc ? a->argv[i + 1] : NULL;
}

bool cmd_after_ip(const struct cmd_args *a, const char *kw, uint32_t *ip)
{
	const char *s = cmd_after(a, kw);
	return s && cmd_parse_ip(s, ip);
}

bool cmd_after_u32(const struct cmd_args *a, const char *kw, uint32_t *v)
{
	const char *s = cmd_after(a, kw);
	return s && cmd_parse_u32(s, v);
}

int cmd_bad(struct cli_ctx *ctx, const struct cmd_args *a, int i)
{
	ctx->bad_arg = i >= 0 && i < a->argc ? i : -1;
	return -1;
}
