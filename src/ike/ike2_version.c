/*
 * IKE datagrams of a major version above 2 (RFC 7296 §2.5): IKEv2's to
 * drop and count, not IKEv1's.  A request gets the unprotected
 * INVALID_MAJOR_VERSION of §1.5 (our SPIs and message ID copied, R set,
 * data: the version we speak) to the address and port it came from; a
 * response never does, so two such nodes can not loop.  The source is
 * unauthenticated, so the answers are limited to IKE2_BAD_MAJOR_PER_SEC a
 * second in all; an answer is no bigger than the request it answers.
 */
#include "ike/ike2_version.h"

#include <string.h>

#include "ike/ike2_int.h"
#include "ike/ike_int.h"
#include "ikev2/ikev2_msg.h"
#include "ikev2/ikev2_wire.h"
#include "router.h"

static bool budget(struct ike2_glue *g)
{
	uint64_t now = ike2_now(g);
	if (now - g->bad_major_window >= 1000 || !g->bad_major_window) {
		g->bad_major_window = now ? now : 1;
		g->bad_major_in_window = 0;
	}
	if (g->bad_major_in_window >= IKE2_BAD_MAJOR_PER_SEC)
		return false;
	g->bad_major_in_window++;
	return true;
}

bool ike2_version_ok(struct ike2_glue *g, uint32_t local, uint16_t lport, uint32_t peer, uint16_t pport,
		     const uint8_t *data, size_t len)
{
	struct ikev2_hdr h, a;
	bool whole = ikev2_peek_hdr(data, len, &h);
	if (whole && h.version >> 4 == IKEV2_VERSION >> 4)
		return true;
	ike2_drop(g, &g->st.bad_major, peer, "unsupported IKE major version");
	/*
	 * Only a whole header of a request is answered (§1.5), and only on
	 * 500: on 4500 an answer would need the non-ESP marker, and a peer
	 * that floated to 4500 spoke IKEv2 there already.
	 */
	if (!whole || (h.flags & IKEV2_FLAG_RESPONSE) || lport != 500)
		return false;
	if (!budget(g)) {
		g->st.bad_major_limited++;
		return false;
	}
	memset(&a, 0, sizeof(a));
	memcpy(a.spi_i, h.spi_i, 8);
	memcpy(a.spi_r, h.spi_r, 8);
	a.exch = h.exch;
	a.flags = IKEV2_FLAG_RESPONSE;
	a.msgid = h.msgid;
	uint8_t buf[64], v = IKEV2_VERSION;
	struct ikev2_wr w;
	ikev2_wr_init(&w, buf, sizeof(buf), &a);
	ikev2_put_notify(&w, 0, NULL, 0, IKEV2_N_INVALID_MAJOR_VERSION, &v, 1);
	size_t n = ikev2_wr_finish(&w);
	if (!n || g->ike->xmit(g->ike->r, local, lport, peer, pport, buf, n) < 0)
		ike2_drop(g, &g->st.send_fail, peer, "INVALID_MAJOR_VERSION not sent");
	else
		g->st.bad_major_answered++;
	return false;
}
