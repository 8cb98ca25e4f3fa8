#!/usr/bin/env bash
# IKEv2: the IKE SA rekeys at 90% of the profile's `lifetime 120` (about 110 s: the slowest
# adversary test); every message of the old IKE SA and of the rekey is then replayed and
# duplicated: the Child SAs moved unchanged, only the last request's retransmission is
# answered, SAs, SPIs, peers and state counters stay.
. "${TOP:-$(dirname "$0")/../..}/tests/lib.sh"
. "$TOP/tests/adversary/lib-adv.sh"

ADV_LAB=seed-ikev2 ADV_V2_PROFILE='dpd 10 2 periodic;lifetime 120' adv_up
adv_py v2_replay_rekey || fail "v2_replay_rekey (see above)"
adv_down
exit 0
