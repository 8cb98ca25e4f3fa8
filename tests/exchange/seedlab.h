/* The seed lab in one process (see seedlab.c). */
#ifndef SPIGOT_SEEDLAB_H
#define SPIGOT_SEEDLAB_H

#include <stdbool.h>
#include <stdint.h>

#include "xlab.h"

#define TAIL 16

struct rt_log {
	char tail[TAIL][512];	/* the last lines, for a failure report */
	unsigned n;
	unsigned inv_spi, sa_deleted, initiate;
};

struct seedlab {
	struct evloop *ev;
	struct router *r[2];
	struct mem_link *cable;
	struct rt_log log[2];
	char cfg[2][512];
};

bool sl_new(struct seedlab *b);
/* The same with labs/LAB/router-{a,b}.cfg (e.g. "seed-ikev2"). */
bool sl_new_lab(struct seedlab *b, const char *lab);
void sl_free(struct seedlab *b);
/* Config-mode lines (NULL-terminated) on r, then router_config_changed; false if any was refused. */
bool sl_configure(struct router *r, const char *const *lines);
/* B dies and comes back from its config: every SA, IKE SA and counter gone. */
bool sl_reboot_b(struct seedlab *b);
/* Advances the virtual clock by ms, in 10 ms steps. */
void sl_run(struct seedlab *b, uint64_t ms);
/* One exec command on router i, run to completion on the virtual clock. */
int sl_cmd(struct seedlab *b, int i, const char *line, struct strbuf *out);
/* A's ping to B's inside address: the replies, or -1. */
int sl_ping(struct seedlab *b, int count, struct strbuf *out);
/* The last log lines of both routers, on stderr. */
void sl_dump(const struct seedlab *b);
int sl_bundles(const struct router *r);
int sl_ike_sas(const struct router *r, int *live);
int sl_ike_qms(const struct router *r);
int sl_ike_recs(const struct router *r);
int sl_isr_pending(const struct router *r);

#endif
