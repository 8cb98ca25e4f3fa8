/* One SA's keyed contexts, and a bundle's outbound transform chain. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/qsbr.h"
#include "core/wbuf.h"
#include "ipsec/ipsec_int.h"
#include "router.h"

static int need_legacy(struct ipsec_state *st, const struct xf_alg *a)
{
	struct router *r = st->r;
	if (!a->legacy)
		return 0;
	if (crypto_legacy_load(&st->legacy) < 0) {
		log_msg(&r->log, "CRYPTO", SEV_ERR, "LEGACY_PROVIDER",
			"%s needs OpenSSL's legacy provider, which could not be loaded; "
			"SA refused", a->name);
		return -1;
	}
	if (a->weak && !st->des_warned) {
		st->des_warned = true;
		log_msg(&r->log, "CRYPTO", SEV_WARNING, "DES_WEAK",
			"%s is in use: single DES is broken (56-bit key, exhaustively "
			"searchable); use esp-aes or esp-gcm", a->name);
	}
	return 0;
}

int ipsec_sa_cx_init(const struct ipsec_sa *sa, struct ipsec_sa_cx *cx, const struct sadb_sa_keys *k)
{
	memset(cx, 0, sizeof(*cx));
	if (sa->has_cipher) {
		size_t kl = sa->enc->key_len - (sa->enc->aead ? 4 : 0);
		if (crypto_cipher_init(&cx->cipher, sa->enc->ossl, k->enc_key, kl, !sa->inbound) < 0)
			return -1;
	}
	if (sa->has_integ && crypto_integ_init(&cx->integ, sa->auth->ossl, k->auth_key,
					       k->auth_key_len, sa->auth->icv_len) < 0) {
		if (sa->has_cipher)
			crypto_cipher_free(&cx->cipher);
		return -1;
	}
	return 0;
}

void ipsec_sa_cx_free(const struct ipsec_sa *sa, struct ipsec_sa_cx *cx)
{
	if (sa->has_cipher)
		crypto_cipher_free(&cx->cipher);
	if (sa->has_integ)
		crypto_integ_free(&cx->integ);
	OPENSSL_cleanse(cx->ivpool, sizeof(cx->ivpool));
	memset(cx, 0, sizeof(*cx));
}

/* Workers build their own contexts (EVP ones are not shareable) from a copy of the keys. */
static int keep_keys_for_workers(struct ipsec_state *st, struct ipsec_sa *sa,
				 const struct sadb_sa_keys *k)
{
	if (st->r->workers <= 1 || sa->proto != IPPROTO_ESP_)
		return 0;
	sa->keys = malloc(sizeof(*sa->keys));
	sa->wk = calloc(QSBR_SLOTS, sizeof(*sa->wk));
	if (!sa->keys || !sa->wk)
		return -1;
	*sa->keys = *k;
	for (int i = 0; i < QSBR_SLOTS; i++)
		atomic_init(&sa->wk[i], NULL);
	if (!sa->inbound) {
		if (pthread_mutex_init(&sa->txlock, NULL) != 0)
			return -1;
		sa->has_txlock = true;
	}
	return 0;
}

int ipsec_sa_setup(struct ipsec_state *st, struct ipsec_sa *sa, uint8_t proto, bool inbound,
		   const struct cfg_transform_set *xf, const struct sadb_sa_keys *k,
		   uint32_t replay_window)
{
	memset(sa, 0, sizeof(*sa));
	sa->proto = proto;
	sa->inbound = inbound;
	sa->spi = k->spi;
	if (proto == IPPROTO_AH_) {
		sa->auth = xf_ah(xf->ah);
		if (!sa->auth)
			return -1;
	} else {
		sa->enc = xf_esp_enc(xf->esp_enc, xf->esp_keybits);
		sa->auth = xf_esp_auth(xf->esp_auth);
		if (!sa->enc && !sa->auth)
			return -1;
	}
	if (sa->enc && sa->enc->ossl) {
		size_t kl = sa->enc->key_len - (sa->enc->aead ? 4 : 0);
		if (k->enc_key_len != sa->enc->key_len || need_legacy(st, sa->enc) < 0)
			goto fail;
		sa->has_cipher = true;
		if (sa->enc->aead)
			memcpy(sa->salt, k->enc_key + kl, 4);
	}
	if (sa->auth) {
		if (k->auth_key_len != sa->auth->key_len)
			goto fail;
		sa->has_integ = true;
	}
	if (ipsec_sa_cx_init(sa, &sa->cx, k) < 0) {
		sa->has_cipher = sa->has_integ = false;
		goto fail;
	}
	if (keep_keys_for_workers(st, sa, k) < 0)
		goto fail;
	replay_init(&sa->rw, replay_window ? replay_window : REPLAY_WINDOW_DEFAULT);
	sa->used = true;
	return 0;
fail:
	ipsec_sa_clear(sa);
	return -1;
}

