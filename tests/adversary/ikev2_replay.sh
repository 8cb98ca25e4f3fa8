#!/usr/bin/env bash
# IKEv2 (labs/seed-ikev2): every message of a tunnel's life (IKE_SA_INIT, IKE_AUTH,
# CREATE_CHILD_SA new and rekey, INFORMATIONAL liveness and Deletes) replayed on the same SA,
# after the Child rekey and after the IKE SA's Delete, then duplicated: only the last request's
# exact retransmission gets its stored reply; SAs, SPIs, peers and state counters stay.
. "${TOP:-$(dirname "$0")/../..}/tests/lib.sh"
. "$TOP/tests/adversary/lib-adv.sh"

ADV_LAB=seed-ikev2 ADV_V2_PROFILE='dpd 10 2 periodic' \
	adv_up 'crypto ipsec security-association lifetime kilobytes 2560'
adv_py v2_replay || fail "v2_replay (see above)"
adv_down
exit 0
