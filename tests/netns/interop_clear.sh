#!/usr/bin/env bash
# `clear crypto sa` on spigot (r1) sends Deletes (over the IKE SA on 4500)
# that strongSwan (r2) honours: its CHILD_SA goes; new traffic from h1 makes
# spigot negotiate a fresh one.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib.sh"
. "$TOP/tests/netns/lib-topo.sh"
. "$TOP/tests/netns/lib-strongswan.sh"
. "$TOP/tests/netns/lib-spigot.sh"
swan_need
need_cmd ping
[ -x "$SPIGOTD" ] || skip "no spigotd at $SPIGOTD (make asan)"

topo_up
spigot_router r1
swan_router r2 initiator=no ike_rekey=72000 ike_life=80000
topo_wait_ping h1 "$H2_IP" 20 || fail "no tunnel"
old=$(swan_spis r2 | awk '$1 == "in" {print $2}')
[ -n "$old" ] || fail "strongSwan has no CHILD_SA"
# spigot sent INITIAL-CONTACT, so its phase-2 restore runs 300 ms after Main
# Mode and would bring back SAs cleared before it ran: let it finish.
restore_idle() { cli r1 show crypto isakmp invalid-spi-recovery | grep -q '(active: 0)'; }
wait_for 10 restore_idle || fail "spigot's phase-2 restore did not finish"
cli r1 clear crypto sa >/dev/null
no_child() { ! swanctl_in r2 --list-sas 2>/dev/null | grep -q INSTALLED; }
wait_for 5 no_child ||
	{ swanctl_in r2 --list-sas >&2; fail "strongSwan still has its CHILD_SA 5 s after clear crypto sa"; }
grep -qE 'received DELETE for ESP CHILD_SA' "$T/r2-charon.log" || fail "strongSwan logged no Delete"
sa=$(cli r1 show crypto ipsec sa)
! grep -qE 'spi: 0x[0-9A-F]+\(' <<<"$sa" || fail "spigot still has SAs after clear crypto sa"
topo_wait_ping h1 "$H2_IP" 20 || fail "no new tunnel after clear crypto sa"
new=$(swan_spis r2 | awk '$1 == "in" {print $2}')
[ -n "$new" ] && [ "$new" != "$old" ] || fail "no fresh CHILD_SA ($old -> $new)"
echo "interop_clear: ok (strongSwan deleted $old; new $new)"
