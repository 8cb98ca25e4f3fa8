#include "crypto/dh.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

struct dh {
	int group;
	EVP_PKEY *key;
};

struct group_info {
	int group;
	bool ecp;
	size_t len;		/* public value bytes (ECP: x||y) */
	const char *name;	/* OpenSSL group name; NULL for MODP built from p */
	BIGNUM *(*prime)(BIGNUM *);
	const char *desc;
};

/*
 * Groups 1 and 2 (RFC 2409) are not OpenSSL named groups; their primes come
 * from OpenSSL's RFC 2409 constants, generator 2.
 */
static const struct group_info groups[] = {
	{ 1, false, 96, NULL, BN_get_rfc2409_prime_768, "768 bit" },
	{ 2, false, 128, NULL, BN_get_rfc2409_prime_1024, "1024 bit" },
	{ 5, false, 192, "modp_1536", BN_get_rfc3526_prime_1536, "1536 bit" },
	{ 14, false, 256, "modp_2048", BN_get_rfc3526_prime_2048, "2048 bit" },
	{ 15, false, 384, "modp_3072", BN_get_rfc3526_prime_3072, "3072 bit" },
	{ 16, false, 512, "modp_4096", BN_get_rfc3526_prime_4096, "4096 bit" },
	{ 19, true, 64, "P-256", NULL, "256 bit ECP" },
	{ 20, true, 96, "P-384", NULL, "384 bit ECP" },
	{ 21, true, 132, "P-521", NULL, "521 bit ECP" },
	{ 24, false, 256, "dh_2048_256", NULL, "2048 bit, 256 bit subgroup" },
};

static const struct group_info *ginfo(int group)
{
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (groups[i].group == group)
			return &groups[i];
	return NULL;
}

bool dh_supported(int group) { return ginfo(group) != NULL; }

size_t dh_pub_len(int group)
{
	const struct group_info *g = ginfo(group);
	return g ? g->len : 0;
}

size_t dh_secret_len(int group)
{
	const struct group_info *g = ginfo(group);
	if (!g)
		return 0;
	return g->ecp ? g->len / 2 : g->len;
}

const char *dh_group_desc(int group)
{
	const struct group_info *g = ginfo(group);
	return g ? g->desc : "unknown";
}

int dh_group(const struct dh *d) { return d->group; }

/* Domain parameters for a MODP group, as OSSL_PARAMs pushed on bld. */
static bool push_domain(OSSL_PARAM_BLD *bld, const struct group_info *g, BIGNUM **pp, BIGNUM **gg)
{
	if (g->ecp)
		return OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, g->name, 0);
	if (g->name)
		return OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, g->name, 0);
	*pp = g->prime(NULL);
	*gg = BN_new();
	if (!*pp || !*gg || !BN_set_word(*gg, 2))
		return false;
	return OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_P, *pp) &&
	       OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_G, *gg);
}

/*
 * Builds a key from wire values: pub (wire form) and/or priv (big-endian).
 * selection: EVP_PKEY_PUBLIC_KEY, EVP_PKEY_KEYPAIR or EVP_PKEY_KEY_PARAMETERS.
 */
static EVP_PKEY *build_key(const struct group_info *g, const uint8_t *priv, size_t privlen,
			   const uint8_t *pub, size_t publen, int selection)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	BIGNUM *p = NULL, *gen = NULL, *bpriv = NULL, *bpub = NULL;
	uint8_t ecpub[1 + DH_MAX_PUB];
	EVP_PKEY *key = NULL;
	EVP_PKEY_CTX *ctx = NULL;

	if (!bld || !push_domain(bld, g, &p, &gen))
		goto out;
	if (pub) {
		if (publen != g->len)
			goto out;
		if (g->ecp) {
			ecpub[0] = 0x04;	/* uncompressed point: IKE sends x || y */
			memcpy(ecpub + 1, pub, publen);
			if (!OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, ecpub,
							      publen + 1))
				goto out;
		} else {
			bpub = BN_bin2bn(pub, (int)publen, NULL);
			if (!bpub || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, bpub))
				goto out;
		}
	}
	if (priv) {
		bpriv = BN_secure_new();
		if (!bpriv || !BN_bin2bn(priv, (int)privlen, bpriv) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bpriv))
			goto out;
	}
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, g->ecp ? "EC" : "DH", NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &key, selection, params) <= 0)
		key = NULL;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(p);
	BN_free(gen);
	BN_free(bpub);
	BN_clear_free(bpriv);
	return key;
}

/* Takes ownership of key (NULL passes through as a failure). */
static struct dh *wrap(int group, EVP_PKEY *key)
{
	if (!key)
		return NULL;
	struct dh *d = calloc(1, sizeof(*d));
	if (!d) {
		EVP_PKEY_free(key);
		return NULL;
	}
	d->group = group;
	d->key = key;
	return d;
}

