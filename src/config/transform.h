/*
 * The one table of IPsec transforms: IOS names, algorithms, key/IV/ICV
 * sizes, IKEv1 (RFC 2407) and IKEv2 (RFC 7296 §3.3.2, IANA) identifiers,
 * and whether manual keys may use it.  Config parsing and rendering, the
 * show commands, IKE's Quick Mode proposals and the data plane all read it,
 * so they cannot disagree; it lives in src/config, the lowest layer that
 * knows transform sets, so every layer may include it (OpenBSD iked's
 * ikeencxfs[]/ipsecencxfs[] in parse.y are the model).  Adding a transform
 * is one row here plus its cfg_xf_* enum value.
 */
#ifndef SPIGOT_IPSEC_TRANSFORM_H
#define SPIGOT_IPSEC_TRANSFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "ikev2/ikev2_wire.h"	/* IKEv2 transform types and IDs: constants only */

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
	uint8_t ike_id;		/* IKEv1: ESP or AH transform ID */
	uint16_t ike_auth;	/* IKEv1: authentication algorithm attribute (ESP auth, AH) */
	uint8_t ikev2_type;	/* IKEv2 transform type: ENCR or INTEG */
	uint16_t ikev2_id;	/* IKEv2 transform ID (Key Length attribute = keybits) */
	/*
	 * Manual keys restart the sequence number at 1 on every install, so a
	 * mode whose nonce is the counter (AEAD, CTR) would reuse key+nonce
	 * (RFC 4106 §8.1, RFC 3686 §2.1): such rows are false.
	 */
	bool manual_ok;
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
/* IKEv2: by transform type (ENCR, INTEG), ID and Key Length attribute (bits; 0 = absent). */
const struct xf_alg *xf_by_ikev2(uint8_t type, uint16_t id, uint16_t keybits);

/* All entries, for listing and tests. */
const struct xf_alg *xf_table(size_t *n);

/*
 * Checks a transform set the way IOS allows them: at most one AH, one ESP
 * cipher and one ESP authenticator; something to do; GCM carries its own
 * integrity; esp-null needs an authenticator.  0, or -1 with why.
 */
int xf_validate(const struct cfg_transform_set *ts, const char **why);

/*
 * With ipsec-manual keys: 0, or -1 with an IOS-style reason naming the
 * transform ("% esp-gcm cannot be used with manual keys: ...").
 */
int xf_manual_check(const struct cfg_transform_set *ts, char *why, size_t n);

/* Config keywords of one transform kind (NULL: none / unknown). */
const char *xf_ah_cfg_name(enum cfg_xf_ah ah);
const char *xf_enc_cfg_name(enum cfg_xf_enc enc);
const char *xf_auth_cfg_name(enum cfg_xf_auth auth);
/* Keyword -> enum (0 = none of that kind). */
enum cfg_xf_ah xf_ah_by_cfg_name(const char *w);
enum cfg_xf_enc xf_enc_by_cfg_name(const char *w);
enum cfg_xf_auth xf_auth_by_cfg_name(const char *w);

/* Key bytes of a set's ESP cipher, ESP authenticator, AH (0: none). */
size_t xf_enc_keylen(const struct cfg_transform_set *ts);
size_t xf_esp_auth_keylen(const struct cfg_transform_set *ts);
size_t xf_ah_keylen(const struct cfg_transform_set *ts);

/*
 * IKEv1 Quick Mode attributes of a set (RFC 2407 §4.4.3, §4.5): the AH and
 * ESP transform IDs (an ESP without cipher is esp-null), authentication
 * algorithm attributes and the Key Length attribute (bits; 0 = absent).
 */
uint8_t xf_ike_ah_id(const struct cfg_transform_set *ts);
uint16_t xf_ike_ah_auth(const struct cfg_transform_set *ts);
uint8_t xf_ike_esp_id(const struct cfg_transform_set *ts);
uint16_t xf_ike_esp_auth(const struct cfg_transform_set *ts);
uint16_t xf_ike_keybits(const struct cfg_transform_set *ts);

/* "esp-des esp-sha-hmac " / "ah-sha-hmac " as IOS prints the ESP or AH part. */
void xf_esp_text(const struct cfg_transform_set *ts, char *buf, size_t n);
void xf_ah_text(const struct cfg_transform_set *ts, char *buf, size_t n);

/*
 * The IKE SA algorithms of `crypto ikev2 proposal`: IOS keyword, what
 * `show crypto ikev2 proposal` prints, the IKEv2 transform type and ID
 * (DH: the group number).  An integrity and a PRF row share their keyword
 * ("sha256"), which is how IOS takes the PRF from the integrity algorithm
 * when `prf` is not configured.
 */
struct xf2_alg {
	uint8_t type;		/* IKEV2_XF_ENCR, _INTEG, _PRF, _DH */
	const char *kw;		/* "aes-cbc-256", "sha256", "14" */
	const char *show;	/* "AES-CBC-256", "SHA256", "DH_GROUP_2048_MODP/Group 14" */
	uint16_t id;		/* IKEv2 transform ID, or the DH group */
	uint16_t bits;		/* ENCR key length; 0 otherwise */
	bool aead;
};

const struct xf2_alg *xf2_table(size_t *n);
/* By type and keyword; NULL when IOS (or spigot) has no such algorithm. */
const struct xf2_alg *xf2_by_kw(uint8_t type, const char *kw);
/* By type, ID and key length (bits, ENCR only). */
const struct xf2_alg *xf2_by_id(uint8_t type, uint16_t id, uint16_t bits);

#endif
