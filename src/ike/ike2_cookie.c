/*
 * COOKIE under load on the router (see ike2_cookie.h).  The threshold is
 * read from the config on every datagram, so a config change needs no
 * hook.  RFC 7296 §2.6 suggests a secret that changes now and then, with
 * a version so that a cookie made just before the change still holds:
 * the engine keeps the current and the previous secret, so a cookie is
 * good for between one and two IKE2_COOKIE_ROTATE_MS.
 */
#include "ike/ike2_cookie.h"

#include <openssl/crypto.h>

#include "ike/ike2_int.h"
#include "ike/ike_int.h"
#include "router.h"

static size_t half_open(const struct ike2_glue *g)
{
	size_t n = 0;
	for (const struct ikev2_sa *sa = g->eng.sas; sa; sa = sa->next)
		n += sa->state == IKEV2_S_R_INIT_SENT;
	return n;
}

void ike2_cookie_before(struct ike2_glue *g)
{
	struct ikev2_engine *e = &g->eng;
	unsigned want = g->ike->r->cfg->v2_cookie_challenge;
	uint64_t now = ike2_now(g);
	e->cookie_threshold = want;
	if (!want) {
		/* Nothing left behind of a secret no longer used. */
		if (e->cookie_keyed) {
			OPENSSL_cleanse(e->cookie_secret, sizeof(e->cookie_secret));
			e->cookie_keyed = false;
		}
		g->cookie_rotate_at = 0;
		return;
	}
	if (!g->cookie_rotate_at) {
		g->cookie_rotate_at = now + IKE2_COOKIE_ROTATE_MS;
	} else if (now >= g->cookie_rotate_at) {
		/* Only a secret in use is turned over; the engine draws the first one when it needs it. */
		if (e->cookie_keyed) {
			ikev2_cookie_rotate(e);
			g->cookie_rotations++;
		}
		g->cookie_rotate_at = now + IKE2_COOKIE_ROTATE_MS;
	}
}

void ike2_cookie_after(struct ike2_glue *g)
{
	unsigned th = g->eng.cookie_threshold;
	size_t n = th ? half_open(g) : 0;
	bool on = th && n >= th;
	if (on == g->cookie_active)
		return;
	g->cookie_active = on;
	if (on)
		g->cookie_onsets++;
	/* A forger can make it flap as its half-open SAs come and go: rate-limited. */
	log_msg_rl(&g->ike->r->log, &g->cookie_rl, ike2_now(g), 10000, "CRYPTO", SEV_NOTICE, "IKEV2_COOKIE",
		   "IKEv2 cookie challenge %s: %zu half-open IKE SAs (cookie-challenge %u)", on ? "on" : "off", n,
		   th);
}

void ike2_cookie_info(const struct ike2_glue *g, struct ike2_cookie_info *out)
{
	out->threshold = g->ike->r->cfg->v2_cookie_challenge;
	out->half_open = half_open(g);
	out->challenging = out->threshold && out->half_open >= out->threshold;
}
