/*
 * Stateful libFuzzer target: the seed lab's two routers in one process
 * (tests/exchange/seedlab.c, virtual clock), with the fuzzer as the
 * attacker on the A-B link.  Every frame either router sends on its
 * outside interface is captured into a queue; the input then chooses, one
 * byte at a time, what happens next: deliver, drop, duplicate, reorder,
 * mutate or replay a frame, forge one with live cookies, advance the clock,
 * make traffic, or lose/clear SAs the way an operator or a reboot would.
 *
 * Invariants after every step (abort() = a finding):
 *  - ASan/UBSan/LSan: no crash, no leak (libFuzzer's leak check);
 *  - at most one live (not dead) bundle per flow, direction and SPI on each
 *    router (an older bundle may stay beside the newest, as in IOS);
 *  - every bundle IKE installed matches one of its router's IKE records
 *    (nothing keyed outside a finished Quick Mode), and when the peer holds
 *    a record for the same SPI, both derived the same keys (an unauthenticated
 *    or replayed message cannot key an SA the peer did not agree to).
 * Final phase, once the input is used up: the link passes everything,
 * time runs, and A's ping to B's inside address must get replies, with no
 * IKE storm (a bounded number of IKE datagrams while idle).
 *
 * Known findings this target reaches on code without their fixes (issue 9):
 * 1 (duplicate QM3/QM2 storm: the idle IKE budget) and 2 (replayed QM1 after
 * the exchange is forgotten: the key-agreement check / dead final ping).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libgen.h>

#include "../exchange/seedlab.h"
#include "core/evloop.h"
#include "core/strbuf.h"
#include "ike/ike_int.h"
#include "ipsec/ipsec_int.h"
#include "net/port_mem.h"

#define QMAX 32		/* frames in flight on the link */
#define HMAX 48		/* frames remembered for replay */
#define FMAX 2048	/* longest frame kept */
#define MAX_STEPS 96
#define MAX_VIRT_MS (20 * 60 * 1000)	/* well below the 3600 s IPsec soft lifetime */
#define IDLE_IKE_BUDGET 60	/* IKE datagrams in the final 60 s: a storm is more */

static const char *const OUTSIDE[2] = { "FastEthernet0/0", "Ethernet1/0" };

struct frame {
	int from;
	size_t len;
	uint8_t d[FMAX];
};

struct fx {
	struct seedlab lab;
	struct frame q[QMAX];
	int nq;
	struct frame hist[HMAX];
	int nhist;
	bool passthrough;	/* final phase: the cable carries frames */
	unsigned ike_seen;	/* IKE datagrams seen while passthrough */
	uint64_t virt_ms;
};

static struct fx *F;

static bool is_ike(const uint8_t *d, size_t len)
{
	if (len < 28 || d[9] != 17)
		return false;
	size_t ihl = (size_t)(d[0] & 15) * 4;
	if (len < ihl + 8)
		return false;
	unsigned dport = (unsigned)d[ihl + 2] << 8 | d[ihl + 3];
	return dport == 500 || dport == 4500;
}

/* FX_TRACE=1: every frame on the link, to read a reproducer. */
static void trace(const struct fx *f, int from, const uint8_t *d, size_t len)
{
	size_t ihl = (size_t)(d[0] & 15) * 4;
	fprintf(stderr, "  [hist %d] %c->%c proto %u len %zu", f->nhist, 'A' + from, 'B' - from, d[9], len);
	if (is_ike(d, len) && len >= ihl + 8 + 28) {
		const uint8_t *ik = d + ihl + 8;
		fprintf(stderr, " IKE exch %u flags %u msgid %02x%02x%02x%02x", ik[18], ik[19], ik[20], ik[21], ik[22],
			ik[23]);
	}
	fprintf(stderr, "%s\n", f->passthrough ? " (cable)" : "");
}

static void sink(void *arg, struct iface *ifp, const uint8_t *frame, size_t len)
{
	struct fx *f = arg;
	int from = ifp == router_iface(f->lab.r[0], OUTSIDE[0]) ? 0 : 1;
	if (getenv("FX_TRACE"))
		trace(f, from, frame, len);
	if (f->passthrough) {
		f->ike_seen += is_ike(frame, len);
		return;
	}
	if (len > FMAX)
		return;
	if (f->nq < QMAX) {
		struct frame *q = &f->q[f->nq++];
		q->from = from;
		q->len = len;
		memcpy(q->d, frame, len);
	}
	struct frame *h = &f->hist[f->nhist++ % HMAX];
	h->from = from;
	h->len = len;
	memcpy(h->d, frame, len);
}

static void deliver(struct fx *f, const struct frame *fr)
{
	struct iface *to = router_iface(f->lab.r[1 - fr->from], OUTSIDE[1 - fr->from]);
	mem_port_inject(to, fr->d, fr->len);
}