void ipsec_sa_clear(struct ipsec_sa *sa)
{
	if (sa->wk) {
		for (int i = 0; i < QSBR_SLOTS; i++) {
			struct ipsec_sa_wk *w = atomic_load(&sa->wk[i]);
			if (!w)
				continue;
			if (w->ok)
				ipsec_sa_cx_free(sa, &w->cx);
			free(w);
		}
		free(sa->wk);
	}
	if (sa->has_txlock)
		pthread_mutex_destroy(&sa->txlock);
	if (sa->keys) {
		OPENSSL_cleanse(sa->keys, sizeof(*sa->keys));
		free(sa->keys);
	}
	ipsec_sa_cx_free(sa, &sa->cx);
	OPENSSL_cleanse(sa->salt, sizeof(sa->salt));
	memset(sa, 0, sizeof(*sa));
}

enum ipsec_drop ipsec_encap_bundle(struct ipsec_bundle *b, struct pkt *p, uint16_t ip_id)
{
	const struct sadb_bundle_spec *s = &b->spec;
	enum ipsec_drop d;
	if (p->len < IP_HLEN)
		return DROP_INVALID_LEN;
	/* RFC 4301 §5.1.2.1: DSCP/ECN and DF come from the inner header. */
	uint8_t tos = p->data[1];
	bool df = p->data[6] & 0x40;

	if (s->has_esp && (d = esp_encap(&b->esp_out, p)) != DROP_NONE)
		return d;
	if (s->udp_encap) {
		uint8_t *u = pkt_push(p, UDP_HLEN);
		if (!u)
			return DROP_NO_ROOM;
		wbuf_st16(u, UDP_PORT_IKE_NATT);
		wbuf_st16(u + 2, s->peer_port ? s->peer_port : UDP_PORT_IKE_NATT);
		wbuf_st16(u + 4, (uint16_t)p->len);
		wbuf_st16(u + 6, 0);	/* RFC 3948 §2.1: zero checksum */
	}
	if (s->has_ah)
		return ah_encap(&b->ah_out, p, s->has_esp ? IPPROTO_ESP_ : 4, s->local_addr,
				s->peer_addr, tos, df, ip_id);
	if (p->len + IP_HLEN > PKT_MAX_IP)
		return DROP_INVALID_LEN;
	uint8_t *ip = pkt_push(p, IP_HLEN);
	if (!ip)
		return DROP_NO_ROOM;
	ipsec_ip_header(ip, p->len, tos, df, ip_id, OUTER_TTL, s->udp_encap ? 17 : IPPROTO_ESP_,
			s->local_addr, s->peer_addr);
	return DROP_NONE;
}

size_t ipsec_max_inner(size_t overhead_fixed, size_t esp_block, uint32_t mtu)
{
	if (mtu <= overhead_fixed + 2 + 68)
		return 68;
	size_t room = mtu - overhead_fixed;
	if (!esp_block)
		return room;
	return room / esp_block * esp_block - 2;
}

size_t ipsec_bundle_max_inner(const struct ipsec_bundle *b, uint32_t mtu)
{
	return ipsec_max_inner(b->overhead_fixed, b->esp_block, mtu);
}
