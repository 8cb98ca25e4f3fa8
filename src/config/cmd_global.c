/* Global config commands: hostname, ip route, exit/end/do (logging: cmd_logging.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_int.h"
#include "core/log.h"

static int hostname_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	const char *h = a->argv[1];
	if (!cfg_strcpy(ctx->cfg->hostname, sizeof(ctx->cfg->hostname), h))
		return cmd_bad(ctx, a, 1);
	cfg_order_touch(ctx->cfg, ctx->loading, ORD_HOSTNAME, "");
	return 0;
}

static int no_hostname_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	(void)a;
	snprintf(ctx->cfg->hostname, sizeof(ctx->cfg->hostname), "Router");
	return 0;
}

static bool mask_ok(uint32_t m) { return (~m & (~m + 1)) == 0; }

/* ip route P M {NH | IFNAME} [distance] */
static int parse_route(struct cli_ctx *ctx, const struct cmd_args *a, struct cfg_route *rt, bool partial)
{
	memset(rt, 0, sizeof(*rt));
	rt->distance = 1;
	if (a->argc < 4)
		return partial ? 0 : -1;
	if (!cmd_parse_ip(a->argv[2], &rt->prefix))
		return cmd_bad(ctx, a, 2);
	if (!cmd_parse_ip(a->argv[3], &rt->mask) || !mask_ok(rt->mask))
		return cmd_bad(ctx, a, 3);
	if (a->argc < 5)
		return partial ? 0 : -1;
	if (!cmd_parse_ip(a->argv[4], &rt->nexthop) &&
	    !cfg_strcpy(rt->ifname, sizeof(rt->ifname), a->argv[4]))
		return cmd_bad(ctx, a, 4);
	if (a->argc > 5) {
		uint32_t d;
		if (!cmd_parse_u32(a->argv[5], &d) || d < 1 || d > 255)
			return cmd_bad(ctx, a, 5);
		rt->distance = (uint8_t)d;
	}
	return 0;
}

static bool same_route(const struct cfg_route *x, const struct cfg_route *y)
{
	return x->prefix == y->prefix && x->mask == y->mask && x->nexthop == y->nexthop &&
	       strcmp(x->ifname, y->ifname) == 0;
}

static int ip_route_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_route rt;
	if (parse_route(ctx, a, &rt, false) < 0)
		return -1;
	struct config *c = ctx->cfg;
	for (size_t i = 0; i < c->nroute; i++)
		if (same_route(&c->routes[i], &rt)) {
			c->routes[i].distance = rt.distance;
			return 0;
		}
	struct cfg_route *n = realloc(c->routes, sizeof(*n) * (c->nroute + 1));
	if (!n)
		abort();
	c->routes = n;
	c->routes[c->nroute++] = rt;
	cfg_order_touch(c, ctx->loading, ORD_ROUTES, "");
	return 0;
}

static int no_ip_route_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_route rt;
	if (a->argc < 4) {
		sb_puts(ctx->out, "% Incomplete command.\n\n");
		return -1;
	}
	if (parse_route(ctx, a, &rt, true) < 0)
		return -1;
	struct config *c = ctx->cfg;
	size_t j = 0, before = c->nroute;
	for (size_t i = 0; i < c->nroute; i++) {
		const struct cfg_route *x = &c->routes[i];
		bool hit = x->prefix == rt.prefix && x->mask == rt.mask &&
			   (a->argc < 5 || (x->nexthop == rt.nexthop && strcmp(x->ifname, rt.ifname) == 0));
		if (!hit)
			c->routes[j++] = *x;
	}
	c->nroute = j;
	if (j == before) {
		sb_puts(ctx->out, "%No matching route to delete\n");
		return -1;
	}
	if (!j)
		cfg_order_remove(c, ORD_ROUTES, "");
	return 0;
}

static int exit_config_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	(void)a;
	ctx->mode = ctx->mode == MODE_CONFIG ? MODE_EXEC : MODE_CONFIG;
	ctx->mode_key[0] = '\0';
	ctx->mode_obj = NULL;
	return 0;
}

static int end_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	(void)a;
	ctx->mode = MODE_EXEC;
	ctx->mode_key[0] = '\0';
	ctx->mode_obj = NULL;
	return 0;
}

/* `do show ...` from any config mode: an exec command, mode unchanged. */
static int do_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	enum cli_mode m = ctx->mode;
	char key[sizeof(ctx->mode_key)];
	memcpy(key, ctx->mode_key, sizeof(key));
	ctx->mode = MODE_EXEC;
	int rc = cmd_execute(ctx, a->argv[1]);
	ctx->mode = m;
	memcpy(ctx->mode_key, key, sizeof(key));
	return rc < 0 ? -1 : rc;
}

static const struct cmd_def global_cmds[] = {
	{ MODE_CONFIG, "hostname WORD", "WORD:This system's network name", hostname_fn, no_hostname_fn },
	{ MODE_CONFIG, "ip route A.B.C.D A.B.C.D { A.B.C.D | IFNAME } [ <1-255> ]",
	  "A.B.C.D:Destination prefix;A.B.C.D:Destination prefix mask;A.B.C.D:Forwarding router's address;"
	  "<1-255>:Distance metric for this route",
	  ip_route_fn, no_ip_route_fn },
	{ MODE_CONFIG, "exit", "exit:Exit from configure mode", exit_config_fn, NULL },
	{ MODE_CONFIG_IF, "exit", "exit:Exit from interface configuration mode", exit_config_fn, NULL },
	{ MODE_CONFIG_ISAKMP, "exit", "exit:Exit from ISAKMP protection suite configuration mode", exit_config_fn, NULL },
	{ MODE_CONFIG_CMAP, "exit", "exit:Exit from crypto map configuration mode", exit_config_fn, NULL },
	{ MODE_CONFIG_TSET, "exit", "exit:Exit from crypto transform configuration mode", exit_config_fn, NULL },
	{ MODE_CONFIG, "end", NULL, end_fn, NULL },
	{ MODE_CONFIG, "do LINE", "LINE:Exec Command", do_fn, NULL },
	{ MODE_CONFIG_IF, "do LINE", "LINE:Exec Command", do_fn, NULL },
	{ MODE_CONFIG_ISAKMP, "do LINE", "LINE:Exec Command", do_fn, NULL },
	{ MODE_CONFIG_CMAP, "do LINE", "LINE:Exec Command", do_fn, NULL },
	{ MODE_CONFIG_TSET, "do LINE", "LINE:Exec Command", do_fn, NULL },
};
CMD_REGISTER(global_cmds)
