#include "t.h"

#include "core/wbuf.h"

TEST(wbuf_reads_are_atomic)
{
	const unsigned char b[] = { 0x12, 0x34, 0x56 };
	struct wbuf_rd rd;
	wbuf_rd_init(&rd, b, sizeof(b));
	uint16_t v16;
	uint32_t v32;
	CHECK(wbuf_get_u16(&rd, &v16) && v16 == 0x1234);
	CHECK(!wbuf_get_u32(&rd, &v32));	/* only one byte left */
	CHECK(rd.off == 2);			/* the failed read did not move */
	CHECK(rd.err);				/* and the failure is sticky */
	uint8_t v8;
	CHECK(!wbuf_get_u8(&rd, &v8));
	CHECK(!wbuf_done(&rd));
}

TEST(wbuf_sub_reader_never_trusts_length)
{
	const unsigned char b[] = { 0x00, 0x10, 1, 2, 3 };
	struct wbuf_rd rd, sub;
	wbuf_rd_init(&rd, b, sizeof(b));
	uint16_t len;
	CHECK(wbuf_get_u16(&rd, &len));
	CHECK(!wbuf_get_sub(&rd, &sub, len));	/* claims 16, has 3 */
	wbuf_rd_init(&rd, b + 2, 3);
	CHECK(wbuf_get_sub(&rd, &sub, 3));
	CHECK(wbuf_left(&sub) == 3 && wbuf_done(&rd));
	const uint8_t *p;
	CHECK(wbuf_get_ptr(&sub, &p, 3) && p[2] == 3 && wbuf_done(&sub));
}

TEST(wbuf_oversized_and_huge_reads)
{
	const unsigned char b[4] = { 0 };
	struct wbuf_rd rd;
	wbuf_rd_init(&rd, b, sizeof(b));
	CHECK(!wbuf_skip(&rd, (size_t)-1));	/* no wrap-around */
	wbuf_rd_init(&rd, b, sizeof(b));
	CHECK(wbuf_skip(&rd, 4) && wbuf_done(&rd));
	uint8_t v;
	CHECK(!wbuf_peek_u8(&rd, 0, &v));
	wbuf_rd_init(&rd, NULL, 10);
	CHECK(wbuf_left(&rd) == 0);
}

TEST(wbuf_writer_overflow_is_sticky)
{
	unsigned char b[5];
	struct wbuf_wr wr;
	wbuf_wr_init(&wr, b, sizeof(b));
	CHECK(wbuf_put_u32(&wr, 0xdeadbeef));
	CHECK(!wbuf_put_u16(&wr, 1));
	CHECK(wr.len == 4 && wr.err);
	CHECK(!wbuf_put_u8(&wr, 1));
	CHECK(b[0] == 0xde && b[3] == 0xef);
	wbuf_wr_init(&wr, b, sizeof(b));
	CHECK(wbuf_put_u16(&wr, 0) && wbuf_put_u8(&wr, 7));
	CHECK(wbuf_set_u16_at(&wr, 0, 0x0102) && b[0] == 1 && b[1] == 2);
	CHECK(!wbuf_set_u16_at(&wr, 2, 5));	/* beyond what was written */
}
