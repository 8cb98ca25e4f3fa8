#!/usr/bin/env bash
# ESP/AH with live SPIs: replayed (stale sequence numbers), bad ICVs, and sent to the router's
# other address or from a stranger: dropped, no INVALID-SPI about a live SA. The wrong-address case
# depends on issue 9 finding 6.
. "${TOP:-$(dirname "$0")/../..}/tests/lib.sh"
. "$TOP/tests/adversary/lib-adv.sh"

adv_up
adv_py esp_spi || fail "esp_spi (see above)"
adv_down
exit 0
