/*
 * crypto ikev2 quick-crash-detection [secret-file PATH]: a spigot
 * extension (IOS has no Quick Crash Detection, RFC 6290, and so no
 * command for it).  On by default, as nothing in IOS would turn it on;
 * the secret lives in CFG_V2_QCD_FILE_DEFAULT under the state directory
 * unless a file is named (docs/CONFIG.md).  `no ...` turns it off;
 * `no ... secret-file` goes back to the default file.
 */
#include <stdio.h>
#include <string.h>

#include "config/cfg_int.h"

static int qcd_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct config *c = ctx->cfg;
	int f = cmd_find(a, "secret-file", 3);
	if (a->negated) {
		/* `no ... secret-file [PATH]`: the default file; bare `no ...`: off. */
		c->v2_qcd_off = f < 0;
		c->v2_qcd_file[0] = '\0';
	} else {
		if (f >= 0) {
			const char *path = a->argv[f + 1];
			if (strlen(path) >= sizeof(c->v2_qcd_file)) {
				sb_printf(ctx->out, "%% File name too long (at most %zu characters)\n",
					  sizeof(c->v2_qcd_file) - 1);
				return -1;
			}
			snprintf(c->v2_qcd_file, sizeof(c->v2_qcd_file), "%s", path);
		}
		c->v2_qcd_off = false;
	}
	if (c->v2_qcd_off || c->v2_qcd_file[0])
		cfg_order_touch(c, ctx->loading, ORD_V2_QCD, "");
	else
		cfg_order_remove(c, ORD_V2_QCD, "");
	return 0;
}

static const struct cmd_def ikev2_qcd_cmds[] = {
	{ MODE_CONFIG, "crypto ikev2 quick-crash-detection [ secret-file WORD ]",
	  "ikev2:Configure IKEv2 Options;"
	  "quick-crash-detection:Quick Crash Detection (RFC 6290, spigot extension; on by default);"
	  "secret-file:File holding the 32-byte token secret (default " CFG_V2_QCD_FILE_DEFAULT
	  " in the state directory);WORD:File name (relative: in the state directory)",
	  qcd_fn, qcd_fn },
};
CMD_REGISTER(ikev2_qcd_cmds)
