#!/usr/bin/env bash
# IKEv2 with the seed's host ACE followed by a subnet ACE in access-list 150: the second
# ACE's traffic must get its own Child SA (its selectors) and cross the tunnel.
# KNOWN BUG, out of the default suite (exit 77 unless ADV_KNOWN_BUGS=1): spigot's IKEv2
# responder builds its policy from the ACL's first permit ACE only (src/ikev2/ikev2_conf.c),
# so the CREATE_CHILD_SA for 10.0.0.0/24 <-> 10.0.2.0/24 is narrowed to 10.0.0.1 <-> 10.0.2.2:
# both routers then hold a second Child SA with the host selectors, the subnet flow never
# gets one, and its packets are dropped (0 of 18 crossed).
. "${TOP:-$(dirname "$0")/../..}/tests/lib.sh"
. "$TOP/tests/adversary/lib-adv.sh"
[ -n "${ADV_KNOWN_BUGS:-}" ] || skip "known bug: IKEv2 responder narrows every Child SA to the ACL's first ACE (ADV_KNOWN_BUGS=1 runs it)"

ADV_LAB=seed-ikev2 ADV_V2_TWO_ACES=1 adv_up
adv_py v2_second_ace || fail "v2_second_ace (see above)"
adv_down
exit 0
