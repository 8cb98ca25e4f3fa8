#!/usr/bin/env bash
# Negotiation under loss (each IKE message lost once), duplication of every datagram, delay and
# reordering: one IKE SA and one bundle result, traffic passes, no retransmission loop.
# The duplication case depends on issue 9 finding 1.
. "${TOP:-$(dirname "$0")/../..}/tests/lib.sh"
. "$TOP/tests/adversary/lib-adv.sh"
export SPIGOT_TEST_IKE_TIMERS=300,5,60000	# fast retransmits
adv_up
adv_py link_faults || fail "link_faults (see above)"
adv_down
exit 0
