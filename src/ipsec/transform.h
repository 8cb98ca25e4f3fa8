/*
 * The one table from IOS transform names to algorithms, key/IV/ICV sizes
 * and IKEv1 (RFC 2407) identifiers.  The data plane, the show commands and
 * IKE's Quick Mode proposals all read it, so they cannot disagree.
 */
#ifndef SPIGOT_IPSEC_TRANSFORM_H
#define SPIGOT_IPSEC_TRANSFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

enum xf_kind { XF_KIND_ESP_ENC = 1, XF_KIND_ESP_AUTH, XF_KIND_AH };

/* RFC 2407 §4.4.3 / RFC 3602 / RFC 4106 ESP transform IDs. */
#define IKE_ESP_DES 2
#define IKE_ESP_3DES 3
#define IKE_ESP_NULL 11
#define IKE_ESP_AES 12
#define IKE_ESP_AES_GCM_16 20
/* RFC 2407 §4.4.3 / RFC 4868 AH transform IDs. */
#define IKE_AH_MD5 2
#define IKE_AH_SHA 3
#define IKE_AH_SHA2_256 5
#define IKE_AH_SHA2_384 6
#define IKE_AH_SHA2_512 7
/* RFC 2407 §4.5 Authentication Algorithm attribute values. */
#define IKE_AUTH_HMAC_MD5 1
#define IKE_AUTH_HMAC_SHA 2
#define IKE_AUTH_HMAC_SHA2_256 5
#define IKE_AUTH_HMAC_SHA2_384 6
#define IKE_AUTH_HMAC_SHA2_512 7

struct xf_alg {
	const char *name;	/* as `show` prints it: "esp-des", "esp-256-aes", "ah-sha-hmac" */
	const char *cfg_name;	/* the config keyword: "esp-aes" */
	enum xf_kind kind;
	int id;			/* the cfg_xf_enc / cfg_xf_auth / cfg_xf_ah value */
	uint16_t keybits;	/* aes/gcm: 128/192/256; 0 otherwise */
	const char *ossl;	/* OpenSSL cipher name, or the HMAC digest name; NULL for null */
	size_t key_len;		/* bytes of key material (GCM: key || 4-byte salt) */
	size_t iv_len;		/* bytes of IV on the wire */
	size_t block;		/* padding alignment */
	size_t icv_len;		/* AH/ESP-auth ICV, or GCM's tag */
	bool aead;
	bool legacy;		/* needs OpenSSL's legacy provider */
	bool weak;		/* broken: warn when used */
	uint8_t ike_id;		/* ESP or AH transform ID */
	uint16_t ike_auth;	/* authentication algorithm attribute (ESP auth, AH) */
};

/* Lookups; NULL when unknown (keybits 0 = the IOS default, 128). */
const struct xf_alg *xf_esp_enc(enum cfg_xf_enc enc, uint16_t keybits);
const struct xf_alg *xf_esp_auth(enum cfg_xf_auth auth);
const struct xf_alg *xf_ah(enum cfg_xf_ah ah);
/* By config keyword ("esp-aes", "ah-sha-hmac"); keybits for aes/gcm. */
const struct xf_alg *xf_by_name(const char *cfg_name, uint16_t keybits);
/* IKE: by ESP transform ID and Key Length attribute (bits; 0 = absent). */
const struct xf_alg *xf_by_ike_esp(uint8_t transform_id, uint16_t keybits);
const struct xf_alg *xf_by_ike_ah(uint8_t transform_id);
/* ESP's Authentication Algorithm attribute -> esp-*-hmac. */
const struct xf_alg *xf_by_ike_auth(uint16_t auth_attr);

/* All entries, for listing and tests. */
const struct xf_alg *xf_table(size_t *n);

/*
 * Checks a transform set the way IOS allows them: at most one AH, one ESP
 * cipher and one ESP authenticator; something to do; GCM carries its own
 * integrity; esp-null needs an authenticator.  0, or -1 with why.
 */
int xf_validate(const struct cfg_transform_set *ts, const char **why);

/* "esp-des esp-sha-hmac " / "ah-sha-hmac " as IOS prints the ESP or AH part. */
void xf_esp_text(const struct cfg_transform_set *ts, char *buf, size_t n);
void xf_ah_text(const struct cfg_transform_set *ts, char *buf, size_t n);

#endif
