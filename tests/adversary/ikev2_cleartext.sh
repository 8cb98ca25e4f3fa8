#!/usr/bin/env bash
# IKEv2: cleartext of the protected flows never crosses a router with the SAs up, while
# IKEv2 negotiates, after a Child SA Delete and after clear crypto ikev2 sa.
. "${TOP:-$(dirname "$0")/../..}/tests/lib.sh"
. "$TOP/tests/adversary/lib-adv.sh"

ADV_LAB=seed-ikev2 ADV_V2_PROFILE='dpd 10 2 periodic' \
	adv_up 'crypto ipsec security-association lifetime kilobytes 2560'
adv_py v2_cleartext || fail "v2_cleartext (see above)"
adv_down
exit 0