static void pop(struct fx *f, int i)
{
	memmove(&f->q[i], &f->q[i + 1], (size_t)(f->nq - i - 1) * sizeof(f->q[0]));
	f->nq--;
}

static void advance(struct fx *f, uint64_t ms)
{
	if (f->virt_ms + ms > MAX_VIRT_MS)
		ms = MAX_VIRT_MS - f->virt_ms;
	for (uint64_t t = 0; t < ms; t += 50)	/* coarser than sl_run: fuzzing speed */
		ev_advance(f->lab.ev, 50);
	f->virt_ms += ms;
}

/* Runs a command; async ones (ping) run the clock, so count that time too. */
static void cmd(struct fx *f, int i, const char *line)
{
	struct strbuf out;
	sb_init(&out);
	uint64_t t0 = ev_now(f->lab.ev);
	sl_cmd(&f->lab, i, line, &out);
	f->virt_ms += ev_now(f->lab.ev) - t0;
	sb_free(&out);
}

/* Clears UDP's checksum after a mutation (0 = none in IPv4) so the bytes reach IKE. */
static void fix_udp(struct frame *fr)
{
	size_t ihl = (size_t)(fr->d[0] & 15) * 4;
	if (fr->d[9] == 17 && fr->len >= ihl + 8) {
		fr->d[ihl + 6] = 0;
		fr->d[ihl + 7] = 0;
	}
}

static const struct ike_record *rec_by_in_spi(const struct router *r, uint32_t spi)
{
	for (int k = 0; k < IKE_MAX_RECORDS; k++) {
		const struct ike_record *c = &r->ike->rec[k];
		if (c->used && ((c->has_esp && c->esp_spi_in == spi) || (c->has_ah && c->ah_spi_in == spi)))
			return c;
	}
	return NULL;
}

static const struct ike_record *rec_by_out_spi(const struct router *r, uint32_t spi)
{
	for (int k = 0; k < IKE_MAX_RECORDS; k++) {
		const struct ike_record *c = &r->ike->rec[k];
		if (c->used && ((c->has_esp && c->esp_spi_out == spi) || (c->has_ah && c->ah_spi_out == spi)))
			return c;
	}
	return NULL;
}

static void check_router(struct fx *f, int i)
{
	const struct router *r = f->lab.r[i], *peer = f->lab.r[1 - i];
	/*
	 * One live bundle per flow, direction and SPI. A flow may hold an older
	 * bundle beside the newest (IOS keeps the old inbound SAs after a new
	 * Quick Mode until they expire or are deleted; egress uses the newest),
	 * but two live bundles sending on one SPI, or receiving on one, mean an
	 * SA was keyed twice: the replayed-QM1 signature (issue 9 finding 2).
	 */
	for (const struct ipsec_flowrec *fr = r->ipsec->flows; fr; fr = fr->next)
		for (const struct ipsec_bundle *b = fr->bundles; b; b = b->fnext)
			for (const struct ipsec_bundle *o = b->fnext; o && !sadb_bundle_dead(b); o = o->fnext) {
				if (sadb_bundle_dead(o))
					continue;
				if ((b->esp_out.used && o->esp_out.used && b->esp_out.spi == o->esp_out.spi) ||
				    (b->ah_out.used && o->ah_out.used && b->ah_out.spi == o->ah_out.spi) ||
				    (b->esp_in.used && o->esp_in.used && b->esp_in.spi == o->esp_in.spi)) {
					fprintf(stderr, "INVARIANT: router %c holds two live bundles for one flow "
						"on the same SPI (%08x)\n", 'A' + i, b->esp_out.spi);
					sl_dump(&f->lab);
					abort();
				}
			}
	for (int k = 0; k < IKE_MAX_RECORDS; k++) {
		const struct ike_record *c = &r->ike->rec[k];
		if (!c->used || !c->has_esp)
			continue;
		/* The peer's record for the SPI we send on must hold the same keys. */
		const struct ike_record *p = rec_by_in_spi(peer, c->esp_spi_out);
		if (p && p->esp_spi_out == c->esp_spi_in &&
		    (p->key_fp[2] != c->key_fp[3] || p->key_fp[3] != c->key_fp[2])) {
			fprintf(stderr, "INVARIANT: router %c sends on SPI %08x with keys router %c never agreed to\n",
				'A' + i, c->esp_spi_out, 'B' - i);
			sl_dump(&f->lab);
			abort();
		}
		if (p && p->esp_spi_out != c->esp_spi_in && p->key_fp[3] != c->key_fp[2]) {
			fprintf(stderr, "INVARIANT: router %c keyed outbound SPI %08x (router %c's live inbound SPI) "
				"from an exchange router %c did not finish\n", 'A' + i, c->esp_spi_out, 'B' - i, 'B' - i);
			sl_dump(&f->lab);
			abort();
		}
	}
	/* Every installed, IKE-keyed bundle comes from one of this router's records. */
	for (const struct ipsec_bundle *b = r->ipsec->bundles; b; b = b->next) {
		if (sadb_bundle_dead(b) || !b->life_sec || !b->esp_out.used)
			continue;
		if (!rec_by_out_spi(r, b->esp_out.spi)) {
			fprintf(stderr, "INVARIANT: router %c bundle with outbound SPI %08x has no IKE record\n",
				'A' + i, b->esp_out.spi);
			sl_dump(&f->lab);
			abort();
		}
	}
}

