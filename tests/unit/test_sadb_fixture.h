/*
 * In-process IPsec fixtures: routers built around hand-made configs (the
 * seed's two-router lab), with the data plane's output and delivery hooks
 * captured so tests can carry packets between routers and inspect them.
 */
#ifndef SPIGOT_TEST_IPSEC_FIXTURE_H
#define SPIGOT_TEST_IPSEC_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "core/evloop.h"
#include "core/pkt.h"
#include "ipsec/ipsec_int.h"
#include "router.h"

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

struct fx_router {
	struct router *r;
	struct pkt_queue out;		/* what ipsec sent (outer packets) */
	struct pkt_queue in;		/* what ipsec delivered (inner packets) */
	char log[64][512];		/* captured log lines */
	int nlog;
};

struct fx {
	struct evloop *ev;
	struct fx_router a, b;
};

/*
 * The seed lab: A = 10.1.1.1 (Fa0/0, crypto map testtag1 10) protecting
 * 10.0.0.1 -> 10.0.2.2, B = 10.2.2.2 (Ethernet1/0) the mirror.  xf is the
 * transform set "auth2"; manual = ipsec-manual with session keys derived
 * from fixed patterns (each side's inbound = the other's outbound).
 */
void fx_seed(struct fx *f, const struct cfg_transform_set *xf, bool manual);
void fx_free(struct fx *f);

/* A bundle spec between the two seed routers, as IKE would install it on `side` (0 = A). */
void fx_spec(struct sadb_bundle_spec *s, int side, const struct cfg_transform_set *xf,
	     uint32_t spi_base);

/* An IPv4/ICMP echo packet of total length len (>= 28). */
struct pkt *fx_icmp(uint32_t src, uint32_t dst, size_t len, uint16_t id);
/* Moves everything A sent into B's ipsec_input (and vice versa); returns how many. */
int fx_carry(struct fx_router *from, struct fx_router *to);
int fx_count(const struct pkt_queue *q);
bool fx_logged(const struct fx_router *fr, const char *needle);

/* A transform set from its IOS words. */
struct cfg_transform_set fx_xf(const char *name, enum cfg_xf_ah ah, enum cfg_xf_enc enc,
			       uint16_t bits, enum cfg_xf_auth auth);

#endif
