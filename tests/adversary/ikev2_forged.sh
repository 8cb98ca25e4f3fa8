#!/usr/bin/env bash
# IKEv2: protected messages broken every way (lengths, trailing bytes, ICV, version, flags,
# unknown critical payload) on UDP 500 and 4500, unprotected INVALID_SPI / Delete / INVALID_IKE_SPI
# with a wrong QCD token using the live SPIs, and genuine messages from a wrong address or port:
# each counted and dropped, SAs, SPIs, peers and state counters unchanged, the tunnel carries traffic.
. "${TOP:-$(dirname "$0")/../..}/tests/lib.sh"
. "$TOP/tests/adversary/lib-adv.sh"

ADV_LAB=seed-ikev2 ADV_V2_PROFILE='dpd 10 2 periodic' \
	adv_up 'crypto ipsec security-association lifetime kilobytes 2560'
adv_py v2_forged || fail "v2_forged (see above)"
adv_down
exit 0
