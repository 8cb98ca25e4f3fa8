#!/usr/bin/env bash
# IKEv2: the IKE SA rekeys at 90% of its lifetime (20 s, the test aid below: about 18 s);
# every message of the old IKE SA and of the rekey is then replayed and
# duplicated: the Child SAs moved unchanged, only the last request's retransmission is
# answered, SAs, SPIs, peers and state counters stay.
. "${TOP:-$(dirname "$0")/../..}/tests/lib.sh"
. "$TOP/tests/adversary/lib-adv.sh"

# The profile's lifetime stays 120 (its minimum); SPIGOT_TEST_IKEV2_LIFE_MS makes the
# routers treat it as 20 s, so the rekey comes at ~18 s instead of ~108 s.
export SPIGOT_TEST_IKEV2_LIFE_MS=20000
ADV_LAB=seed-ikev2 ADV_V2_PROFILE='dpd 10 2 periodic;lifetime 120' adv_up
adv_py v2_replay_rekey || fail "v2_replay_rekey (see above)"
adv_down
exit 0
