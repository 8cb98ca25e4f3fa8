#!/usr/bin/env bash
# Forged IKE with live cookies: bad hashes, lengths, flags, versions, on 500 and 4500, from
# spoofed sources and ports; unprotected Delete/INVALID-SPI naming live SPIs. The tunnel must not move.
# The 4500 cases depend on issue 9 finding 3 (the peer port follows only an authenticated message).
. "${TOP:-$(dirname "$0")/../..}/tests/lib.sh"
. "$TOP/tests/adversary/lib-adv.sh"

adv_up
adv_py forged || fail "forged (see above)"
adv_down
exit 0
