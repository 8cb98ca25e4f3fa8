#include "crypto/cipher.h"

#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

int crypto_cipher_init(struct crypto_cipher *c, const char *ossl_name, const uint8_t *key,
		       size_t key_len, bool encrypt)
{
	memset(c, 0, sizeof(*c));
	c->alg = EVP_CIPHER_fetch(NULL, ossl_name, NULL);
	if (!c->alg)
		return -1;
	c->mode = EVP_CIPHER_get_mode(c->alg) == EVP_CIPH_GCM_MODE ? CRYPTO_GCM : CRYPTO_CBC;
	if (c->mode == CRYPTO_CBC && EVP_CIPHER_get_mode(c->alg) != EVP_CIPH_CBC_MODE)
		goto fail;
	c->key_len = (size_t)EVP_CIPHER_get_key_length(c->alg);
	c->iv_len = (size_t)EVP_CIPHER_get_iv_length(c->alg);
	c->block = (size_t)EVP_CIPHER_get_block_size(c->alg);
	c->encrypt = encrypt;
	if (key_len != c->key_len)
		goto fail;
	c->ctx = EVP_CIPHER_CTX_new();
	if (!c->ctx)
		goto fail;
	if (!EVP_CipherInit_ex2(c->ctx, c->alg, key, NULL, encrypt ? 1 : 0, NULL))
		goto fail;
	if (c->mode == CRYPTO_CBC)
		EVP_CIPHER_CTX_set_padding(c->ctx, 0);
	return 0;
fail:
	crypto_cipher_free(c);
	return -1;
}

void crypto_cipher_free(struct crypto_cipher *c)
{
	/* EVP_CIPHER_CTX_free cleanses the expanded key schedule. */
	EVP_CIPHER_CTX_free(c->ctx);
	EVP_CIPHER_free(c->alg);
	memset(c, 0, sizeof(*c));
}

int crypto_cbc(struct crypto_cipher *c, const uint8_t *iv, const uint8_t *in, uint8_t *out,
	       size_t len)
{
	int outl = 0;
	if (c->mode != CRYPTO_CBC || len % c->block || len > INT_MAX)
		return -1;
	if (!EVP_CipherInit_ex2(c->ctx, NULL, NULL, iv, -1, NULL))
		return -1;
	if (!EVP_CipherUpdate(c->ctx, out, &outl, in, (int)len) || (size_t)outl != len)
		return -1;
	return 0;
}

static int gcm_begin(struct crypto_cipher *c, const uint8_t *nonce, const uint8_t *aad,
		     size_t aad_len)
{
	int outl = 0;
	if (c->mode != CRYPTO_GCM || aad_len > INT_MAX)
		return -1;
	if (!EVP_CipherInit_ex2(c->ctx, NULL, NULL, nonce, -1, NULL))
		return -1;
	if (aad_len && !EVP_CipherUpdate(c->ctx, NULL, &outl, aad, (int)aad_len))
		return -1;
	return 0;
}

int crypto_gcm_seal(struct crypto_cipher *c, const uint8_t *nonce, const uint8_t *aad,
		    size_t aad_len, const uint8_t *in, uint8_t *out, size_t len, uint8_t *tag,
		    size_t tag_len)
{
	int outl = 0, finl = 0;
	if (!c->encrypt || len > INT_MAX || gcm_begin(c, nonce, aad, aad_len) < 0)
		return -1;
	if (len && !EVP_CipherUpdate(c->ctx, out, &outl, in, (int)len))
		return -1;
	if (!EVP_CipherFinal_ex(c->ctx, out + outl, &finl))
		return -1;
	if (!EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_AEAD_GET_TAG, (int)tag_len, tag))
		return -1;
	return 0;
}

int crypto_gcm_open(struct crypto_cipher *c, const uint8_t *nonce, const uint8_t *aad,
		    size_t aad_len, const uint8_t *in, uint8_t *out, size_t len,
		    const uint8_t *tag, size_t tag_len)
{
	int outl = 0, finl = 0;
	if (c->encrypt || len > INT_MAX || gcm_begin(c, nonce, aad, aad_len) < 0)
		return -1;
	if (len && !EVP_CipherUpdate(c->ctx, out, &outl, in, (int)len))
		return -1;
	if (!EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_AEAD_SET_TAG, (int)tag_len, (void *)tag))
		return -1;
	if (!EVP_CipherFinal_ex(c->ctx, out + outl, &finl))
		return -1;
	return 0;
}

int crypto_legacy_load(struct crypto_legacy *l)
{
	if (l->legacy)
		return 0;
	l->deflt = OSSL_PROVIDER_load(NULL, "default");
	l->legacy = OSSL_PROVIDER_load(NULL, "legacy");
	if (!l->legacy) {
		crypto_legacy_unload(l);
		return -1;
	}
	return 0;
}

void crypto_legacy_unload(struct crypto_legacy *l)
{
	if (l->legacy)
		OSSL_PROVIDER_unload(l->legacy);
	if (l->deflt)
		OSSL_PROVIDER_unload(l->deflt);
	l->legacy = l->deflt = NULL;
}
