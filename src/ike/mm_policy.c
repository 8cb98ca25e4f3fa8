/*
 * Phase-1 policies (`crypto isakmp policy`) <-> ISAKMP transforms, and the
 * IOS rule for matching them: encryption, hash, authentication and group
 * equal, the offered lifetime no longer than ours.
 */
#include "ike/mm_int.h"

#include <string.h>

#include "router.h"

void mm_policy_attrs(const struct cfg_isakmp_policy *p, struct isakmp_transform *t)
{
	size_t n = 0;
	int enc = p->enc == IKE_ENC_DES ? IKE_ENC_ID_DES : p->enc == IKE_ENC_3DES ? IKE_ENC_ID_3DES
										    : IKE_ENC_ID_AES;
	int hash = 0;
	switch (p->hash) {
	case IKE_HASH_MD5: hash = IKE_HASH_ID_MD5; break;
	case IKE_HASH_SHA1: hash = IKE_HASH_ID_SHA; break;
	case IKE_HASH_SHA256: hash = IKE_HASH_ID_SHA256; break;
	case IKE_HASH_SHA384: hash = IKE_HASH_ID_SHA384; break;
	case IKE_HASH_SHA512: hash = IKE_HASH_ID_SHA512; break;
	}
	t->attr[n++] = (struct isakmp_attr){ .type = IKE_ATTR_ENC, .tv = true, .ival = (uint32_t)enc };
	if (enc == IKE_ENC_ID_AES)
		t->attr[n++] = (struct isakmp_attr){ .type = IKE_ATTR_KEY_LEN, .tv = true,
						     .ival = (uint32_t)ike_cipher_keylen(p) * 8 };
	t->attr[n++] = (struct isakmp_attr){ .type = IKE_ATTR_HASH, .tv = true, .ival = (uint32_t)hash };
	t->attr[n++] = (struct isakmp_attr){ .type = IKE_ATTR_AUTH, .tv = true, .ival = IKE_AUTH_ID_PSK };
	t->attr[n++] = (struct isakmp_attr){ .type = IKE_ATTR_GROUP, .tv = true, .ival = (uint32_t)p->group };
	t->attr[n++] = (struct isakmp_attr){ .type = IKE_ATTR_LIFE_TYPE, .tv = true, .ival = IKE_LIFE_SECONDS };
	t->attr[n++] = (struct isakmp_attr){ .type = IKE_ATTR_LIFE_DUR, .tv = p->lifetime <= 0xffff,
					     .ival = p->lifetime };
	t->nattr = n;
}

/* An offered phase-1 transform as a policy; false when we can not use it. */
bool mm_transform_policy(const struct isakmp_transform *t, struct cfg_isakmp_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->lifetime = 28800;	/* RFC 2407 §4.5 default when no lifetime is given */
	if (t->id != ISAKMP_KEY_IKE)
		return false;
	uint32_t keylen = 0, life_type = 0;
	for (size_t i = 0; i < t->nattr; i++) {
		const struct isakmp_attr *a = &t->attr[i];
		if (!a->has_ival)
			return false;
		switch (a->type) {
		case IKE_ATTR_ENC:
			p->enc = a->ival == IKE_ENC_ID_DES ? IKE_ENC_DES : a->ival == IKE_ENC_ID_3DES ? IKE_ENC_3DES
			       : a->ival == IKE_ENC_ID_AES ? IKE_ENC_AES128 : 0;
			break;
		case IKE_ATTR_HASH:
			switch (a->ival) {
			case IKE_HASH_ID_MD5: p->hash = IKE_HASH_MD5; break;
			case IKE_HASH_ID_SHA: p->hash = IKE_HASH_SHA1; break;
			case IKE_HASH_ID_SHA256: p->hash = IKE_HASH_SHA256; break;
			case IKE_HASH_ID_SHA384: p->hash = IKE_HASH_SHA384; break;
			case IKE_HASH_ID_SHA512: p->hash = IKE_HASH_SHA512; break;
			default: return false;
			}
			break;
		case IKE_ATTR_AUTH:
			if (a->ival != IKE_AUTH_ID_PSK)
				return false;
			p->auth = IKE_AUTH_PSK;
			break;
		case IKE_ATTR_GROUP: p->group = (int)a->ival; break;
		case IKE_ATTR_LIFE_TYPE: life_type = a->ival; break;
		case IKE_ATTR_LIFE_DUR:
			/* A volume lifetime IOS does not enforce; seconds are what we keep. */
			if (life_type == IKE_LIFE_SECONDS)
				p->lifetime = a->ival;
			break;
		case IKE_ATTR_KEY_LEN: keylen = a->ival; break;
		default: return false;	/* an attribute we do not understand */
		}
	}
	if (p->enc == IKE_ENC_AES128) {
		if (keylen == 192)
			p->enc = IKE_ENC_AES192;
		else if (keylen == 256)
			p->enc = IKE_ENC_AES256;
		else if (keylen != 128 && keylen != 0)
			return false;
	} else if (keylen) {
		return false;
	}
	return p->enc && p->hash && p->auth && dh_supported(p->group) && p->lifetime > 0;
}

bool mm_policy_match(const struct cfg_isakmp_policy *ours, const struct cfg_isakmp_policy *offer)
{
	return ours->enc == offer->enc && ours->hash == offer->hash && ours->auth == offer->auth &&
	       ours->group == offer->group && offer->lifetime <= ours->lifetime;
}
