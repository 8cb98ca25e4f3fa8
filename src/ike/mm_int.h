/*
 * Main Mode's private interface, shared by its files only:
 *   mainmode.c   the initiator's MM1, dispatch of MM2..MM6 to one receive
 *                function each (mm_recv_mm2/mm3/mm4/auth)
 *   mm_respond.c MM1 at the responder (mm_respond), half-open limits
 *   mm_policy.c  `crypto isakmp policy` <-> ISAKMP transforms
 */
#ifndef SPIGOT_IKE_MM_INT_H
#define SPIGOT_IKE_MM_INT_H

#include "core/wire.h"
#include "ike/ike_int.h"

#define BIT(t) (1u << (t))

/* mm_policy.c */
void mm_policy_attrs(const struct cfg_isakmp_policy *p, struct isakmp_transform *t);
/* An offered phase-1 transform as a policy; false when we can not use it. */
bool mm_transform_policy(const struct isakmp_transform *t, struct cfg_isakmp_policy *p);
bool mm_policy_match(const struct cfg_isakmp_policy *ours, const struct cfg_isakmp_policy *offer);

/* mainmode.c */
void mm_debug_send(struct ike_sa *sa);
bool mm_load_psk(struct ike_sa *sa);
void mm_scan_vids(struct ike_sa *sa, const struct isakmp_msg *m);
/* True when m carries only payload types in allowed_mask (BIT(type) each). */
bool mm_only_types(const struct isakmp_msg *m, uint32_t allowed_mask);
void mm_hdr_for(const struct ike_sa *sa, struct isakmp_hdr *h);

#endif
