#!/usr/bin/env bash
# IKEv2 with the seed's host ACE followed by a subnet ACE in access-list 150: the second
# ACE's traffic must get its own Child SA (its selectors) and cross the tunnel.
# It failed before the responder looked for the ACE a proposal is for (h_policy_for in
# src/ike/ike2_glue.c): it narrowed every Child SA to the ACL's first permit ACE, so the
# CREATE_CHILD_SA for 10.0.0.0/24 <-> 10.0.2.0/24 became 10.0.0.1 <-> 10.0.2.2, both routers
# held two host-selector Child SAs, and 0 of 18 of the subnet's datagrams crossed.
. "${TOP:-$(dirname "$0")/../..}/tests/lib.sh"
. "$TOP/tests/adversary/lib-adv.sh"

ADV_LAB=seed-ikev2 ADV_V2_TWO_ACES=1 adv_up
adv_py v2_second_ace || fail "v2_second_ace (see above)"
adv_down
exit 0
