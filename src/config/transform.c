#include "config/transform.h"

#include <stdio.h>
#include <string.h>

#define ENC XF_KIND_ESP_ENC
#define AUTH XF_KIND_ESP_AUTH
#define AH XF_KIND_AH
#define V2E IKEV2_XF_ENCR
#define V2I IKEV2_XF_INTEG

static const struct xf_alg table[] = {
	/* name          cfg_name     kind id              bits ossl            key iv blk icv aead  legacy weak  ike_id              ike_auth  v2 type  v2 id                         manual */
	{ "esp-des",     "esp-des",   ENC, XF_ENC_DES,     0,   "DES-CBC",      8,  8, 8,  0,  false, true,  true,  IKE_ESP_DES,        0, V2E, IKEV2_ENCR_DES,        true },
	{ "esp-3des",    "esp-3des",  ENC, XF_ENC_3DES,    0,   "DES-EDE3-CBC", 24, 8, 8,  0,  false, false, false, IKE_ESP_3DES,       0, V2E, IKEV2_ENCR_3DES,       true },
	{ "esp-aes",     "esp-aes",   ENC, XF_ENC_AES,     128, "AES-128-CBC",  16, 16, 16, 0, false, false, false, IKE_ESP_AES,        0, V2E, IKEV2_ENCR_AES_CBC,    true },
	{ "esp-192-aes", "esp-aes",   ENC, XF_ENC_AES,     192, "AES-192-CBC",  24, 16, 16, 0, false, false, false, IKE_ESP_AES,        0, V2E, IKEV2_ENCR_AES_CBC,    true },
	{ "esp-256-aes", "esp-aes",   ENC, XF_ENC_AES,     256, "AES-256-CBC",  32, 16, 16, 0, false, false, false, IKE_ESP_AES,        0, V2E, IKEV2_ENCR_AES_CBC,    true },
	/* RFC 4106: the key material carries a 4-byte salt after the key; the nonce is the counter. */
	{ "esp-gcm",     "esp-gcm",   ENC, XF_ENC_GCM,     128, "AES-128-GCM",  20, 8, 4,  16, true,  false, false, IKE_ESP_AES_GCM_16, 0, V2E, IKEV2_ENCR_AES_GCM_16, false },
	{ "esp-192-gcm", "esp-gcm",   ENC, XF_ENC_GCM,     192, "AES-192-GCM",  28, 8, 4,  16, true,  false, false, IKE_ESP_AES_GCM_16, 0, V2E, IKEV2_ENCR_AES_GCM_16, false },
	{ "esp-256-gcm", "esp-gcm",   ENC, XF_ENC_GCM,     256, "AES-256-GCM",  36, 8, 4,  16, true,  false, false, IKE_ESP_AES_GCM_16, 0, V2E, IKEV2_ENCR_AES_GCM_16, false },
	{ "esp-null",    "esp-null",  ENC, XF_ENC_NULL,    0,   NULL,           0,  0, 4,  0,  false, false, false, IKE_ESP_NULL,       0, V2E, IKEV2_ENCR_NULL,       true },
	/* RFC 2403/2404: 96-bit ICVs; RFC 4868: half the hash. */
	{ "esp-md5-hmac",    "esp-md5-hmac",    AUTH, XF_AUTH_MD5,    0, "MD5",      16, 0, 0, 12, false, false, false, 0, IKE_AUTH_HMAC_MD5,      V2I, IKEV2_AUTH_HMAC_MD5_96,       true },
	{ "esp-sha-hmac",    "esp-sha-hmac",    AUTH, XF_AUTH_SHA1,   0, "SHA1",     20, 0, 0, 12, false, false, false, 0, IKE_AUTH_HMAC_SHA,      V2I, IKEV2_AUTH_HMAC_SHA1_96,      true },
	{ "esp-sha256-hmac", "esp-sha256-hmac", AUTH, XF_AUTH_SHA256, 0, "SHA2-256", 32, 0, 0, 16, false, false, false, 0, IKE_AUTH_HMAC_SHA2_256, V2I, IKEV2_AUTH_HMAC_SHA2_256_128, true },
	{ "esp-sha384-hmac", "esp-sha384-hmac", AUTH, XF_AUTH_SHA384, 0, "SHA2-384", 48, 0, 0, 24, false, false, false, 0, IKE_AUTH_HMAC_SHA2_384, V2I, IKEV2_AUTH_HMAC_SHA2_384_192, true },
	{ "esp-sha512-hmac", "esp-sha512-hmac", AUTH, XF_AUTH_SHA512, 0, "SHA2-512", 64, 0, 0, 32, false, false, false, 0, IKE_AUTH_HMAC_SHA2_512, V2I, IKEV2_AUTH_HMAC_SHA2_512_256, true },
	{ "ah-md5-hmac",     "ah-md5-hmac",     AH, XF_AH_MD5,    0, "MD5",      16, 0, 0, 12, false, false, false, IKE_AH_MD5,      IKE_AUTH_HMAC_MD5,      V2I, IKEV2_AUTH_HMAC_MD5_96,       true },
	{ "ah-sha-hmac",     "ah-sha-hmac",     AH, XF_AH_SHA1,   0, "SHA1",     20, 0, 0, 12, false, false, false, IKE_AH_SHA,      IKE_AUTH_HMAC_SHA,      V2I, IKEV2_AUTH_HMAC_SHA1_96,      true },
	{ "ah-sha256-hmac",  "ah-sha256-hmac",  AH, XF_AH_SHA256, 0, "SHA2-256", 32, 0, 0, 16, false, false, false, IKE_AH_SHA2_256, IKE_AUTH_HMAC_SHA2_256, V2I, IKEV2_AUTH_HMAC_SHA2_256_128, true },
	{ "ah-sha384-hmac",  "ah-sha384-hmac",  AH, XF_AH_SHA384, 0, "SHA2-384", 48, 0, 0, 24, false, false, false, IKE_AH_SHA2_384, IKE_AUTH_HMAC_SHA2_384, V2I, IKEV2_AUTH_HMAC_SHA2_384_192, true },
	{ "ah-sha512-hmac",  "ah-sha512-hmac",  AH, XF_AH_SHA512, 0, "SHA2-512", 64, 0, 0, 32, false, false, false, IKE_AH_SHA2_512, IKE_AUTH_HMAC_SHA2_512, V2I, IKEV2_AUTH_HMAC_SHA2_512_256, true },
};

