/*
 * Outbound sequence numbers (RFC 4303 §3.3.3, RFC 4302 §3.3.2): one
 * counter per SA, shared by every thread that encapsulates with it.
 * A number is handed out once, never twice, and never past the SA's
 * last one: extended sequence numbers are not negotiated, so 2^32 - 1 is
 * the end, and GCM's nonce would repeat after it (RFC 4106 §3.1).
 */
#ifndef SPIGOT_IPSEC_SEQNO_H
#define SPIGOT_IPSEC_SEQNO_H

#include <stdatomic.h>
#include <stdint.h>

/* The last sequence number an SA may send. */
#define IPSEC_SEQ_MAX UINT32_MAX

typedef _Atomic uint64_t ipsec_seq_t;

/*
 * Reserves the next number (1, 2, ...), or returns 0 when limit has been
 * used.  A compare-and-swap rather than a fetch-add, so the counter never
 * runs past limit (show and the rekey check read it as "last sent").  A
 * number reserved for a packet that then fails is a gap, which the
 * receiver accepts; it is never reused.
 */
static inline uint64_t ipsec_seq_next(ipsec_seq_t *ctr, uint64_t limit)
{
	uint64_t cur = atomic_load_explicit(ctr, memory_order_relaxed);
	do {
		if (cur >= limit)
			return 0;
	} while (!atomic_compare_exchange_weak_explicit(ctr, &cur, cur + 1, memory_order_relaxed,
							memory_order_relaxed));
	return cur + 1;
}

static inline uint64_t ipsec_seq_last(ipsec_seq_t *ctr)
{
	return atomic_load_explicit(ctr, memory_order_relaxed);
}

#endif
