/* Placeholder until src/config lands. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config/load.h"

struct config *config_new(void)
{
	struct config *c = calloc(1, sizeof(*c));
	strcpy(c->hostname, "Router");
	c->logging_buffered = true;
	c->logging_buffer_size = 8192;
	return c;
}
void config_free(struct config *c) { free(c); }
struct config *config_load_file(const char *path, struct strbuf *err, struct strbuf *notes) { (void)path; (void)err; (void)notes; return config_new(); }

#include "config/cmdtree.h"
void cmd_register(const struct cmd_def *defs, int n) { (void)defs; (void)n; }
bool cmd_has(const struct cmd_args *a, const char *k) { for (int i = 0; i < a->argc; i++) if (!strcmp(a->argv[i], k)) return true; return false; }
const char *cmd_after(const struct cmd_args *a, const char *k) { for (int i = 0; i + 1 < a->argc; i++) if (!strcmp(a->argv[i], k)) return a->argv[i + 1]; return NULL; }
bool cmd_after_ip(const struct cmd_args *a, const char *k, uint32_t *ip) { const char *s = cmd_after(a, k); return s && cmd_parse_ip(s, ip); }
bool cmd_after_u32(const struct cmd_args *a, const char *k, uint32_t *v) { const char *s = cmd_after(a, k); if (!s) return false; *v = (uint32_t)strtoul(s, NULL, 10); return true; }
bool cmd_parse_ip(const char *s, uint32_t *ip) { unsigned a, b, c, d; char x; if (sscanf(s, "%u.%u.%u.%u%c", &a, &b, &c, &d, &x) != 4 || a > 255 || b > 255 || c > 255 || d > 255) return false; *ip = a << 24 | b << 16 | c << 8 | d; return true; }
void cli_async_write(struct cli_ctx *ctx, const char *text) { sb_puts(ctx->out, text); }
void cli_async_done(struct cli_ctx *ctx, int status) { (void)ctx; (void)status; }
const struct cfg_iface *config_iface(const struct config *cfg, const char *name) { for (size_t i = 0; i < cfg->niface; i++) if (!strcasecmp(cfg->ifaces[i].name, name)) return &cfg->ifaces[i]; return NULL; }
const struct cfg_acl *config_acl(const struct config *cfg, int n) { for (size_t i = 0; i < cfg->nacl; i++) if (cfg->acls[i].number == n) return &cfg->acls[i]; return NULL; }
const struct cfg_transform_set *config_tset(const struct config *cfg, const char *name) { for (size_t i = 0; i < cfg->ntset; i++) if (!strcmp(cfg->tsets[i].name, name)) return &cfg->tsets[i]; return NULL; }
const struct cfg_isakmp_key *config_key_for(const struct config *cfg, uint32_t peer) { const struct cfg_isakmp_key *best = NULL; for (size_t i = 0; i < cfg->nkey; i++) { const struct cfg_isakmp_key *k = &cfg->keys[i]; if ((peer & k->mask) == (k->addr & k->mask) && (!best || k->mask > best->mask)) best = k; } return best; }
bool config_is_static_peer(const struct config *cfg, uint32_t addr) { for (size_t i = 0; i < cfg->ncmap; i++) for (size_t j = 0; j < cfg->cmaps[i].npeers; j++) if (cfg->cmaps[i].peers[j] == addr) return true; return false; }
