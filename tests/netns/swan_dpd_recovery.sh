#!/usr/bin/env bash
# What strongSwan does when its peer loses its SAs (the case spigot's Invalid
# SPI Recovery closes in milliseconds), and a check of the harness's
# kill -9 / restart / SPI functions that recovery tests build on:
#   - r2's charon is killed (-9) and restarted: it has no SAs, r1 keeps its own;
#   - r2 drops r1's ESP as "inbound ESP packet does not belong to an installed
#     SA" and tells r1 nothing (no INVALID_SPI), so the black hole lasts until
#     r1's DPD declares r2 dead (dpd_action = restart) and negotiates anew;
#   - the new CHILD_SA has new SPIs on both sides.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib.sh"
. "$TOP/tests/netns/lib-topo.sh"
. "$TOP/tests/netns/lib-strongswan.sh"

swan_need
need_cmd ping

# The unknown-SPI drop is logged at esp level 2.
SWAN_LOG_ESP=2
DPD_DELAY=2
DPD_TIMEOUT=6

topo_up
topo_router_linux r1
topo_router_linux r2
swan_conf r2 initiator=no
swan_start r2
swan_conf r1 initiator=yes dpd_delay=$DPD_DELAY dpd_timeout=$DPD_TIMEOUT dpd_action=restart
swan_start r1
swan_wait_child r1 20
topo_ping h1 "$H2_IP" 3 >/dev/null || fail "no ping through the tunnel before the crash"
old=$(swan_spis r1)
old_out=$(awk '$1 == "out" {print $2}' <<<"$old")
[ -n "$old_out" ] || fail "r1: no outbound SPI: $old"

swan_kill9 r2
swan_start r2
[ -z "$(swan_spis r2)" ] || fail "restarted r2 still has SAs"
[ "$(swan_spis r1 | awk '$1 == "out" {print $2}')" = "$old_out" ] || fail "r1 lost its SA with r2's crash"

# h1 keeps sending; count how long the tunnel is a black hole.
start=$SECONDS
topo_wait_ping h1 "$H2_IP" $((DPD_TIMEOUT + DPD_DELAY + 15)) ||
	fail "no recovery within $((DPD_TIMEOUT + DPD_DELAY + 15)) s"
outage=$((SECONDS - start))

grep -q 'inbound ESP packet does not belong to an installed SA' "$T/r2-charon.log" ||
	fail "r2 did not log the ESP with an unknown SPI"
grep -qE 'DPD|dead peer|restarting CHILD_SA|initiating Main Mode' "$T/r1-charon.log" ||
	fail "r1 did not log a DPD restart"
new_out=$(swan_spis r1 | awk '$1 == "out" {print $2}')
[ -n "$new_out" ] && [ "$new_out" != "$old_out" ] || fail "r1 outbound SPI did not change ($old_out -> $new_out)"
new_in2=$(swan_spis r2 | awk '$1 == "in" {print $2}')
[ "$new_out" = "$new_in2" ] || fail "r1 out SPI $new_out is not r2's in SPI $new_in2"
# The outage is DPD's doing: not shorter than one DPD delay.
[ "$outage" -ge "$DPD_DELAY" ] || fail "recovered in $outage s, before DPD could act: something else recovered it"
echo "swan_dpd_recovery: ok (outage ${outage} s with DPD ${DPD_DELAY}/${DPD_TIMEOUT} s; SPI $old_out -> $new_out)"
