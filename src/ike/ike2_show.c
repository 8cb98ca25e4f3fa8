/*
 * The IKEv2 exec commands: show crypto ikev2 sa [detailed], show crypto
 * ikev2 stats, clear crypto ikev2 sa [peer A.B.C.D], debug crypto ikev2.
 */
#include <stdlib.h>
#include <string.h>

#include "config/cmdtree.h"
#include "core/strbuf.h"
#include "ike/ike2_glue.h"
#include "router.h"

static int cmd_show_sa(struct cli_ctx *ctx, const struct cmd_args *a)
{
	ike2_show_sa(ctx->r, ctx->out, cmd_has(a, "detailed"));
	return 0;
}

static int cmd_show_stats(struct cli_ctx *ctx, const struct cmd_args *a)
{
	(void)a;
	ike2_show_stats(ctx->r, ctx->out);
	return 0;
}

static int cmd_clear_sa(struct cli_ctx *ctx, const struct cmd_args *a)
{
	uint32_t peer = 0;
	if (cmd_has(a, "peer") && !cmd_parse_ip(a->argv[a->argc - 1], &peer)) {
		sb_printf(ctx->out, "%% Invalid IP address\n");
		return -1;
	}
	ike2_clear(ctx->r, peer);
	return 0;
}

static int cmd_debug(struct cli_ctx *ctx, const struct cmd_args *a)
{
	bool on = !a->negated && strcmp(a->argv[0], "undebug") != 0;
	if (on)
		ctx->r->debug |= DBG_IKEV2;
	else
		ctx->r->debug &= ~(uint32_t)DBG_IKEV2;
	sb_printf(ctx->out, "IKEv2 default debugging is %s\n", on ? "on" : "off");
	return 0;
}

static const struct cmd_def ike2_cmds[] = {
	{ MODE_EXEC, "show crypto ikev2 sa [ detailed ]",
	  "ikev2:Shows ikev2 information;sa:Shows ikev2 SAs;detailed:detailed output", cmd_show_sa, NULL },
	{ MODE_EXEC, "show crypto ikev2 stats", "stats:Shows ikev2 SA statistics and drop counters",
	  cmd_show_stats, NULL },
	{ MODE_EXEC, "clear crypto ikev2 sa", "ikev2:Clear ikev2 information;sa:Clear ikev2 SAs",
	  cmd_clear_sa, NULL },
	{ MODE_EXEC, "clear crypto ikev2 sa peer A.B.C.D", "peer:Clear ikev2 SAs with a peer",
	  cmd_clear_sa, NULL },
	{ MODE_EXEC, "debug crypto ikev2", "ikev2:Crypto IKEv2 debugging", cmd_debug, cmd_debug },
	{ MODE_EXEC, "undebug crypto ikev2", "ikev2:Crypto IKEv2 debugging", cmd_debug, NULL },
};
CMD_REGISTER(ike2_cmds)
