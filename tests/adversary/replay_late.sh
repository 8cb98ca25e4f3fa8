#!/usr/bin/env bash
# Every message of a tunnel's life replayed after its exchange was forgotten (test timers
# shorten the ~128 s keep time to ~2.4 s). Depends on issue 9 finding 2 (message IDs kept per IKE SA).
. "${TOP:-$(dirname "$0")/../..}/tests/lib.sh"
. "$TOP/tests/adversary/lib-adv.sh"
export SPIGOT_TEST_IKE_TIMERS=300,2,1500	# exchanges forgotten after ~2.4 s
adv_up
adv_py replay_late || fail "replay_late (see above)"
adv_down
exit 0
