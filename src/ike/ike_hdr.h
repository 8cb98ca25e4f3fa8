/*
 * The two pieces of wire format IKEv1 (RFC 2408 §3.1, §3.2) and IKEv2
 * (RFC 7296 §3.1, §3.2) share byte for byte: the 28-byte fixed header and
 * the 4-byte generic payload header.  Read here once; what each version
 * makes of the fields (IKEv1's reserved octet, IKEv2's critical bit,
 * version and flag checks) stays with its parser (ike/isakmp.c,
 * ikev2/ikev2_msg.c).
 */
#ifndef SPIGOT_IKE_HDR_H
#define SPIGOT_IKE_HDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/wbuf.h"

#define IKE_HDR_LEN 28
#define IKE_GEN_LEN 4

/*
 * Reads the fixed header into h, a struct isakmp_hdr or struct ikev2_hdr:
 * both name the fields after the SPIs alike.  A macro because the two
 * structs are distinct types whose SPI fields have their versions' names.
 * Leaves rd.err set on a short read.
 */
#define IKE_HDR_GET(rd, h, spi_i, spi_r)                 \
	do {                                             \
		wbuf_get_bytes((rd), (h)->spi_i, 8);     \
		wbuf_get_bytes((rd), (h)->spi_r, 8);     \
		wbuf_get_u8((rd), &(h)->np);             \
		wbuf_get_u8((rd), &(h)->version);        \
		wbuf_get_u8((rd), &(h)->exch);           \
		wbuf_get_u8((rd), &(h)->flags);          \
		wbuf_get_u32((rd), &(h)->msgid);         \
		wbuf_get_u32((rd), &(h)->len);           \
	} while (0)

/*
 * Writes the fixed header from h (as IKE_HDR_GET) with the given version,
 * no first payload yet (0 in both versions) and length 0, both filled in
 * later; np_at gets the offset of the next-payload octet.
 */
#define IKE_HDR_PUT(w, h, spi_i, spi_r, ver, np_at)      \
	do {                                             \
		wbuf_put_bytes((w), (h)->spi_i, 8);      \
		wbuf_put_bytes((w), (h)->spi_r, 8);      \
		(np_at) = (w)->len;                      \
		wbuf_put_u8((w), 0);                     \
		wbuf_put_u8((w), (ver));                 \
		wbuf_put_u8((w), (h)->exch);             \
		wbuf_put_u8((w), (h)->flags);            \
		wbuf_put_u32((w), (h)->msgid);           \
		wbuf_put_u32((w), 0);                    \
	} while (0)

/* Next payload type, the second octet (reserved / flags) and the length. */
static inline bool ike_gen_get(struct wbuf_rd *rd, uint8_t *next, uint8_t *octet2, uint16_t *len)
{
	return wbuf_get_u8(rd, next) && wbuf_get_u8(rd, octet2) && wbuf_get_u16(rd, len);
}

/*
 * Carves out the body the length (header included) announces; false for a
 * length below min (at least the generic header) or beyond what rd holds.
 */
static inline bool ike_gen_body(struct wbuf_rd *rd, uint16_t len, size_t min, struct wbuf_rd *body)
{
	if (min < IKE_GEN_LEN)
		min = IKE_GEN_LEN;
	if (len < min || (size_t)len - IKE_GEN_LEN > wbuf_left(rd))
		return false;
	return wbuf_get_sub(rd, body, len - IKE_GEN_LEN);
}

#endif
