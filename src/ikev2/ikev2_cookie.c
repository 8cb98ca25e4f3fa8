/*
 * COOKIE (RFC 7296 §2.6): under a flood of IKE_SA_INIT requests the
 * responder keeps no state for a request until the initiator proves it
 * receives at its address, by echoing
 *   cookie = <version> | HMAC-SHA-256(secret[version], Ni | IPi | SPIi).
 * The initiator sends its request again with the cookie first and every
 * other payload unchanged (so IKE_AUTH signs the request that was kept).
 */
#include "ikev2/ikev2_int.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "config/config.h"

#define COOKIE_LEN (1 + 32)

static bool keyed(struct ikev2_engine *e)
{
	if (!e->cookie_keyed) {
		if (RAND_bytes(e->cookie_secret[0], sizeof(e->cookie_secret[0])) != 1 ||
		    RAND_bytes(e->cookie_secret[1], sizeof(e->cookie_secret[1])) != 1)
			return false;
		e->cookie_keyed = true;
	}
	return true;
}

void ikev2_cookie_rotate(struct ikev2_engine *e)
{
	if (!keyed(e))
		return;
	e->cookie_version++;
	RAND_bytes(e->cookie_secret[e->cookie_version & 1], sizeof(e->cookie_secret[0]));
}

static int make(const struct ikev2_engine *e, uint8_t version, uint32_t peer, const uint8_t spi_i[8],
		const uint8_t *ni, size_t nilen, uint8_t out[COOKIE_LEN])
{
	uint8_t in[IKEV2_NONCE_MAX + 4 + 8];
	memcpy(in, ni, nilen);
	wbuf_st32(in + nilen, peer);
	memcpy(in + nilen + 4, spi_i, 8);
	out[0] = version;
	return prf(IKE_HASH_SHA256, e->cookie_secret[version & 1], sizeof(e->cookie_secret[0]), in, nilen + 12,
		   out + 1);
}

static size_t half_open(const struct ikev2_engine *e)
{
	size_t n = 0;
	for (const struct ikev2_sa *s = e->sas; s; s = s->next)
		n += s->state == IKEV2_S_R_INIT_SENT;
	return n;
}

static bool valid(const struct ikev2_engine *e, uint32_t peer, const struct ikev2_msg *m, const uint8_t *ni,
		  size_t nilen)
{
	const struct ikev2_pl *pl = ikev2_find_notify(m, IKEV2_N_COOKIE);
	struct ikev2_notify n;
	uint8_t want[COOKIE_LEN];
	if (!pl || ikev2_parse_notify(pl, &n) != 0 || n.len != COOKIE_LEN)
		return false;
	/* The current secret, or the one before it (a cookie made just before a rotation). */
	uint8_t v = n.data[0];
	if (v != e->cookie_version && (uint8_t)(v + 1) != e->cookie_version)
		return false;
	bool ok = make(e, v, peer, m->h.spi_i, ni, nilen, want) == 0 && CRYPTO_memcmp(want, n.data, COOKIE_LEN) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	return ok;
}

bool ikev2_cookie_check(struct ikev2_engine *e, uint32_t local, uint32_t peer, const struct ikev2_msg *m,
			const uint8_t *ni, size_t nilen)
{
	if (!e->cookie_threshold || half_open(e) < e->cookie_threshold)
		return true;
	if (!keyed(e))
		return false;
	if (valid(e, peer, m, ni, nilen)) {
		e->st.cookie_ok++;
		return true;
	}
	if (ikev2_find_notify(m, IKEV2_N_COOKIE))
		e->st.cookie_bad++;
	else
		e->st.cookie_none++;
	uint8_t c[COOKIE_LEN], buf[128];
	struct ikev2_hdr h = { .exch = IKEV2_EXCH_IKE_SA_INIT, .flags = IKEV2_FLAG_RESPONSE };
	struct ikev2_wr w;
	memcpy(h.spi_i, m->h.spi_i, 8);
	if (make(e, e->cookie_version, peer, m->h.spi_i, ni, nilen, c) < 0)
		return false;
	ikev2_wr_init(&w, buf, sizeof(buf), &h);
	ikev2_put_notify(&w, 0, NULL, 0, IKEV2_N_COOKIE, c, sizeof(c));
	size_t n = ikev2_wr_finish(&w);
	if (n) {
		e->st.cookie_sent++;
		e->st.tx++;
		ikev2_xmit(e, NULL, local, peer, true, buf, n);
	}
	return false;
}

bool ikev2_cookie_take(struct ikev2_sa *sa, const struct ikev2_msg *m, bool *resend)
{
	const struct ikev2_pl *pl = ikev2_find_notify(m, IKEV2_N_COOKIE);
	struct ikev2_notify n;
	*resend = false;
	if (!pl)
		return false;
	/* Unauthenticated: followed a few times, then only the retransmission timer decides. */
	if (ikev2_parse_notify(pl, &n) != 0 || n.len < 1 || n.len > IKEV2_COOKIE_MAX ||
	    sa->cookie_tries >= IKEV2_COOKIE_TRIES) {
		sa->eng->st.peer_error++;
		return true;
	}
	sa->cookie_tries++;
	sa->eng->st.cookie_rx++;
	memcpy(sa->cookie, n.data, n.len);
	sa->cookie_len = n.len;
	*resend = true;
	return true;
}
