/*
 * Traffic selector lists (RFC 7296 §2.9): the responder's narrowing of a
 * list to its policy (the triggering packet's selector first picks what
 * must be held), the initiator's check that an answer only narrows, and
 * both over an exchange.
 */
#include "t.h"

#include <string.h>

#include "ikev2_pair.h"

#define IP(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))
#define TS(p, s, e) { IKEV2_TS_IPV4_ADDR_RANGE, p, 0, 65535, s, e }
#define R(p, s, e) { p, 0, 65535, s, e }

struct pick_row {
	const char *name;
	struct ikev2_ts ts[3];
	size_t nts;
	struct ikev2_range ours;
	bool ok;
	struct ikev2_range want;
};

static const struct pick_row picks[] = {
	{ "one selector, narrowed", { TS(0, IP(10, 0, 2, 0), IP(10, 0, 2, 255)) }, 1,
	  R(0, IP(10, 0, 2, 0), IP(10, 0, 2, 127)), true, R(0, IP(10, 0, 2, 0), IP(10, 0, 2, 127)) },
	{ "packet then range: the range narrowed", { TS(6, IP(10, 0, 2, 5), IP(10, 0, 2, 5)),
	  TS(0, IP(10, 0, 2, 0), IP(10, 0, 2, 255)) }, 2,
	  R(0, IP(10, 0, 2, 0), IP(10, 0, 2, 127)), true, R(0, IP(10, 0, 2, 0), IP(10, 0, 2, 127)) },
	{ "the widest that holds the packet, not the widest", { TS(0, IP(10, 0, 2, 5), IP(10, 0, 2, 5)),
	  TS(0, IP(10, 0, 2, 0), IP(10, 0, 2, 255)), TS(0, IP(10, 0, 4, 0), IP(10, 0, 7, 255)) }, 3,
	  R(0, IP(10, 0, 0, 0), IP(10, 0, 255, 255)), true, R(0, IP(10, 0, 2, 0), IP(10, 0, 2, 255)) },
	{ "packet outside our policy: the widest that meets it", { TS(0, IP(10, 9, 9, 9), IP(10, 9, 9, 9)),
	  TS(0, IP(10, 0, 2, 0), IP(10, 0, 2, 15)), TS(0, IP(10, 0, 3, 0), IP(10, 0, 3, 255)) }, 3,
	  R(0, IP(10, 0, 0, 0), IP(10, 0, 255, 255)), true, R(0, IP(10, 0, 3, 0), IP(10, 0, 3, 255)) },
	{ "a later selector meets when the first does not", { TS(0, IP(10, 1, 0, 0), IP(10, 1, 0, 255)),
	  TS(0, IP(10, 0, 2, 0), IP(10, 0, 2, 255)) }, 2,
	  R(0, IP(10, 0, 2, 0), IP(10, 0, 2, 255)), true, R(0, IP(10, 0, 2, 0), IP(10, 0, 2, 255)) },
	{ "same addresses: any protocol is wider than the packet's", { TS(1, IP(10, 0, 2, 2), IP(10, 0, 2, 2)),
	  TS(0, IP(10, 0, 2, 2), IP(10, 0, 2, 2)) }, 2,
	  R(0, IP(10, 0, 2, 2), IP(10, 0, 2, 2)), true, R(0, IP(10, 0, 2, 2), IP(10, 0, 2, 2)) },
	{ "protocol narrowed from any", { TS(0, IP(10, 0, 2, 0), IP(10, 0, 2, 255)) }, 1,
	  R(17, IP(10, 0, 2, 0), IP(10, 0, 2, 255)), true, R(17, IP(10, 0, 2, 0), IP(10, 0, 2, 255)) },
	{ "protocols disjoint", { TS(6, IP(10, 0, 2, 0), IP(10, 0, 2, 255)) }, 1,
	  R(17, IP(10, 0, 2, 0), IP(10, 0, 2, 255)), false, R(0, 0, 0) },
	{ "nothing meets: TS_UNACCEPTABLE", { TS(0, IP(10, 1, 0, 0), IP(10, 1, 0, 255)),
	  TS(0, IP(10, 3, 0, 0), IP(10, 3, 0, 255)) }, 2,
	  R(0, IP(10, 0, 2, 0), IP(10, 0, 2, 255)), false, R(0, 0, 0) },
	{ "empty list", { TS(0, 0, 0) }, 0, R(0, 0, 0xffffffff), false, R(0, 0, 0) },
};

