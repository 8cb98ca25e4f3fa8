#!/usr/bin/env bash
# Every message of a tunnel's life (MM1-MM6, QM1-QM3, Delete, DPD) replayed at once and
# duplicated: the SAs, peer ports and state counters stay, the tunnel carries traffic, no loop starts.
# Duplicates of QM2/QM3 depend on issue 9 finding 1.
. "${TOP:-$(dirname "$0")/../..}/tests/lib.sh"
. "$TOP/tests/adversary/lib-adv.sh"

adv_up
adv_py replay || fail "replay (see above)"
adv_down
exit 0
