#!/usr/bin/env bash
# IKEv2: 200 forged IKE_SA_INIT (100 from the real peer's address on many source ports):
# half-open SAs stay within their per-peer limit, the live SA survives, and the real peers
# renegotiate after the burst and during a slower flood.
. "${TOP:-$(dirname "$0")/../..}/tests/lib.sh"
. "$TOP/tests/adversary/lib-adv.sh"

ADV_LAB=seed-ikev2 ADV_V2_PROFILE='dpd 10 2 periodic' \
	adv_up 'crypto ipsec security-association lifetime kilobytes 2560'
adv_py v2_halfopen || fail "v2_halfopen (see above)"
adv_down
exit 0
