/*
 * The data-plane fast path of spigotd --workers N (docs/ARCHITECTURE.md,
 * "Threads").  Workers encapsulate and decapsulate ESP themselves for the
 * common cases, reading one immutable table the control thread publishes;
 * everything else they punt to the control thread as before.
 *
 * Control thread API.  With one thread (no workers) every call is cheap and
 * retire frees at once.
 */
#ifndef SPIGOT_FASTPATH_H
#define SPIGOT_FASTPATH_H

#include <stdbool.h>

struct router;
struct strbuf;

int fastpath_init(struct router *r);
/* After every worker is joined. */
void fastpath_free(struct router *r);
/* Something the table copies changed (SAs, routes, ARP, interfaces, config). */
void fastpath_dirty(struct router *r);
/* Builds and publishes a new table if dirty, then frees what workers are done with. */
void fastpath_publish(struct router *r);
/* fn(obj) once no worker can hold obj (now, when no worker runs). */
void fastpath_retire(struct router *r, void (*fn)(void *), void *obj);
/* Adds the workers' counts into the router's counters (tick, and before each command). */
void fastpath_sync(struct router *r);
/* `show interfaces` lines about the table (nothing without workers). */
void fastpath_show(struct router *r, struct strbuf *out);

#endif
