#!/usr/bin/env bash
# Cleartext versions of the protected flows (ICMP, UDP incl. ports 500/4500, TCP, ESP/AH/GRE
# in the clear, first and non-first fragments), to the router and through it, both directions: dropped,
# never answered or forwarded. Depends on issue 9 finding 4.
. "${TOP:-$(dirname "$0")/../..}/tests/lib.sh"
. "$TOP/tests/adversary/lib-adv.sh"

adv_up
adv_py cleartext || fail "cleartext (see above)"
adv_down
exit 0
