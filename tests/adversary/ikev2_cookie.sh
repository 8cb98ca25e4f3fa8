#!/usr/bin/env bash
# IKEv2 COOKIE (RFC 7296 §2.6) with `crypto ikev2 cookie-challenge 2`: 50 forged IKE_SA_INIT from
# the real peer's address make no state beyond the threshold and get COOKIE answers; the real
# peer returns the cookie and connects.
. "${TOP:-$(dirname "$0")/../..}/tests/lib.sh"
. "$TOP/tests/adversary/lib-adv.sh"

ADV_LAB=seed-ikev2 ADV_V2_PROFILE='dpd 10 2 periodic' adv_up 'crypto ikev2 cookie-challenge 2'
adv_py v2_cookie || fail "v2_cookie (see above)"
adv_down
exit 0