static void check(struct fx *f)
{
	check_router(f, 0);
	check_router(f, 1);
}

/* Keeps a recorded IKE frame's cookies and breaks its flags (byte 19 of the
 * ISAKMP header), length, size or hash/body bytes; IP and UDP lengths follow. */
static void forge(struct fx *f, const struct frame *orig, uint8_t b)
{
	struct frame fr = *orig;
	size_t ihl = (size_t)(fr.d[0] & 15) * 4;
	if (!is_ike(fr.d, fr.len) || fr.len <= ihl + 8 + 28)
		return;
	uint8_t *ik = fr.d + ihl + 8;
	if (ik[0] == 0 && ik[1] == 0 && ik[2] == 0 && ik[3] == 0)
		ik += 4;	/* non-ESP marker on 4500 */
	switch (b % 4) {
	case 0: ik[19] ^= 1 + (b >> 2) % 7; break;		/* flags */
	case 1: ik[27] ^= (uint8_t)(b | 1); break;		/* length */
	case 2: fr.len -= b % 16 + 1; break;			/* truncated */
	default: fr.d[fr.len - 1 - b % 8] ^= 0x5a; break;	/* hash/body */
	}
	unsigned tl = (unsigned)fr.len;
	fr.d[2] = (uint8_t)(tl >> 8);
	fr.d[3] = (uint8_t)tl;
	fr.d[ihl + 4] = (uint8_t)((tl - ihl) >> 8);
	fr.d[ihl + 5] = (uint8_t)(tl - ihl);
	fr.d[10] = fr.d[11] = 0;
	uint32_t sum = 0;
	for (size_t k = 0; k < ihl; k += 2)
		sum += (uint32_t)fr.d[k] << 8 | fr.d[k + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	fr.d[10] = (uint8_t)(~sum >> 8);
	fr.d[11] = (uint8_t)~sum;
	fix_udp(&fr);
	deliver(f, &fr);
}

/* One step chosen by the input. Returns the bytes used. */
static size_t step(struct fx *f, const uint8_t *in, size_t n)
{
	uint8_t op = in[0];
	uint8_t a = n > 1 ? in[1] : 0, b = n > 2 ? in[2] : 0;
	switch (op % 14) {
	case 0: case 1: case 2:	/* deliver the oldest: the common case */
		if (f->nq) {
			struct frame fr = f->q[0];
			pop(f, 0);
			deliver(f, &fr);
		}
		advance(f, 10);
		return 1;
	case 3:			/* drop one */
		if (f->nq)
			pop(f, a % f->nq);
		return 2;
	case 4:			/* duplicate one (deliver a copy now, keep it queued) */
		if (f->nq)
			deliver(f, &f->q[a % f->nq]);
		return 2;
	case 5:			/* reorder: deliver the newest first */
		if (f->nq) {
			struct frame fr = f->q[f->nq - 1];
			f->nq--;
			deliver(f, &fr);
		}
		return 1;
	case 6:			/* mutate one byte past the IP header (IKE header, payloads, ESP) */
		if (f->nq) {
			struct frame *fr = &f->q[a % f->nq];
			size_t ihl = (size_t)(fr->d[0] & 15) * 4;
			if (fr->len > ihl + 8) {
				size_t at = ihl + 8 + (size_t)b * 7 % (fr->len - ihl - 8);
				fr->d[at] ^= (uint8_t)(n > 3 ? in[3] | 1 : 0x80);
				fix_udp(fr);
			}
		}
		return 4;
	case 7:			/* replay a frame seen earlier (at once or after the clock moved) */
		if (f->nhist) {
			int k = a % (f->nhist < HMAX ? f->nhist : HMAX);
			struct frame fr = f->hist[k];
			deliver(f, &fr);
		}
		return 2;
	case 8:			/* forge: a recorded IKE frame with a live header and a bad flag, length or body */
		if (f->nhist)
			forge(f, &f->hist[a % (f->nhist < HMAX ? f->nhist : HMAX)], b);
		return 3;
	case 9:			/* time passes: up to 25.5 s */
		advance(f, (uint64_t)a * 100);
		return 2;
	case 10:		/* a long wait: exchanges are forgotten, DPD, IKE lifetime */
		advance(f, 30000 + (uint64_t)(a % 8) * 20000);
		return 2;
	case 11:		/* traffic that needs the tunnel, from either side */
		cmd(f, a & 1, a & 1 ? "ping 10.0.0.1 source 10.0.2.2 repeat 1 timeout 1"
				    : "ping 10.0.2.2 source 10.0.0.1 repeat 1 timeout 1");
		return 2;
	case 12:		/* one side loses its SAs (reboot-like) or clears them */
		switch (a % 4) {
		case 0: cmd(f, 1, "test crypto ipsec lose-sas"); break;
		case 1: cmd(f, 0, "test crypto ipsec lose-sas"); break;
		case 2: cmd(f, a >> 7, "clear crypto sa"); break;
		default: cmd(f, a >> 7, "clear crypto isakmp"); break;
		}
		return 2;
	default:		/* drain: deliver everything queued now, in order */
		for (int k = 0; k < QMAX && f->nq; k++) {
			struct frame fr = f->q[0];
			pop(f, 0);
			deliver(f, &fr);
		}
		advance(f, 10);
		return 1;
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (!getenv("TOP")) {
		/* build/fuzz/fuzz_exchange -> the tree's root, for labs/seed */
		static char top[4096];
		char exe[4096];
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n > 0) {
			exe[n] = 0;
			snprintf(top, sizeof(top), "%s/../..", dirname(exe));
			setenv("TOP", top, 0);
		}
	}
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fx fx;
	struct fx *f = &fx;
	memset(f, 0, sizeof(*f));
	F = f;
	if (!sl_new(&f->lab)) {
		fprintf(stderr, "fuzz_exchange: cannot boot the seed lab (TOP=%s)\n", getenv("TOP"));
		abort();
	}
	/* The attacker owns the link: no cable, both outside ports captured. */
	mem_link_free(f->lab.cable);
	f->lab.cable = NULL;
	for (int i = 0; i < 2; i++)
		mem_port_set_sink(router_iface(f->lab.r[i], OUTSIDE[i]), sink, f);

	/* Traffic starts the tunnel; then the input decides. */
	cmd(f, 0, "ping 10.0.2.2 source 10.0.0.1 repeat 1 timeout 1");
	size_t off = 0;
	for (int s = 0; s < MAX_STEPS && off < size; s++) {
		off += step(f, data + off, size - off);
		check(f);
	}

	/* Final phase: the attacker stops and lets what is in flight go, in order
	 * (a duplicate-answering loop it started keeps going on the cable). */
	f->passthrough = true;
	/* 1 ms of delay: a loop then costs 1000 datagrams a second, not a hang. */
	static const struct mem_link_opts wire = { .delay_ms = 1 };
	f->lab.cable = mem_link_new(router_iface(f->lab.r[0], OUTSIDE[0]),
				    router_iface(f->lab.r[1], OUTSIDE[1]), &wire);
	for (int k = 0; k < f->nq; k++)
		deliver(f, &f->q[k]);
	f->nq = 0;
	for (int t = 0; t < 100; t++)
		ev_advance(f->lab.ev, 50);
	struct strbuf out;
	sb_init(&out);
	int ok = sl_ping(&f->lab, 5, &out);
	if (ok < 3) {
		/* An exchange the attacker broke may have to run out its retransmissions
		 * (2 s doubling, 5 tries: ~126 s) before a new one starts. */
		for (int t = 0; t < 1500; t++)
			ev_advance(f->lab.ev, 100);
		ok = sl_ping(&f->lab, 5, &out);
		if (ok < 3) {
			fprintf(stderr, "INVARIANT: the tunnel did not come back (%d/5):\n%s\n", ok, sb_str(&out));
			sl_dump(&f->lab);
			for (int i = 0; i < 2; i++) {
				sl_cmd(&f->lab, i, "show crypto isakmp sa", &out);
				fprintf(stderr, "    --- router %c, show crypto isakmp sa:\n%s", 'A' + i, sb_str(&out));
				sl_cmd(&f->lab, i, "show crypto isakmp stats", &out);
				fprintf(stderr, "    --- router %c, show crypto isakmp stats:\n%s", 'A' + i, sb_str(&out));
			}
			abort();
		}
	}
	check(f);
	/* Idle: DPD and nothing else; a duplicate-answering loop shows up here. */
	f->ike_seen = 0;
	for (int t = 0; t < 600; t++)
		ev_advance(f->lab.ev, 100);
	if (f->ike_seen > IDLE_IKE_BUDGET) {
		fprintf(stderr, "INVARIANT: %u IKE datagrams in 60 idle seconds (a retransmission storm)\n",
			f->ike_seen);
		sl_dump(&f->lab);
		abort();
	}
	sb_free(&out);
	sl_free(&f->lab);
	F = NULL;
	return 0;
}