TEST(ikev2_ts_responder_narrowing_table)
{
	for (size_t i = 0; i < sizeof(picks) / sizeof(picks[0]); i++) {
		const struct pick_row *row = &picks[i];
		struct ikev2_tsp t = { .nts = row->nts };
		memcpy(t.ts, row->ts, sizeof(row->ts));
		struct ikev2_range out;
		memset(&out, 0, sizeof(out));
		bool ok = ikev2_ts_pick(&t, &row->ours, &out);
		bool same = out.saddr == row->want.saddr && out.eaddr == row->want.eaddr &&
			    out.proto == row->want.proto && out.sport == row->want.sport && out.eport == row->want.eport;
		if (ok != row->ok || (ok && !same))
			printf("  row '%s': ok %d, %08x-%08x proto %u\n", row->name, ok, out.saddr, out.eaddr, out.proto);
		CHECK(ok == row->ok);
		CHECK(!ok || same);
	}
}

TEST(ikev2_ts_initiator_accepts_only_narrower)
{
	const struct ikev2_range prop = R(0, IP(10, 0, 2, 0), IP(10, 0, 2, 255));
	struct ikev2_range out;
	struct ikev2_tsp t = { .nts = 2 };
	t.ts[0] = (struct ikev2_ts)TS(0, IP(10, 0, 2, 5), IP(10, 0, 2, 5));
	t.ts[1] = (struct ikev2_ts)TS(0, IP(10, 0, 2, 0), IP(10, 0, 2, 127));
	CHECK(ikev2_ts_accept(&t, &prop, &out) && out.saddr == IP(10, 0, 2, 0) && out.eaddr == IP(10, 0, 2, 127));
	t.ts[1].eaddr = IP(10, 0, 3, 0);		/* wider than proposed: refused */
	CHECK(!ikev2_ts_accept(&t, &prop, &out));
	t.nts = 1;
	t.ts[0].proto = 6;				/* narrower protocol: fine */
	CHECK(ikev2_ts_accept(&t, &prop, &out) && out.proto == 6);
	t.skipped_v6 = 1;				/* an IPv6 range we never proposed */
	CHECK(!ikev2_ts_accept(&t, &prop, &out));
	t.skipped_v6 = 0;
	t.nts = 0;
	CHECK(!ikev2_ts_accept(&t, &prop, &out));
}

#define A (&P->s[0])
#define B (&P->s[1])

TEST(ikev2_ts_exchange_packet_first_narrowed_to_responder_policy)
{
	struct v2p *P = v2p_new();
	/* A protects 10.0.0.0/24 to 10.0.2.0/24; B only 10.0.2.0/25 <-> 10.0.0.0/25. */
	B->conf.local_ts = (struct ikev2_range)R(0, IP(10, 0, 2, 0), IP(10, 0, 2, 127));
	B->conf.remote_ts = (struct ikev2_range)R(0, IP(10, 0, 0, 0), IP(10, 0, 0, 127));
	A->conf.has_pkt = true;
	A->conf.pkt_local = (struct ikev2_range)R(1, IP(10, 0, 0, 1), IP(10, 0, 0, 1));
	A->conf.pkt_remote = (struct ikev2_range)R(1, IP(10, 0, 2, 2), IP(10, 0, 2, 2));
	CHECK(v2p_up(P));
	const struct ikev2_child *a = &A->live[0], *b = &B->live[0];
	CHECK(a->local_ts.saddr == IP(10, 0, 0, 0) && a->local_ts.eaddr == IP(10, 0, 0, 127) && a->local_ts.proto == 0);
	CHECK(a->remote_ts.saddr == IP(10, 0, 2, 0) && a->remote_ts.eaddr == IP(10, 0, 2, 127));
	CHECK(b->local_ts.saddr == a->remote_ts.saddr && b->remote_ts.eaddr == a->local_ts.eaddr);
	CHECK(v2p_crosswise(P));
	v2p_free(P);
}

TEST(ikev2_ts_exchange_disjoint_policy_unacceptable)
{
	struct v2p *P = v2p_new();
	B->conf.remote_ts = (struct ikev2_range)R(0, IP(10, 0, 9, 0), IP(10, 0, 9, 255));
	ikev2_initiate(&A->eng, V2P_A, V2P_B);
	v2p_pump(P);
	/* §1.2: the IKE SA stands, the Child SA does not. */
	CHECK(A->sa == NULL && A->nlive == 0 && B->nlive == 0);
	CHECK(B->eng.st.ts_unacceptable == 1);
	CHECK(A->eng.sas && A->eng.sas->state == IKEV2_S_READY);
	/* A new Child SA asked for later meets the same answer. */
	CHECK(ikev2_create_child(A->eng.sas, NULL, NULL) == 0);
	v2p_pump(P);
	CHECK(B->eng.st.ts_unacceptable == 2 && A->nlive == 0);
	v2p_free(P);
}
