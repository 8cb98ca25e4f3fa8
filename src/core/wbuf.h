/*
 * Bounds-checked wire buffers (in the spirit of OpenSSH's sshbuf).
 *
 * A reader walks untrusted bytes.  Every get either succeeds completely or
 * fails without moving the cursor, and a failure is sticky (rd->err), so a
 * parser may run a sequence of gets and check once at the end.  Nothing here
 * trusts a length field: sub-readers are carved out only if the bytes exist.
 *
 * A writer appends into caller-owned storage; overflow is sticky as well.
 */
#ifndef SPIGOT_WBUF_H
#define SPIGOT_WBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wbuf_rd {
	const uint8_t *p;
	size_t len;
	size_t off;
	bool err;
};

struct wbuf_wr {
	uint8_t *p;
	size_t cap;
	size_t len;
	bool err;
};

void wbuf_rd_init(struct wbuf_rd *rd, const void *p, size_t len);
size_t wbuf_left(const struct wbuf_rd *rd);
/* True when every byte was consumed and no read failed. */
bool wbuf_done(const struct wbuf_rd *rd);
const uint8_t *wbuf_cur(const struct wbuf_rd *rd);

bool wbuf_get_u8(struct wbuf_rd *rd, uint8_t *v);
bool wbuf_get_u16(struct wbuf_rd *rd, uint16_t *v);	/* network order */
bool wbuf_get_u32(struct wbuf_rd *rd, uint32_t *v);	/* network order */
bool wbuf_get_u64(struct wbuf_rd *rd, uint64_t *v);	/* network order */
bool wbuf_get_bytes(struct wbuf_rd *rd, void *dst, size_t n);
/* Points *p at the next n bytes (no copy) and consumes them. */
bool wbuf_get_ptr(struct wbuf_rd *rd, const uint8_t **p, size_t n);
bool wbuf_skip(struct wbuf_rd *rd, size_t n);
/* Carves the next n bytes out as an independent reader and consumes them. */
bool wbuf_get_sub(struct wbuf_rd *rd, struct wbuf_rd *sub, size_t n);
/* Reads without consuming. */
bool wbuf_peek_u8(const struct wbuf_rd *rd, size_t at, uint8_t *v);
bool wbuf_peek_u16(const struct wbuf_rd *rd, size_t at, uint16_t *v);

void wbuf_wr_init(struct wbuf_wr *wr, void *p, size_t cap);
bool wbuf_put_u8(struct wbuf_wr *wr, uint8_t v);
bool wbuf_put_u16(struct wbuf_wr *wr, uint16_t v);
bool wbuf_put_u32(struct wbuf_wr *wr, uint32_t v);
bool wbuf_put_u64(struct wbuf_wr *wr, uint64_t v);
bool wbuf_put_bytes(struct wbuf_wr *wr, const void *src, size_t n);
bool wbuf_put_zero(struct wbuf_wr *wr, size_t n);
/* Reserves n bytes and returns where they start, or NULL. */
uint8_t *wbuf_reserve(struct wbuf_wr *wr, size_t n);
/* Patches a 16-bit field written earlier (e.g. a length). */
bool wbuf_set_u16_at(struct wbuf_wr *wr, size_t off, uint16_t v);
bool wbuf_set_u32_at(struct wbuf_wr *wr, size_t off, uint32_t v);

/* Unaligned big-endian loads/stores for code that has already bounds-checked. */
static inline uint16_t wbuf_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t wbuf_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void wbuf_st16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void wbuf_st32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

#endif
