/*
 * crypto ikev2 cookie-challenge <1-1000> (IOS): once that many IKE SAs
 * are half-open (IKE_SA_INIT answered, no IKE_AUTH yet), an IKE_SA_INIT
 * without a valid cookie is answered with COOKIE (RFC 7296 §2.6) and
 * leaves no state.  Off by default, as on IOS; `no crypto ikev2
 * cookie-challenge [N]` turns it off.  The router applies it in
 * src/ike/ike2_cookie.c.
 */
#include "config/cfg_int.h"
#include "config/cmd_v2.h"

static int cookie_fn(struct cli_ctx *ctx, const struct cmd_args *a)
{
	struct config *c = ctx->cfg;
	uint32_t n = 0;
	if (a->negated) {
		c->v2_cookie_challenge = 0;
		cfg_order_remove(c, ORD_V2_COOKIE, "");
		return 0;
	}
	if (!cfg_v2_complete(ctx, a, 4))
		return -1;
	if (!cmd_parse_u32(a->argv[3], &n) || n < 1 || n > 1000)
		return cmd_bad(ctx, a, 3);
	c->v2_cookie_challenge = n;
	cfg_order_touch(c, ctx->loading, ORD_V2_COOKIE, "");
	return 0;
}

static const struct cmd_def ikev2_cookie_cmds[] = {
	{ MODE_CONFIG, "crypto ikev2 cookie-challenge [ <1-1000> ]",
	  "ikev2:Configure IKEv2 Options;"
	  "cookie-challenge:Enable cookie challenge (RFC 7296 2.6) above a number of half-open IKE SAs;"
	  "<1-1000>:Number of half-open IKE SAs above which the cookie challenge is enabled",
	  cookie_fn, cookie_fn },
};
CMD_REGISTER(ikev2_cookie_cmds)
