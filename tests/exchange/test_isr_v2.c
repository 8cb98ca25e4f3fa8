/*
 * Invalid SPI Recovery toward an IKEv2 peer with no IKE SA (issue 11 item 3),
 * on the seed's two routers speaking IKEv2 (labs/seed-ikev2, where B has
 * `crypto isakmp invalid-spi-recovery`).  B restarts and loses everything;
 * A keeps sending ESP on its old Child SA.  With the feature on, B brings up
 * an IKEv2 SA (IKE_SA_INIT + IKE_AUTH carrying the map entry's Child SA and
 * INITIAL_CONTACT) and says INVALID_SPI over it; A drops the old Child SA
 * and the traffic rides the new one.  With the feature off, B stays silent
 * and A's traffic goes into the black hole.  Contact-on-start reaches IKEv2
 * peers the same way.
 */
#include "../unit/t.h"
#include "seedlab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/cmdtree.h"
#include "core/strbuf.h"
#include "ike/ike2_glue.h"
#include "ike/ike.h"
#include "ikev2/ikev2_sa.h"
#include "ipsec/ipsec_int.h"
#include "recovery/recovery_state.h"

#define A_OUT 0x0a010101u
#define B_OUT 0x0a020202u

static int nsas(struct router *r)
{
	int n = 0;
	for (const struct ikev2_sa *sa = ike2_engine(r)->sas; sa; sa = sa->next)
		n += sa->state != IKEV2_S_DEAD;
	return n;
}

/* A's outbound ESP SPI toward B (its one Child SA). */
static uint32_t a_spi_out(struct router *a)
{
	for (const struct ikev2_sa *sa = ike2_engine(a)->sas; sa; sa = sa->next)
		for (size_t i = 0; sa->state == IKEV2_S_READY && i < IKEV2_MAX_CHILDREN; i++)
			if (sa->children[i].st == IKEV2_C_UP)
				return sa->children[i].spi_out;
	return 0;
}

static uint64_t field(const char *text, const char *label)
{
	const char *p = strstr(text, label);
	return p ? strtoull(p + strlen(label), NULL, 10) : (uint64_t)-1;
}

/* Up over IKEv2, then B restarts (new router, same config): A still holds its old Child SA. */
static uint32_t up_then_restart_b(struct seedlab *b, struct strbuf *out)
{
	if (!sl_new_lab(b, "seed-ikev2") || sl_ping(b, 3, out) != 3)
		return 0;
	uint32_t old = a_spi_out(b->r[0]);
	if (!old || !sl_reboot_b(b) || sl_bundles(b->r[1]) != 0 || nsas(b->r[1]) != 0)
		return 0;
	return old;
}

TEST(isr_v2_restart_recovered_by_ikev2_sa_and_invalid_spi)
{
	struct seedlab b;
	struct strbuf out;
	sb_init(&out);
	uint32_t old = up_then_restart_b(&b, &out);
	CHECK(old != 0);
	CHECK(sadb_has_outbound_spi(b.r[0], B_OUT, 50, old));
	int ok = sl_ping(&b, 10, &out);
	if (ok < 9) {
		fprintf(stderr, "    %s\n", sb_str(&out));
		sl_dump(&b);
	}
	/* The echo that met the dead SPI is lost; the next ones ride new SAs. */
	CHECK(ok >= 9);
	const struct isr_counters *c = &b.r[1]->rec->c;
	CHECK(c->invalid_esp >= 1);
	CHECK(c->initiations == 1 && c->initiations_v2 == 1 && c->initiations_failed == 0);
	CHECK(c->notifies_sent >= 1);
	/* Over IKEv2, with INITIAL_CONTACT, and never IKEv1. */
	CHECK(ike2_engine(b.r[1])->st.invalid_spi_tx >= 1);
	CHECK(ike2_engine(b.r[1])->st.initial_contact_tx == 1);
	CHECK(b.r[1]->ike->st.tx == 0 && b.r[0]->ike->st.tx == 0);
	/* A: the old Child SA is gone, exactly one new one, crosswise with B's. */
	CHECK(!sadb_has_outbound_spi(b.r[0], B_OUT, 50, old));
	uint32_t now_out = a_spi_out(b.r[0]);
	CHECK(now_out != 0 && now_out != old);
	CHECK(sl_bundles(b.r[0]) == 1 && sl_bundles(b.r[1]) == 1);
	CHECK(nsas(b.r[0]) == 1 && nsas(b.r[1]) == 1);
	/* What B's operator reads. */
	CHECK(sl_cmd(&b, 1, "show crypto isakmp invalid-spi-recovery", &out) == 0);
	CHECK(field(sb_str(&out), "IKE SAs initiated for recovery: ") == 1);
	CHECK(field(sb_str(&out), "IKEv2 peers: IKE SAs initiated ") == 1);
	CHECK(strstr(sb_str(&out), "IKEv2 peers:") != NULL);
	/*
	 * A's old IKE SA and Child SA went on B's INITIAL_CONTACT (authenticated,
	 * in IKE_AUTH); the INVALID_SPI that follows over the new SA then names
	 * an SPI A no longer has: counted, nothing else changes.
	 */
	CHECK(ike2_stats(b.r[0])->initial_contact_deleted == 1);
	CHECK(ike2_engine(b.r[0])->st.invalid_spi_unknown == 1 && ike2_engine(b.r[0])->st.invalid_spi_rx == 0);
	CHECK(sl_cmd(&b, 0, "show crypto isakmp invalid-spi-recovery", &out) == 0);
	CHECK(strstr(sb_str(&out), "Over IKEv2: 1 (acted on: 0, ignored, unprotected: 0, unknown SPI: 1)") != NULL);
	CHECK(b.log[1].initiate == 1);
	sb_free(&out);
	sl_free(&b);
}

