#include "crypto/integ.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

int crypto_integ_init(struct crypto_integ *m, const char *digest, const uint8_t *key,
		      size_t key_len, size_t icv_len)
{
	OSSL_PARAM params[2];
	memset(m, 0, sizeof(*m));
	m->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!m->mac)
		return -1;
	m->ctx = EVP_MAC_CTX_new(m->mac);
	if (!m->ctx)
		goto fail;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(m->ctx, key, key_len, params))
		goto fail;
	m->out_len = EVP_MAC_CTX_get_mac_size(m->ctx);
	m->icv_len = icv_len;
	if (m->out_len == 0 || m->out_len > CRYPTO_MAC_MAX || icv_len == 0 || icv_len > m->out_len)
		goto fail;
	return 0;
fail:
	crypto_integ_free(m);
	return -1;
}

void crypto_integ_free(struct crypto_integ *m)
{
	/* EVP_MAC_CTX_free cleanses HMAC's key pads. */
	EVP_MAC_CTX_free(m->ctx);
	EVP_MAC_free(m->mac);
	memset(m, 0, sizeof(*m));
}

int crypto_integ_begin(struct crypto_integ *m)
{
	return EVP_MAC_init(m->ctx, NULL, 0, NULL) ? 0 : -1;
}

int crypto_integ_update(struct crypto_integ *m, const uint8_t *p, size_t n)
{
	return EVP_MAC_update(m->ctx, p, n) ? 0 : -1;
}

int crypto_integ_final(struct crypto_integ *m, uint8_t *icv)
{
	uint8_t full[CRYPTO_MAC_MAX];
	size_t outl = 0;
	if (!EVP_MAC_final(m->ctx, full, &outl, sizeof(full)) || outl != m->out_len)
		return -1;
	memcpy(icv, full, m->icv_len);
	return 0;
}

int crypto_integ_verify(struct crypto_integ *m, const uint8_t *icv)
{
	uint8_t mine[CRYPTO_MAC_MAX];
	if (crypto_integ_final(m, mine) < 0)
		return -1;
	return CRYPTO_memcmp(mine, icv, m->icv_len) == 0 ? 0 : -1;
}

int crypto_integ_oneshot(struct crypto_integ *m, const uint8_t *p, size_t n, uint8_t *icv)
{
	if (crypto_integ_begin(m) < 0 || crypto_integ_update(m, p, n) < 0)
		return -1;
	return crypto_integ_final(m, icv);
}
