/*
 * Quick Crash Detection (RFC 6290) on the router: the secret that makes
 * the engine's tokens, kept in a file under the state directory so that
 * it survives restarts; the limits on the unprotected INVALID_IKE_SPI
 * answers (per source and in all); and the reconnect after a peer's
 * token matched.  The engine (src/ikev2/ikev2_qcd.c) makes and takes the
 * tokens.  See docs/CONFIG.md (crypto ikev2 quick-crash-detection).
 */
#ifndef SPIGOT_IKE2_QCD_H
#define SPIGOT_IKE2_QCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ikev2/ikev2_sa.h"

struct ike_state;
struct ike2_glue;

/* Unprotected INVALID_IKE_SPI answers: at most this many a second in all, ... */
#define IKE2_QCD_PER_SEC 10
/* ... one a second to any one source, remembered for this many sources ... */
#define IKE2_QCD_SOURCES 64
#define IKE2_QCD_SOURCE_MS 1000
/* Reconnects waiting for the engine's call to return. */
#define IKE2_QCD_RECONNECTS 8

/*
 * Reads the QCD secret (IKEV2_QCD_SECRET bytes) from path, creating it on
 * first use: random bytes written to a temporary file made with
 * O_CREAT|O_EXCL and mode 0600 whatever the umask, fsynced, then linked to
 * path (so a reader never sees half a file, and two routers starting at
 * once agree on one secret).  An existing file must be a regular file of
 * our user, not readable or writable by group or others, and exactly
 * IKEV2_QCD_SECRET bytes.  Returns 1 created, 0 read, -1 refused (why says
 * why, never anything of the secret).
 */
int ike2_qcd_secret_file(const char *path, uint8_t secret[IKEV2_QCD_SECRET], char *why, size_t whylen);

/* Router start and every config change: QCD on or off, its secret (re)read when its file changed. */
void ike2_qcd_apply(struct ike_state *ike);
/* Engine host ops (struct ikev2_host qcd_allow / qcd_lost). */
bool ike2_qcd_allow(void *arg, uint32_t peer);
void ike2_qcd_lost(void *arg, struct ikev2_sa *sa);
/* After each engine input: start again what a matching token ended. */
void ike2_qcd_after_input(struct ike2_glue *g);
/* What `show crypto ikev2 stats` says of QCD beside the engine's counters. */
struct ike2_qcd_info {
	bool on;
	const char *status;		/* "on, secret in PATH" or "off" and why */
	const char *path;		/* NULL when off */
	uint64_t reconnects, src_limited, file_refused;
};
void ike2_qcd_info(const struct ike2_glue *g, struct ike2_qcd_info *out);
void ike2_qcd_free(struct ike2_glue *g);

#endif
