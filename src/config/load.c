/*
 * Loading a whole config file.  Each top-level line runs through the same
 * command tree as the CLI, into a fresh config; indented lines belong to the
 * block above them.  A line of a command we implement that does not parse
 * stops the load (nothing applied); a line we do not implement is kept
 * verbatim in its place and reported once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/cfg_int.h"
#include "config/load.h"

#define CONFIG_FILE_MAX (4u << 20)

static bool starts(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

static bool is_header(const char *body)
{
	return starts(body, "Building configuration") || starts(body, "Current configuration") ||
	       strcmp(body, "end") == 0;
}

static bool is_version(const char *body)
{
	return strcmp(body, "version") == 0 || starts(body, "version ");
}

static size_t add_opaque(struct config *cfg, const char *text, int lineno)
{
	struct cfg_opaque *n = realloc(cfg->opaque, sizeof(*n) * (cfg->nopaque + 1));
	if (!n)
		abort();
	cfg->opaque = n;
	struct cfg_opaque *o = &cfg->opaque[cfg->nopaque];
	memset(o, 0, sizeof(*o));
	o->text = strdup(text);
	if (!o->text)
		abort();
	o->lineno = lineno;
	cfg_order_add_opaque(cfg, cfg->nopaque);
	return cfg->nopaque++;
}

static void note(struct strbuf *notes, const char *name, int lineno, const char *text)
{
	if (notes)
		sb_printf(notes, "%s:%d: %% Not supported, kept in running-config: %s\n", name, lineno, text);
}

/* The extra sub-lines of the object a sub-mode is editing. */
static struct cfg_opaque *mode_extra(struct cli_ctx *ctx)
{
	switch (ctx->mode) {
	case MODE_CONFIG_IF: {
		struct cfg_iface *x = cfg_cur_iface(ctx);
		return x ? &x->extra : NULL;
	}
	case MODE_CONFIG_ISAKMP: {
		struct cfg_isakmp_policy *x = cfg_cur_policy(ctx);
		return x ? &x->extra : NULL;
	}
	case MODE_CONFIG_CMAP: {
		struct cfg_cmap_entry *x = cfg_cur_cmap(ctx);
		return x ? &x->extra : NULL;
	}
	case MODE_CONFIG_TSET: {
		struct cfg_transform_set *x = cfg_cur_tset(ctx);
		return x ? &x->extra : NULL;
	}
	default:
		return cfg_v2_mode_extra(ctx);
	}
}

static void load_error(struct strbuf *err, const char *name, int lineno, const char *line,
		       int indent, const struct cmd_result *r, const char *handler_out)
{
	if (!err)
		return;
	if (r->st == CMDST_FAILED) {
		const char *msg = handler_out && *handler_out ? handler_out : "% Invalid input\n";
		sb_printf(err, "%s:%d: %s", name, lineno, msg);
		sb_printf(err, "%s\n", line);
		return;
	}
	sb_printf(err, "%s:%d: %% Invalid input detected at '^' marker.\n", name, lineno);
	sb_printf(err, "%s\n%*s^\n", line, indent + r->col, "");
	if (handler_out && *handler_out)
		sb_puts(err, handler_out);
}