#define NTABLE (sizeof(table) / sizeof(table[0]))

const struct xf_alg *xf_table(size_t *n)
{
	*n = NTABLE;
	return table;
}

static const struct xf_alg *find(enum xf_kind kind, int id, uint16_t keybits)
{
	for (size_t i = 0; i < NTABLE; i++) {
		const struct xf_alg *a = &table[i];
		if (a->kind != kind || a->id != id)
			continue;
		if (a->keybits && a->keybits != (keybits ? keybits : 128))
			continue;
		return a;
	}
	return NULL;
}

const struct xf_alg *xf_esp_enc(enum cfg_xf_enc enc, uint16_t keybits)
{
	return enc == XF_ENC_NONE ? NULL : find(ENC, (int)enc, keybits);
}

const struct xf_alg *xf_esp_auth(enum cfg_xf_auth auth)
{
	return auth == XF_AUTH_NONE ? NULL : find(AUTH, (int)auth, 0);
}

const struct xf_alg *xf_ah(enum cfg_xf_ah ah)
{
	return ah == XF_AH_NONE ? NULL : find(AH, (int)ah, 0);
}

const struct xf_alg *xf_by_name(const char *cfg_name, uint16_t keybits)
{
	for (size_t i = 0; i < NTABLE; i++) {
		const struct xf_alg *a = &table[i];
		if (strcmp(a->cfg_name, cfg_name) != 0)
			continue;
		if (a->keybits && a->keybits != (keybits ? keybits : 128))
			continue;
		return a;
	}
	return NULL;
}

const struct xf_alg *xf_by_ike_esp(uint8_t transform_id, uint16_t keybits)
{
	for (size_t i = 0; i < NTABLE; i++) {
		const struct xf_alg *a = &table[i];
		if (a->kind != ENC || a->ike_id != transform_id)
			continue;
		/* RFC 3602/4106: the Key Length attribute is mandatory for AES. */
		if (a->keybits ? a->keybits != keybits : keybits != 0)
			continue;
		return a;
	}
	return NULL;
}

const struct xf_alg *xf_by_ikev2(uint8_t type, uint16_t id, uint16_t keybits)
{
	for (size_t i = 0; i < NTABLE; i++) {
		const struct xf_alg *a = &table[i];
		/* AH rows repeat the ESP authenticators' INTEG IDs: ESP's come first. */
		if (a->ikev2_type != type || a->ikev2_id != id || (a->keybits ? a->keybits != keybits : keybits != 0))
			continue;
		return a;
	}
	return NULL;
}

const struct xf_alg *xf_by_ike_ah(uint8_t transform_id)
{
	for (size_t i = 0; i < NTABLE; i++)
		if (table[i].kind == AH && table[i].ike_id == transform_id)
			return &table[i];
	return NULL;
}

const struct xf_alg *xf_by_ike_auth(uint16_t auth_attr)
{
	for (size_t i = 0; i < NTABLE; i++)
		if (table[i].kind == AUTH && table[i].ike_auth == auth_attr)
			return &table[i];
	return NULL;
}

