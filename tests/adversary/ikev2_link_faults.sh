#!/usr/bin/env bash
# IKEv2: negotiation with every datagram duplicated, delayed, every message lost once,
# reordered, and a Child SA rekey over a duplicating link: one IKE SA, one Child SA.
. "${TOP:-$(dirname "$0")/../..}/tests/lib.sh"
. "$TOP/tests/adversary/lib-adv.sh"

ADV_LAB=seed-ikev2 ADV_V2_PROFILE='dpd 10 2 periodic' \
	adv_up 'crypto ipsec security-association lifetime kilobytes 2560'
adv_py v2_link_faults || fail "v2_link_faults (see above)"
adv_down
exit 0