struct config *config_load_string(const char *text, const char *name, struct strbuf *err,
				  struct strbuf *notes)
{
	struct config *cfg = config_new_empty();
	struct strbuf out, linebuf;
	sb_init(&out);
	sb_init(&linebuf);
	struct cli_ctx ctx;
	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = cfg;
	ctx.out = &out;
	ctx.mode = MODE_CONFIG;
	ctx.loading = true;
	ctx.bad_arg = -1;
	enum { B_NONE, B_HANDLED, B_OPAQUE } block = B_NONE;
	size_t opq = 0;
	int lineno = 0;
	bool ok = true;
	for (const char *p = text; *p && ok;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		lineno++;
		sb_reset(&linebuf);
		sb_putn(&linebuf, p, len);
		p = nl ? nl + 1 : p + len;
		char *line = linebuf.s;
		size_t l = strlen(line);	/* stops at an embedded NUL, never past len */
		while (l && (line[l - 1] == '\r' || line[l - 1] == ' ' || line[l - 1] == '\t'))
			line[--l] = '\0';
		if (!l)
			continue;
		int indent = 0;
		while (line[indent] == ' ' || line[indent] == '\t')
			indent++;
		const char *body = line + indent;
		ctx.lineno = lineno;
		struct cmd_result r;
		if (indent == 0) {
			/* dropped here and re-created by the renderer, so they must
			 * not end a block either, or a reload would see it differently */
			if (is_header(body))
				continue;
			block = B_NONE;
			ctx.mode = MODE_CONFIG;
			ctx.mode_key[0] = '\0';
			if (body[0] == '!') {
				cfg_order_add_bang(cfg, body);
				continue;
			}
			if (is_version(body)) {
				opq = add_opaque(cfg, body, lineno);
				block = B_OPAQUE;
				continue;
			}
			sb_reset(&out);
			cmd_run_mode(&ctx, MODE_CONFIG, body, &r);
			if (r.st == CMDST_OK) {
				block = ctx.mode != MODE_CONFIG && ctx.mode != MODE_EXEC ? B_HANDLED : B_NONE;
				if (ctx.mode == MODE_EXEC)
					ctx.mode = MODE_CONFIG;
			} else if (r.st == CMDST_UNHANDLED || (r.st == CMDST_AMBIGUOUS && !r.handled)) {
				opq = add_opaque(cfg, body, lineno);
				note(notes, name, lineno, body);
				block = B_OPAQUE;
			} else {
				load_error(err, name, lineno, line, indent, &r, sb_str(&out));
				ok = false;
			}
			continue;
		}
		/* an indented line: part of the block above */
		if (block == B_OPAQUE) {
			/* keep relative indentation of deeper levels */
			cfg_opaque_add_sub(&cfg->opaque[opq], line + 1);
			continue;
		}
		if (block == B_NONE) {
			/* no block to belong to: keep the indentation, so that the
			 * rendering does not turn it into a top-level command */
			opq = add_opaque(cfg, line, lineno);
			note(notes, name, lineno, body);
			block = B_OPAQUE;
			continue;
		}
		if (body[0] == '!') {
			/* crypto ikev2 blocks: the renderer writes their "!" itself */
			struct cfg_opaque *x = cfg_v2_mode(ctx.mode) ? NULL : mode_extra(&ctx);
			if (x)
				cfg_opaque_add_sub(x, line + 1);
			continue;
		}
		sb_reset(&out);
		enum cli_mode sub = ctx.mode;
		cmd_run_mode(&ctx, sub, body, &r);
		if (r.st == CMDST_UNHANDLED) {
			/* a keyring's next `peer` line, after the previous peer's block */
			char key[sizeof(ctx.mode_key)];
			memcpy(key, ctx.mode_key, sizeof(key));
			if (cfg_mode_parent(&ctx)) {
				sb_reset(&out);
				cmd_run_mode(&ctx, ctx.mode, body, &r);
				if (r.st == CMDST_UNHANDLED) {
					ctx.mode = sub;
					memcpy(ctx.mode_key, key, sizeof(key));
				} else if (ctx.mode != sub) {
					sub = ctx.mode;	/* the block goes on in the parent */
				}
			}
		}
		if (r.st == CMDST_OK) {
			if (ctx.mode != sub) {
				/* "exit" inside a block: later sub-lines have no owner */
				block = ctx.mode == MODE_CONFIG || ctx.mode == MODE_EXEC ? B_NONE : B_HANDLED;
				if (ctx.mode == MODE_EXEC)
					ctx.mode = MODE_CONFIG;
			}
		} else if (r.st == CMDST_UNHANDLED || (r.st == CMDST_AMBIGUOUS && !r.handled)) {
			struct cfg_opaque *x = mode_extra(&ctx);
			if (x)
				cfg_opaque_add_sub(x, line + 1);
			note(notes, name, lineno, body);
		} else {
			load_error(err, name, lineno, line, indent, &r, sb_str(&out));
			ok = false;
		}
	}
	sb_free(&out);
	sb_free(&linebuf);
	if (ok && cfg_check_cmaps(cfg, name, err) < 0)
		ok = false;
	if (ok && cfg_v2_check_refs(cfg, name, err) < 0)
		ok = false;
	if (ok)
		cfg_v2_notes(cfg, name, notes);
	if (!ok) {
		config_free(cfg);
		return NULL;
	}
	if (!cfg_order_has(cfg, ORD_HOSTNAME, ""))
		cfg_order_touch(cfg, false, ORD_HOSTNAME, "");
	return cfg;
}

