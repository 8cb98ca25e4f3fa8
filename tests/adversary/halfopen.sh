#!/usr/bin/env bash
# 100 spoofed Main Mode first messages (half from the real peer's address) must not lock out
# the real peer's next negotiation. Depends on issue 9 finding 5.
. "${TOP:-$(dirname "$0")/../..}/tests/lib.sh"
. "$TOP/tests/adversary/lib-adv.sh"

adv_up
adv_py halfopen || fail "halfopen (see above)"
adv_down
exit 0
