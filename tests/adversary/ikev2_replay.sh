#!/usr/bin/env bash
# IKEv2 (labs/seed-ikev2): every message of a tunnel's life (IKE_SA_INIT, IKE_AUTH,
# CREATE_CHILD_SA rekey and new, INFORMATIONAL liveness and Deletes) replayed on the live SA
# and on one deleted by clear crypto ikev2 sa, then duplicated: only the newest request's
# exact retransmission gets its stored reply; SAs, SPIs, peers and state counters stay.
. "${TOP:-$(dirname "$0")/../..}/tests/lib.sh"
. "$TOP/tests/adversary/lib-adv.sh"

ADV_LAB=seed-ikev2 ADV_V2_PROFILE='dpd 10 2 periodic' \
	adv_up 'crypto ipsec security-association lifetime kilobytes 2560'
adv_py v2_replay || fail "v2_replay (see above)"
adv_down
exit 0