TEST(isr_v2_restart_feature_off_stays_black)
{
	static const char *const off[] = { "no crypto isakmp invalid-spi-recovery", "end", NULL };
	struct seedlab b;
	struct strbuf out;
	sb_init(&out);
	uint32_t old = up_then_restart_b(&b, &out);
	CHECK(old != 0);
	CHECK(sl_configure(b.r[1], off));
	CHECK(sl_ping(&b, 10, &out) == 0);
	sl_run(&b, 60000);
	CHECK(sl_ping(&b, 5, &out) == 0);
	const struct isr_counters *c = &b.r[1]->rec->c;
	CHECK(c->ignored_disabled >= 15 && c->initiations == 0 && c->notifies_sent == 0);
	/* B started nothing; A still sends on the dead SPI. */
	CHECK(nsas(b.r[1]) == 0 && ike2_engine(b.r[1])->st.invalid_spi_tx == 0);
	CHECK(sadb_has_outbound_spi(b.r[0], B_OUT, 50, old));
	sb_free(&out);
	sl_free(&b);
}

/* `contact-peers-on-start` entered on the restarted B: IKEv2 with INITIAL_CONTACT, no echo lost after. */
TEST(isr_v2_contact_on_start_reaches_ikev2_peer)
{
	static const char *const hello[] = { "crypto isakmp invalid-spi-recovery contact-peers-on-start", "end",
					     NULL };
	struct seedlab b;
	struct strbuf out;
	sb_init(&out);
	uint32_t old = up_then_restart_b(&b, &out);
	CHECK(old != 0);
	CHECK(sl_configure(b.r[1], hello));
	sl_run(&b, 2000);
	CHECK(b.r[1]->rec->p2c.hello_contacted == 1 && b.r[1]->rec->p2c.hello_failed == 0);
	CHECK(ike2_engine(b.r[1])->st.initial_contact_tx == 1 && ike2_engine(b.r[0])->st.initial_contact_rx == 1);
	CHECK(!sadb_has_outbound_spi(b.r[0], B_OUT, 50, old));
	CHECK(sl_bundles(b.r[0]) == 1 && sl_bundles(b.r[1]) == 1);
	int ok = sl_ping(&b, 5, &out);
	if (ok != 5)
		sl_dump(&b);
	CHECK(ok == 5);
	CHECK(b.r[1]->ike->st.tx == 0);
	sb_free(&out);
	sl_free(&b);
}

/* B's profile cannot build a proposal (no keyring): the recovery fails, is counted, and never falls back to IKEv1. */
TEST(isr_v2_recovery_with_broken_profile_fails_counted)
{
	static const char *const broken[] = { "crypto ikev2 profile seed-v2", "no keyring local", "end", NULL };
	struct seedlab b;
	struct strbuf out;
	sb_init(&out);
	uint32_t old = up_then_restart_b(&b, &out);
	CHECK(old != 0);
	CHECK(sl_configure(b.r[1], broken));
	CHECK(sl_ping(&b, 3, &out) == 0);
	const struct isr_counters *c = &b.r[1]->rec->c;
	/* One initiation (then the 10 s hold-down), failed at once: nothing to send. */
	CHECK(c->initiations == 1 && c->initiations_v2 == 1 && c->initiations_failed == 1);
	CHECK(c->suppressed_holddown >= 1 && c->notifies_sent == 0);
	CHECK(ike2_stats(b.r[1])->no_conf >= 1 && nsas(b.r[1]) == 0);
	CHECK(b.r[1]->ike->st.tx == 0);
	CHECK(sl_bundles(b.r[1]) == 0 && sadb_has_outbound_spi(b.r[0], B_OUT, 50, old));
	sb_free(&out);
	sl_free(&b);
}