int xf_validate(const struct cfg_transform_set *ts, const char **why)
{
	const char *w = NULL;
	const struct xf_alg *enc = xf_esp_enc(ts->esp_enc, ts->esp_keybits);
	if (ts->ah != XF_AH_NONE && !xf_ah(ts->ah))
		w = "unknown AH transform";
	else if (ts->esp_enc != XF_ENC_NONE && !enc)
		w = "unknown ESP cipher or key size";
	else if (ts->esp_auth != XF_AUTH_NONE && !xf_esp_auth(ts->esp_auth))
		w = "unknown ESP authenticator";
	else if (ts->ah == XF_AH_NONE && ts->esp_enc == XF_ENC_NONE && ts->esp_auth == XF_AUTH_NONE)
		w = "empty transform set";
	else if (enc && enc->aead && ts->esp_auth != XF_AUTH_NONE)
		w = "esp-gcm carries its own integrity; no ESP authenticator allowed";
	else if (ts->esp_enc == XF_ENC_NULL && ts->esp_auth == XF_AUTH_NONE)
		w = "esp-null needs an ESP authenticator";
	else if (ts->transport)
		w = "transport mode is not supported";
	if (why)
		*why = w;
	return w ? -1 : 0;
}

void xf_esp_text(const struct cfg_transform_set *ts, char *buf, size_t n)
{
	const struct xf_alg *e = xf_esp_enc(ts->esp_enc, ts->esp_keybits);
	const struct xf_alg *a = xf_esp_auth(ts->esp_auth);
	/* An authentication-only ESP (no cipher) shows only the authenticator. */
	snprintf(buf, n, "%s%s%s%s", e ? e->name : "", e ? " " : "", a ? a->name : "",
		 a ? " " : "");
}

void xf_ah_text(const struct cfg_transform_set *ts, char *buf, size_t n)
{
	const struct xf_alg *a = xf_ah(ts->ah);
	snprintf(buf, n, "%s%s", a ? a->name : "", a ? " " : "");
}

int xf_manual_check(const struct cfg_transform_set *ts, char *why, size_t n)
{
	const struct xf_alg *e = xf_esp_enc(ts->esp_enc, ts->esp_keybits);
	const struct xf_alg *a = xf_esp_auth(ts->esp_auth), *h = xf_ah(ts->ah);
	const struct xf_alg *bad = e && !e->manual_ok ? e : a && !a->manual_ok ? a :
				   h && !h->manual_ok ? h : NULL;
	if (!bad)
		return 0;
	if (why && n)
		snprintf(why, n, "%% %s cannot be used with manual keys: its nonce is the sequence number, "
		 "which restarts at 1 on every install (transform set %s); use ipsec-isakmp",
		 bad->cfg_name, ts->name);
	return -1;
}

const char *xf_ah_cfg_name(enum cfg_xf_ah ah)
{
	const struct xf_alg *a = xf_ah(ah);
	return a ? a->cfg_name : NULL;
}

const char *xf_enc_cfg_name(enum cfg_xf_enc enc)
{
	const struct xf_alg *a = xf_esp_enc(enc, 0);
	return a ? a->cfg_name : NULL;
}

const char *xf_auth_cfg_name(enum cfg_xf_auth auth)
{
	const struct xf_alg *a = xf_esp_auth(auth);
	return a ? a->cfg_name : NULL;
}

static int id_by_cfg_name(enum xf_kind kind, const char *w)
{
	for (size_t i = 0; i < NTABLE; i++)
		if (table[i].kind == kind && !strcmp(table[i].cfg_name, w))
			return table[i].id;
	return 0;
}

enum cfg_xf_ah xf_ah_by_cfg_name(const char *w) { return (enum cfg_xf_ah)id_by_cfg_name(AH, w); }
enum cfg_xf_enc xf_enc_by_cfg_name(const char *w) { return (enum cfg_xf_enc)id_by_cfg_name(ENC, w); }
enum cfg_xf_auth xf_auth_by_cfg_name(const char *w)
{
	return (enum cfg_xf_auth)id_by_cfg_name(AUTH, w);
}

size_t xf_enc_keylen(const struct cfg_transform_set *ts)
{
	const struct xf_alg *a = xf_esp_enc(ts->esp_enc, ts->esp_keybits);
	return a ? a->key_len : 0;
}

size_t xf_esp_auth_keylen(const struct cfg_transform_set *ts)
{
	const struct xf_alg *a = xf_esp_auth(ts->esp_auth);
	return a ? a->key_len : 0;
}

size_t xf_ah_keylen(const struct cfg_transform_set *ts)
{
	const struct xf_alg *a = xf_ah(ts->ah);
	return a ? a->key_len : 0;
}

uint8_t xf_ike_ah_id(const struct cfg_transform_set *ts)
{
	const struct xf_alg *a = xf_ah(ts->ah);
	return a ? a->ike_id : 0;
}

