/*
 * Invalid SPI Recovery, 200 times over, in one process: the seed's two
 * routers (their real configs from labs/seed) with mem ports joined by an
 * in-memory cable on one virtual clock, so IKE rides UDP over the same
 * packet path as the data, exactly as in spigotd.  Each round B loses its
 * SAs without telling A (the seed's clear crypto isakmp + clear crypto sa,
 * `test crypto ipsec lose-sas`, or a reboot: a fresh router from the same
 * config), A pings on the dead SAs, recovery runs, traffic flows again.
 * Afterwards: no packet buffer leaked, SA and IKE tables bounded (nothing
 * stuck negotiating, deleted entries reaped), no pending recoveries; the
 * unit runner's ASan checks the rest at exit.
 *
 * Unlike xlab (tests/exchange/xlab.h), which carries IKE datagrams by hand
 * and has no data plane, this bench needs real ESP/AH on the wire: the
 * unknown SPI is what starts everything.
 */
#include "../unit/t.h"
#include "seedlab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cmdtree.h"
#include "config/load.h"
#include "core/evloop.h"
#include "core/pkt.h"
#include "ipsec/ipsec_int.h"
#include "net/port_mem.h"
#include "recovery/recovery_state.h"

#define ROUNDS 200
static const char *const HOW[3] = { "clear crypto isakmp + clear crypto sa", "test crypto ipsec lose-sas",
				    "reboot" };

TEST(isr_loop_200_rounds)
{
	size_t pkt_base = pkt_in_use();
	struct seedlab b;
	CHECK(sl_new(&b));
	if (!b.cable) {
		sl_free(&b);
		return;
	}
	struct strbuf out;
	sb_init(&out);
	CHECK(b.r[0]->cfg->isr.enabled && b.r[1]->cfg->isr.enabled);
	CHECK(sl_ping(&b, 10, &out) >= 9);
	CHECK(sl_bundles(b.r[0]) == 1 && sl_bundles(b.r[1]) == 1);

	int failures = 0, max_sas = 0, max_qms = 0;
	uint64_t acted0 = 0;
	for (int i = 0; i < ROUNDS && failures < 3; i++) {
		int how = i % 3;
		uint64_t acted = b.r[0]->rec->c.notifies_acted;
		unsigned inv = how == 2 ? 0 : b.log[1].inv_spi;
		if (how == 0) {
			sl_cmd(&b, 1, "clear crypto isakmp", &out);
			sl_cmd(&b, 1, "clear crypto sa", &out);
		} else if (how == 1) {
			sl_cmd(&b, 1, "test crypto ipsec lose-sas", &out);
		} else if (!sl_reboot_b(&b)) {
			CHECK(!"B did not come back from its reboot");
			break;
		}
		if (how == 2)
			b.log[1].inv_spi = 0;
		bool lost = sl_bundles(b.r[1]) == 0 && sl_bundles(b.r[0]) == 1;
		/* The dead SA: the first echo dies in B, recovery brings up new SAs. */
		int ok = sl_ping(&b, 5, &out);
		int ok2 = sl_ping(&b, 5, &out);
		bool recovered = lost && ok >= 3 && ok2 == 5 && b.log[1].inv_spi > inv &&
				 sl_bundles(b.r[0]) == 1 && sl_bundles(b.r[1]) == 1;
		/* Without a reboot B's IKE SA (or the recovery one) carried the notify
		 * and A acted on it; after one, INITIAL-CONTACT may have done it first. */
		if (how != 2)
			recovered = recovered && b.r[0]->rec->c.notifies_acted == acted + 1;
		int live0, live1;
		int n0 = sl_ike_sas(b.r[0], &live0), n1 = sl_ike_sas(b.r[1], &live1);
		int q = sl_ike_qms(b.r[0]) + sl_ike_qms(b.r[1]);
		max_sas = n0 > max_sas ? n0 : max_sas;
		max_sas = n1 > max_sas ? n1 : max_sas;
		max_qms = q > max_qms ? q : max_qms;
		bool bounded = n0 <= 24 && n1 <= 24 && live0 <= 2 && live1 <= 2 && q <= 48 &&
			       sl_ike_recs(b.r[0]) <= 2 && sl_ike_recs(b.r[1]) <= 2 &&
			       pkt_in_use() <= pkt_base + 4;
		if (!recovered || !bounded) {
			failures++;
			fprintf(stderr,
				"    round %d (%s): lost=%d ping %d/5 then %d/5, bundles A=%d B=%d, "
				"IKE SAs A=%d(%d live) B=%d(%d live), QMs %d, records A=%d B=%d, "
				"pkts in use %zu (base %zu), acted %llu->%llu\n",
				i, HOW[how], lost, ok, ok2, sl_bundles(b.r[0]), sl_bundles(b.r[1]), n0, live0, n1,
				live1, q, sl_ike_recs(b.r[0]), sl_ike_recs(b.r[1]), pkt_in_use(), pkt_base,
				(unsigned long long)acted, (unsigned long long)b.r[0]->rec->c.notifies_acted);
			fprintf(stderr, "%s", sb_str(&out));
			sl_dump(&b);
			CHECK(recovered);
			CHECK(bounded);
		}
		/* Past B's recovery hold-down (10 s), as a real loss would be. */
		sl_run(&b, 11000);
	}
	acted0 = b.r[0]->rec->c.notifies_acted;
	CHECK(failures == 0);
	/* Two of every three rounds went through A's notify handling. */
	CHECK(acted0 >= (uint64_t)(ROUNDS * 2 / 3));

	/* Settle past the "(deleted)" display time: only the live SAs remain. */
	sl_run(&b, (uint64_t)b.r[0]->ike->deleted_keep_ms + 10000);
	int live0, live1;
	int n0 = sl_ike_sas(b.r[0], &live0), n1 = sl_ike_sas(b.r[1], &live1);
	fprintf(stderr, "    after %d rounds: IKE SAs A=%d (%d live) B=%d (%d live), at most %d during; "
			"QMs at most %d; notifies acted on by A: %llu\n",
		ROUNDS, n0, live0, n1, live1, max_sas, max_qms, (unsigned long long)acted0);
	CHECK(live0 >= 1 && live0 <= 2 && live1 >= 1 && live1 <= 2);
	CHECK(n0 <= 3 && n1 <= 3);
	CHECK(sl_isr_pending(b.r[0]) == 0 && sl_isr_pending(b.r[1]) == 0);
	CHECK(sl_bundles(b.r[0]) == 1 && sl_bundles(b.r[1]) == 1);
	CHECK(sl_ping(&b, 5, &out) == 5);
	sb_free(&out);
	sl_free(&b);
	CHECK(pkt_in_use() == pkt_base);
}