struct dh *dh_new(int group)
{
	const struct group_info *g = ginfo(group);
	if (!g)
		return NULL;
	EVP_PKEY *params = NULL, *key = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	if (g->ecp) {
		key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", g->name);
	} else {
		params = build_key(g, NULL, 0, NULL, 0, EVP_PKEY_KEY_PARAMETERS);
		ctx = params ? EVP_PKEY_CTX_new_from_pkey(NULL, params, NULL) : NULL;
		if (!ctx || EVP_PKEY_keygen_init(ctx) <= 0 || EVP_PKEY_keygen(ctx, &key) <= 0)
			key = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(params);
	return wrap(group, key);
}

struct dh *dh_new_priv(int group, const uint8_t *priv, size_t privlen, const uint8_t *pub,
		       size_t publen)
{
	const struct group_info *g = ginfo(group);
	if (!g)
		return NULL;
	EVP_PKEY *key = build_key(g, priv, privlen, pub, publen, EVP_PKEY_KEYPAIR);
	return wrap(group, key);
}

void dh_free(struct dh *d)
{
	if (!d)
		return;
	EVP_PKEY_free(d->key);	/* OpenSSL clears private key material */
	free(d);
}

int dh_public(const struct dh *d, uint8_t *out, size_t cap)
{
	const struct group_info *g = ginfo(d->group);
	if (!g || cap < g->len)
		return -1;
	if (g->ecp) {
		uint8_t buf[1 + DH_MAX_PUB];
		size_t n = 0;
		if (!EVP_PKEY_get_octet_string_param(d->key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
						     buf, sizeof(buf), &n) ||
		    n != g->len + 1 || buf[0] != 0x04)
			return -1;
		memcpy(out, buf + 1, g->len);
		return (int)g->len;
	}
	BIGNUM *y = NULL;
	if (!EVP_PKEY_get_bn_param(d->key, OSSL_PKEY_PARAM_PUB_KEY, &y))
		return -1;
	int rc = BN_bn2binpad(y, out, (int)g->len);
	BN_free(y);
	return rc == (int)g->len ? rc : -1;
}

int dh_derive(const struct dh *d, const uint8_t *peer, size_t peerlen, uint8_t *out, size_t cap)
{
	const struct group_info *g = ginfo(d->group);
	size_t slen = dh_secret_len(d->group);
	if (!g || cap < slen || peerlen != g->len)
		return -1;
	if (!g->ecp) {
		/* 1 < y < p-1: the degenerate values leak or fix the secret. */
		uint8_t one[DH_MAX_PUB] = { 0 };
		uint8_t p[DH_MAX_PUB];
		one[peerlen - 1] = 1;
		if (memcmp(peer, one, peerlen) <= 0)
			return -1;
		if (dh_prime(d->group, p, sizeof(p)) == (int)peerlen) {
			p[peerlen - 1]--;	/* p is odd: p-1 just clears the low bit */
			if (memcmp(peer, p, peerlen) >= 0)
				return -1;
		}
	}
	EVP_PKEY *pk = build_key(g, NULL, 0, peer, peerlen, EVP_PKEY_PUBLIC_KEY);
	if (!pk)
		return -1;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, d->key, NULL);
	uint8_t buf[DH_MAX_PUB];
	size_t n = sizeof(buf);
	int rc = -1;
	if (ctx && EVP_PKEY_derive_init(ctx) > 0 && EVP_PKEY_derive_set_peer_ex(ctx, pk, 1) > 0 &&
	    EVP_PKEY_derive(ctx, buf, &n) > 0 && n <= slen) {
		/* OpenSSL strips leading zeros of a DH secret; IKE keeps them. */
		memset(out, 0, slen - n);
		memcpy(out + slen - n, buf, n);
		rc = (int)slen;
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	return rc;
}

int dh_prime(int group, uint8_t *out, size_t cap)
{
	const struct group_info *g = ginfo(group);
	if (!g || g->ecp || cap < g->len)
		return -1;
	BIGNUM *p = NULL;
	if (!g->name) {
		p = g->prime(NULL);
	} else {
		/* The prime of the named group OpenSSL really uses, not a copy. */
		EVP_PKEY *k = build_key(g, NULL, 0, NULL, 0, EVP_PKEY_KEY_PARAMETERS);
		if (k)
			EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_FFC_P, &p);
		EVP_PKEY_free(k);
	}
	if (!p)
		return -1;
	int rc = BN_bn2binpad(p, out, (int)g->len);
	BN_free(p);
	return rc;
}
