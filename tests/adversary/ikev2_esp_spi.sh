#!/usr/bin/env bash
# IKEv2: replayed and broken ESP on live SPIs, and 600 ESP datagrams with unknown SPIs (from
# the peer and from strangers): recovery's INVALID_SPI notifies stay within its rate limit.
. "${TOP:-$(dirname "$0")/../..}/tests/lib.sh"
. "$TOP/tests/adversary/lib-adv.sh"

ADV_LAB=seed-ikev2 ADV_V2_PROFILE='dpd 10 2 periodic' \
	adv_up 'crypto ipsec security-association lifetime kilobytes 2560'
adv_py v2_esp_spi || fail "v2_esp_spi (see above)"
adv_down
exit 0
