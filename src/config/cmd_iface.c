/* `interface IFNAME` and its sub-mode. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/cfg_int.h"

static int interface_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	const char *name = a->argv[1];
	struct config *c = ctx->cfg;
	if (!cfg_iface_get(c, name)) {
		struct cfg_iface *n = realloc(c->ifaces, sizeof(*n) * (c->niface + 1));
		if (!n)
			abort();
		c->ifaces = n;
		struct cfg_iface *ifc = &c->ifaces[c->niface++];
		memset(ifc, 0, sizeof(*ifc));
		snprintf(ifc->name, sizeof(ifc->name), "%s", name);
	}
	cfg_order_touch(c, ctx->loading, ORD_IFACE, name);
	ctx->mode = MODE_CONFIG_IF;
	snprintf(ctx->mode_key, sizeof(ctx->mode_key), "%s", name);
	cfg_cur_iface(ctx);
	return 0;
}

/* IOS keeps hardware interfaces; only virtual ones can be removed. */
static bool is_virtual(const char *name)
{
	static const char *const v[] = { "Loopback", "Tunnel", "Vlan", "Dialer", "Virtual-Template",
					 "Port-channel", "Multilink", "BVI" };
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (strncmp(name, v[i], strlen(v[i])) == 0)
			return true;
	return false;
}

static int no_interface_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	if (a->argc < 2) {
		sb_puts(ctx->out, "% Incomplete command.\n\n");
		return -1;
	}
	struct config *c = ctx->cfg;
	struct cfg_iface *ifc = cfg_iface_get(c, a->argv[1]);
	if (!is_virtual(a->argv[1])) {
		sb_puts(ctx->out, "% Removal of physical interfaces is not permitted\n");
		return -1;
	}
	if (!ifc)
		return 0;
	cfg_opaque_clear(&ifc->extra);
	size_t i = (size_t)(ifc - c->ifaces);
	memmove(ifc, ifc + 1, sizeof(*ifc) * (c->niface - i - 1));
	c->niface--;
	cfg_order_remove(c, ORD_IFACE, a->argv[1]);
	return 0;
}

static struct cfg_iface *cur(struct cli_ctx *ctx)
{
	struct cfg_iface *ifc = cfg_cur_iface(ctx);
	if (!ifc)
		sb_printf(ctx->out, "%% Interface %s no longer exists\n", ctx->mode_key);
	return ifc;
}

static bool mask_ok(uint32_t m) { return (~m & (~m + 1)) == 0; }

static int ip_address_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	uint32_t ip, mask;
	if (!cmd_parse_ip(a->argv[2], &ip))
		return cmd_bad(ctx, a, 2);
	if (!cmd_parse_ip(a->argv[3], &mask) || !mask_ok(mask) || mask == 0)
		return cmd_bad(ctx, a, 3);
	struct cfg_iface *ifc = cur(ctx);
	if (!ifc)
		return -1;
	ifc->has_addr = true;
	ifc->addr = ip;
	ifc->mask = mask;
	return 0;
}

static int no_ip_address_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	(void)a;
	struct cfg_iface *ifc = cur(ctx);
	if (!ifc)
		return -1;
	ifc->has_addr = false;
	ifc->addr = ifc->mask = 0;
	return 0;
}

static int shutdown_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_iface *ifc = cur(ctx);
	if (!ifc)
		return -1;
	ifc->shutdown = !a->negated;
	return 0;
}

static int description_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_iface *ifc = cur(ctx);
	if (!ifc)
		return -1;
	if (a->negated) {
		ifc->description[0] = '\0';
		return 0;
	}
	if (!cfg_strcpy(ifc->description, sizeof(ifc->description), a->argv[1]))
		return cmd_bad(ctx, a, 1);
	return 0;
}

static int crypto_map_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_iface *ifc = cur(ctx);
	if (!ifc)
		return -1;
	if (a->negated) {
		ifc->crypto_map[0] = '\0';
		return 0;
	}
	if (!cfg_strcpy(ifc->crypto_map, sizeof(ifc->crypto_map), a->argv[2]))
		return cmd_bad(ctx, a, 2);
	return 0;
}

static int ip_mtu_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct cfg_iface *ifc = cur(ctx);
	if (!ifc)
		return -1;
	uint32_t v = 0;
	if (!a->negated && !cmd_parse_u32(a->argv[2], &v))
		return cmd_bad(ctx, a, 2);
	ifc->mtu = a->negated ? 0 : v;
	return 0;
}

static const struct cmd_def iface_cmds[] = {
	{ MODE_CONFIG, "interface IFNAME", NULL, interface_fn, no_interface_fn },
	{ MODE_CONFIG_IF, "ip address A.B.C.D A.B.C.D",
	  "ip:Interface Internet Protocol config commands;A.B.C.D:IP address;A.B.C.D:IP subnet mask",
	  ip_address_fn, no_ip_address_fn },
	{ MODE_CONFIG_IF, "ip mtu <68-1500>", "mtu:Set IP Maximum Transmission Unit;<68-1500>:MTU (bytes)",
	  ip_mtu_fn, ip_mtu_fn },
	{ MODE_CONFIG_IF, "shutdown", NULL, shutdown_fn, shutdown_fn },
	{ MODE_CONFIG_IF, "description LINE", "LINE:Up to 240 characters describing this interface",
	  description_fn, description_fn },
	{ MODE_CONFIG_IF, "crypto map WORD", "map:Assign a Crypto Map;WORD:Crypto Map tag",
	  crypto_map_fn, crypto_map_fn },
};
CMD_REGISTER(iface_cmds)
