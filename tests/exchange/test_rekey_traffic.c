/*
 * Short lifetimes under a continuous ping: the seed's routers with an IKE
 * lifetime of 60 s and IPsec SAs of 120 s (the IOS minimum), one echo a
 * second for seven minutes of virtual time.  Phase 1 is replaced before it
 * ends, the IPsec SAs rekey at their soft lifetime, and no echo is lost on
 * the way (the first one, which starts IKE, is held and sent, not dropped).
 */
#include "../unit/t.h"
#include "seedlab.h"

#include <stdio.h>

#include "config/cmdtree.h"
#include "core/pkt.h"
#include "ike/ike_int.h"

TEST(rekey_under_continuous_ping_loses_nothing)
{
	static const char *const short_lives[] = {
		"crypto ipsec security-association lifetime seconds 120",
		"crypto isakmp policy 1",
		"lifetime 60",
		"end",
		NULL,
	};
	size_t pkt_base = pkt_in_use();
	struct seedlab b;
	CHECK(sl_new(&b));
	if (!b.cable) {
		sl_free(&b);
		return;
	}
	CHECK(sl_configure(b.r[0], short_lives) && sl_configure(b.r[1], short_lives));
	struct strbuf out;
	sb_init(&out);
	int sent = 0, replies = 0;
	for (int s = 0; s < 420; s++) {
		int ok = sl_ping(&b, 1, &out);
		sent++;
		replies += ok == 1;
		if (ok != 1 && sent - replies <= 3) {
			fprintf(stderr, "    echo %d at %d s lost:\n%s", sent, s, sb_str(&out));
			sl_dump(&b);
		}
		sl_run(&b, 1000);
	}
	const struct ike_stats *a = &b.r[0]->ike->st, *bb = &b.r[1]->ike->st;
	fprintf(stderr, "    %d/%d echoes; phase 1 done A=%llu B=%llu, quick modes A=%llu B=%llu, "
			"rekeys A=%llu B=%llu\n", replies, sent,
		(unsigned long long)a->p1_ok, (unsigned long long)bb->p1_ok,
		(unsigned long long)a->p2_ok, (unsigned long long)bb->p2_ok,
		(unsigned long long)a->rekeys, (unsigned long long)bb->rekeys);
	CHECK(replies == sent);
	/* 420 s of 60 s IKE SAs: replaced several times, on either side. */
	CHECK(a->p1_ok + bb->p1_ok >= 5);
	/* 420 s of 120 s IPsec SAs, soft expiry at 90%: at least three rekeys. */
	CHECK(a->rekeys + bb->rekeys >= 3);
	CHECK(sl_bundles(b.r[0]) >= 1 && sl_bundles(b.r[0]) <= 2);
	sb_free(&out);
	sl_free(&b);
	CHECK(pkt_in_use() == pkt_base);
}
