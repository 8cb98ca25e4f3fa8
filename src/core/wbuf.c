#include "core/wbuf.h"

#include <string.h>

void wbuf_rd_init(struct wbuf_rd *rd, const void *p, size_t len)
{
	rd->p = p;
	rd->len = p ? len : 0;
	rd->off = 0;
	rd->err = false;
}

size_t wbuf_left(const struct wbuf_rd *rd) { return rd->len - rd->off; }

bool wbuf_done(const struct wbuf_rd *rd) { return !rd->err && rd->off == rd->len; }

const uint8_t *wbuf_cur(const struct wbuf_rd *rd) { return rd->p + rd->off; }

/* The one place that decides whether n more bytes exist. */
static bool need(struct wbuf_rd *rd, size_t n)
{
	if (rd->err || n > rd->len - rd->off) {
		rd->err = true;
		return false;
	}
	return true;
}

bool wbuf_get_u8(struct wbuf_rd *rd, uint8_t *v)
{
	if (!need(rd, 1))
		return false;
	*v = rd->p[rd->off++];
	return true;
}

bool wbuf_get_u16(struct wbuf_rd *rd, uint16_t *v)
{
	if (!need(rd, 2))
		return false;
	*v = wbuf_be16(rd->p + rd->off);
	rd->off += 2;
	return true;
}

bool wbuf_get_u32(struct wbuf_rd *rd, uint32_t *v)
{
	if (!need(rd, 4))
		return false;
	*v = wbuf_be32(rd->p + rd->off);
	rd->off += 4;
	return true;
}

bool wbuf_get_u64(struct wbuf_rd *rd, uint64_t *v)
{
	if (!need(rd, 8))
		return false;
	*v = (uint64_t)wbuf_be32(rd->p + rd->off) << 32 | wbuf_be32(rd->p + rd->off + 4);
	rd->off += 8;
	return true;
}

bool wbuf_get_bytes(struct wbuf_rd *rd, void *dst, size_t n)
{
	if (!need(rd, n))
		return false;
	if (n)
		memcpy(dst, rd->p + rd->off, n);
	rd->off += n;
	return true;
}

bool wbuf_get_ptr(struct wbuf_rd *rd, const uint8_t **p, size_t n)
{
	if (!need(rd, n))
		return false;
	*p = rd->p + rd->off;
	rd->off += n;
	return true;
}

bool wbuf_skip(struct wbuf_rd *rd, size_t n)
{
	if (!need(rd, n))
		return false;
	rd->off += n;
	return true;
}

bool wbuf_get_sub(struct wbuf_rd *rd, struct wbuf_rd *sub, size_t n)
{
	if (!need(rd, n))
		return false;
	wbuf_rd_init(sub, rd->p + rd->off, n);
	rd->off += n;
	return true;
}

bool wbuf_peek_u8(const struct wbuf_rd *rd, size_t at, uint8_t *v)
{
	if (rd->err || at >= rd->len - rd->off)
		return false;
	*v = rd->p[rd->off + at];
	return true;
}

bool wbuf_peek_u16(const struct wbuf_rd *rd, size_t at, uint16_t *v)
{
	size_t left = rd->len - rd->off;
	if (rd->err || left < 2 || at > left - 2)
		return false;
	*v = wbuf_be16(rd->p + rd->off + at);
	return true;
}

void wbuf_wr_init(struct wbuf_wr *wr, void *p, size_t cap)
{
	wr->p = p;
	wr->cap = p ? cap : 0;
	wr->len = 0;
	wr->err = false;
}

uint8_t *wbuf_reserve(struct wbuf_wr *wr, size_t n)
{
	if (wr->err || n > wr->cap - wr->len) {
		wr->err = true;
		return NULL;
	}
	uint8_t *at = wr->p + wr->len;
	wr->len += n;
	return at;
}

bool wbuf_put_u8(struct wbuf_wr *wr, uint8_t v)
{
	uint8_t *p = wbuf_reserve(wr, 1);
	if (!p)
		return false;
	*p = v;
	return true;
}

bool wbuf_put_u16(struct wbuf_wr *wr, uint16_t v)
{
	uint8_t *p = wbuf_reserve(wr, 2);
	if (!p)
		return false;
	wbuf_st16(p, v);
	return true;
}

bool wbuf_put_u32(struct wbuf_wr *wr, uint32_t v)
{
	uint8_t *p = wbuf_reserve(wr, 4);
	if (!p)
		return false;
	wbuf_st32(p, v);
	return true;
}

bool wbuf_put_u64(struct wbuf_wr *wr, uint64_t v)
{
	uint8_t *p = wbuf_reserve(wr, 8);
	if (!p)
		return false;
	wbuf_st32(p, (uint32_t)(v >> 32));
	wbuf_st32(p + 4, (uint32_t)v);
	return true;
}

bool wbuf_put_bytes(struct wbuf_wr *wr, const void *src, size_t n)
{
	uint8_t *p = wbuf_reserve(wr, n);
	if (!p)
		return false;
	if (n)
		memcpy(p, src, n);
	return true;
}

bool wbuf_put_zero(struct wbuf_wr *wr, size_t n)
{
	uint8_t *p = wbuf_reserve(wr, n);
	if (!p)
		return false;
	memset(p, 0, n);
	return true;
}

bool wbuf_set_u16_at(struct wbuf_wr *wr, size_t off, uint16_t v)
{
	if (wr->err || wr->len < 2 || off > wr->len - 2)
		return false;
	wbuf_st16(wr->p + off, v);
	return true;
}

bool wbuf_set_u32_at(struct wbuf_wr *wr, size_t off, uint32_t v)
{
	if (wr->err || wr->len < 4 || off > wr->len - 4)
		return false;
	wbuf_st32(wr->p + off, v);
	return true;
}