/*
 * Without the feature, only DPD ends the black hole; `dpd` entered on a
 * running router must take effect on the IKE SA already up (found by
 * tests/lab/isr_v2_restart.sh: the glue's timer stayed armed for the rekey).
 */
TEST(isr_v2_dpd_entered_at_runtime_ends_black_hole)
{
	static const char *const dpd[] = { "crypto ikev2 profile seed-v2", "dpd 10 2 periodic", "end", NULL };
	struct seedlab b;
	struct strbuf out;
	sb_init(&out);
	uint32_t old = up_then_restart_b(&b, &out);
	CHECK(old != 0);
	CHECK(sl_configure(b.r[0], dpd));
	/* 10 s of silence, then 5 retransmissions 2 s apart. */
	sl_run(&b, 10000 + 6 * 2000 + 1000);
	CHECK(ike2_stats(b.r[0])->dpd_tx >= 1 && ike2_stats(b.r[0])->dpd_dead == 1);
	CHECK(nsas(b.r[0]) == 0 && !sadb_has_outbound_spi(b.r[0], B_OUT, 50, old));
	sb_free(&out);
	sl_free(&b);
}

/*
 * Two ACL lines toward A: the recovery's IKE_AUTH carries the first, the
 * phase-2 restore brings the second with CREATE_CHILD_SA over the new SA.
 */
TEST(isr_v2_recovery_restores_every_acl_line)
{
	/* A's one line covers both of B's: a spigot responder narrows to its first line only. */
	static const char *const a2[] = { "no access-list 150", "access-list 150 permit ip host 10.0.0.1 10.0.2.0 0.0.0.255",
					  "end", NULL };
	struct seedlab b;
	struct strbuf out;
	sb_init(&out);
	CHECK(sl_new_lab(&b, "seed-ikev2"));
	/* B's config file with the mirror line, for its boots. */
	char path[] = "/tmp/spigot-isr-v2-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	FILE *in = fopen(b.cfg[1], "r"), *o = fd >= 0 ? fdopen(fd, "w") : NULL;
	CHECK(in && o);
	char line[512];
	while (in && o && fgets(line, sizeof(line), in)) {
		fputs(line, o);
		if (!strcmp(line, "access-list 150 permit ip host 10.0.2.2 host 10.0.0.1\n"))
			fputs("access-list 150 permit ip host 10.0.2.3 host 10.0.0.1\n", o);
	}
	if (in)
		fclose(in);
	if (o)
		fclose(o);
	snprintf(b.cfg[1], sizeof(b.cfg[1]), "%s", path);
	CHECK(sl_configure(b.r[0], a2) && sl_reboot_b(&b));
	/* B starts (its proposal is within A's line: nothing narrowed), then A's traffic. */
	CHECK(sl_cmd(&b, 1, "ping 10.0.0.1 source 10.0.2.2 repeat 3 timeout 1", &out) == 0);
	CHECK(strstr(sb_str(&out), "(3/3)") != NULL);
	CHECK(sl_ping(&b, 3, &out) == 3);
	uint32_t old = a_spi_out(b.r[0]);
	CHECK(old != 0 && sl_reboot_b(&b));
	int ok = sl_ping(&b, 10, &out);
	sl_run(&b, 1000);
	if (ok < 9)
		sl_dump(&b);
	CHECK(ok >= 9);
	const struct p2up_counters *p = &b.r[1]->rec->p2c;
	CHECK(b.r[1]->rec->c.initiations_v2 == 1);
	CHECK(p->jobs[P2UP_RECOVERY] == 1 && p->qm_started == 1 && p->qm_up == 1 && p->already_up == 1);
	CHECK(ike2_stats(b.r[1])->child_create == 1);
	CHECK(sl_bundles(b.r[0]) == 2 && sl_bundles(b.r[1]) == 2 && nsas(b.r[0]) == 1 && nsas(b.r[1]) == 1);
	CHECK(!sadb_has_outbound_spi(b.r[0], B_OUT, 50, old));
	unlink(path);
	sb_free(&out);
	sl_free(&b);
}