struct config *config_load_file(const char *path, struct strbuf *err, struct strbuf *notes)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (err)
			sb_printf(err, "%s: %% Cannot open the configuration: %s\n", path, strerror(errno));
		return NULL;
	}
	struct strbuf sb;
	sb_init(&sb);
	char buf[8192];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (sb.len + (size_t)n > CONFIG_FILE_MAX) {
			close(fd);
			sb_free(&sb);
			if (err)
				sb_printf(err, "%s: %% Configuration too large\n", path);
			return NULL;
		}
		sb_putn(&sb, buf, (size_t)n);
	}
	int rerr = errno;
	close(fd);
	if (n < 0) {
		sb_free(&sb);
		if (err)
			sb_printf(err, "%s: %% Cannot read the configuration: %s\n", path, strerror(rerr));
		return NULL;
	}
	struct config *cfg = config_load_string(sb_str(&sb), path, err, notes);
	sb_free(&sb);
	return cfg;
}

/* Reads a whole small file (the previous startup-config); NULL if absent. */
static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	struct strbuf sb;
	sb_init(&sb);
	char buf[8192];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && sb.len <= CONFIG_FILE_MAX)
		sb_putn(&sb, buf, n);
	bool bad = ferror(f);
	fclose(f);
	if (bad) {
		sb_free(&sb);
		return NULL;
	}
	*len = sb.len;
	return sb_take(&sb);
}

/*
 * Replaces path with data so that a crash at any point leaves either the
 * old or the new file whole: a temporary file in the same directory (same
 * filesystem, so rename is atomic), written and fsync'ed, renamed over
 * path, then the directory fsync'ed so the rename itself is durable.
 * The file gets mode/owner of st (the previous file), so a config that
 * holds pre-shared keys does not become world-readable.
 */
static int replace_file(const char *path, const char *data, size_t len, const struct stat *st,
			struct strbuf *err)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 16);
	if (!tmp)
		abort();
	snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
	int fd = mkstemp(tmp);	/* mode 0600 */
	int rc = -1;
	if (fd < 0) {
		sb_printf(err, "%% Error opening %s (%s)\n", path, strerror(errno));
		free(tmp);
		return -1;
	}
	if (st) {
		fchmod(fd, st->st_mode & 07777);
		/* Only root may give a file away; as the service user it stays ours. */
		if (fchown(fd, st->st_uid, st->st_gid) < 0 && errno != EPERM)
			goto fail;
	}
	while (len) {
		ssize_t w = write(fd, data, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto fail;
		data += w;
		len -= (size_t)w;
	}
	if (fsync(fd) < 0)
		goto fail;
	int cfd = fd;
	fd = -1;
	if (close(cfd) < 0 || rename(tmp, path) < 0)
		goto fail;
	char *dir = strdup(path), *slash = dir ? strrchr(dir, '/') : NULL;
	if (!dir)
		abort();
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(tmp);
	return 0;
fail:
	sb_printf(err, "%% Error writing %s (%s)\n", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return rc;
}

int config_save(const struct config *cfg, const char *path, struct strbuf *err)
{
	struct strbuf sb;
	sb_init(&sb);
	config_render(cfg, &sb);
	struct stat st;
	bool had = stat(path, &st) == 0 && S_ISREG(st.st_mode);
	int rc = 0;
	if (had) {
		/* The previous version becomes FILE.bak (itself replaced atomically),
		 * a copy rather than a hard link so it works whoever owns FILE. */
		size_t olen = 0;
		char *old = read_all(path, &olen);
		size_t blen = strlen(path) + 5;
		char *bak = malloc(blen);
		if (!bak)
			abort();
		snprintf(bak, blen, "%s.bak", path);
		if (!old) {
			sb_printf(err, "%% Error reading %s (%s)\n", path, strerror(errno));
			rc = -1;
		} else {
			rc = replace_file(bak, old, olen, &st, err);
		}
		free(old);
		free(bak);
	}
	if (rc == 0) {
		/* A new file: 0600, since a config holds pre-shared keys. */
		rc = replace_file(path, sb_str(&sb), sb.len, had ? &st : NULL, err);
	}
	sb_free(&sb);
	return rc;
}
