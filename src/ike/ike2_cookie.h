/*
 * COOKIE under load on the router (RFC 7296 §2.6): `crypto ikev2
 * cookie-challenge N` becomes the engine's threshold, the engine's secret
 * is replaced every IKE2_COOKIE_ROTATE_MS and wiped when the command goes,
 * and the challenge turning on and off is logged.  The engine
 * (src/ikev2/ikev2_cookie.c) makes and checks the cookies.
 */
#ifndef SPIGOT_IKE2_COOKIE_H
#define SPIGOT_IKE2_COOKIE_H

#include <stdbool.h>
#include <stddef.h>

struct ike2_glue;

/* Before a datagram goes to the engine: threshold from the config, secret turned over when due. */
void ike2_cookie_before(struct ike2_glue *g);
/* After: notes (and logs) the challenge going on or off. */
void ike2_cookie_after(struct ike2_glue *g);

struct ike2_cookie_info {
	unsigned threshold;	/* 0: off */
	size_t half_open;
	bool challenging;
};
void ike2_cookie_info(const struct ike2_glue *g, struct ike2_cookie_info *out);

#endif