uint16_t xf_ike_ah_auth(const struct cfg_transform_set *ts)
{
	const struct xf_alg *a = xf_ah(ts->ah);
	return a ? a->ike_auth : 0;
}

uint8_t xf_ike_esp_id(const struct cfg_transform_set *ts)
{
	/* An authentication-only ESP is proposed as esp-null (RFC 2410). */
	const struct xf_alg *a = xf_esp_enc(ts->esp_enc == XF_ENC_NONE ? XF_ENC_NULL : ts->esp_enc,
					    ts->esp_keybits);
	return a ? a->ike_id : 0;
}

uint16_t xf_ike_esp_auth(const struct cfg_transform_set *ts)
{
	const struct xf_alg *a = xf_esp_auth(ts->esp_auth);
	return a ? a->ike_auth : 0;
}

uint16_t xf_ike_keybits(const struct cfg_transform_set *ts)
{
	const struct xf_alg *a = xf_esp_enc(ts->esp_enc, ts->esp_keybits);
	return a ? a->keybits : 0;
}

/* ---- crypto ikev2 proposal algorithms ---- */

#define V2P IKEV2_XF_PRF
#define V2D IKEV2_XF_DH

static const struct xf2_alg v2table[] = {
	/* type kw             show                              id                            bits aead */
	{ V2E, "aes-cbc-128",  "AES-CBC-128",                    IKEV2_ENCR_AES_CBC,           128, false },
	{ V2E, "aes-cbc-192",  "AES-CBC-192",                    IKEV2_ENCR_AES_CBC,           192, false },
	{ V2E, "aes-cbc-256",  "AES-CBC-256",                    IKEV2_ENCR_AES_CBC,           256, false },
	{ V2E, "aes-gcm-128",  "AES-GCM-128",                    IKEV2_ENCR_AES_GCM_16,        128, true },
	{ V2E, "aes-gcm-256",  "AES-GCM-256",                    IKEV2_ENCR_AES_GCM_16,        256, true },
	/* IOS shows HMAC-SHA1-96 as "SHA96" */
	{ V2I, "sha1",         "SHA96",                          IKEV2_AUTH_HMAC_SHA1_96,      0, false },
	{ V2I, "sha256",       "SHA256",                         IKEV2_AUTH_HMAC_SHA2_256_128, 0, false },
	{ V2I, "sha384",       "SHA384",                         IKEV2_AUTH_HMAC_SHA2_384_192, 0, false },
	{ V2I, "sha512",       "SHA512",                         IKEV2_AUTH_HMAC_SHA2_512_256, 0, false },
	{ V2P, "sha1",         "SHA1",                           IKEV2_PRF_HMAC_SHA1,          0, false },
	{ V2P, "sha256",       "SHA256",                         IKEV2_PRF_HMAC_SHA2_256,      0, false },
	{ V2P, "sha384",       "SHA384",                         IKEV2_PRF_HMAC_SHA2_384,      0, false },
	{ V2P, "sha512",       "SHA512",                         IKEV2_PRF_HMAC_SHA2_512,      0, false },
	{ V2D, "5",            "DH_GROUP_1536_MODP/Group 5",     5,                            0, false },
	{ V2D, "14",           "DH_GROUP_2048_MODP/Group 14",    14,                           0, false },
	{ V2D, "15",           "DH_GROUP_3072_MODP/Group 15",    15,                           0, false },
	{ V2D, "16",           "DH_GROUP_4096_MODP/Group 16",    16,                           0, false },
	{ V2D, "19",           "DH_GROUP_256_ECP/Group 19",      19,                           0, false },
	{ V2D, "20",           "DH_GROUP_384_ECP/Group 20",      20,                           0, false },
	{ V2D, "21",           "DH_GROUP_521_ECP/Group 21",      21,                           0, false },
	{ V2D, "24",           "DH_GROUP_2048_256_MODP/Group 24", 24,                          0, false },
};

#define NV2TABLE (sizeof(v2table) / sizeof(v2table[0]))

const struct xf2_alg *xf2_table(size_t *n)
{
	*n = NV2TABLE;
	return v2table;
}

const struct xf2_alg *xf2_by_kw(uint8_t type, const char *kw)
{
	for (size_t i = 0; i < NV2TABLE; i++)
		if (v2table[i].type == type && strcmp(v2table[i].kw, kw) == 0)
			return &v2table[i];
	return NULL;
}

const struct xf2_alg *xf2_by_id(uint8_t type, uint16_t id, uint16_t bits)
{
	for (size_t i = 0; i < NV2TABLE; i++)
		if (v2table[i].type == type && v2table[i].id == id &&
		    (type != IKEV2_XF_ENCR || v2table[i].bits == bits))
			return &v2table[i];
	return NULL;
}
