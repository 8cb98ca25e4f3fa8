#!/usr/bin/env bash
# strongSwan (r2) deletes its CHILD_SA (swanctl --terminate --child): the
# Delete arrives over 4500 and spigot (r1) removes the bundle, so show crypto
# ipsec sa lists no SA for 192.0.2.2; traffic then brings up a new one.
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
sa=$(cli r1 show crypto ipsec sa peer 192.0.2.2)
grep -qE 'spi: 0x[0-9A-F]+\(' <<<"$sa" || fail "spigot shows no SA before the delete"
# spigot sent INITIAL-CONTACT, so its phase-2 restore runs 300 ms after Main
# Mode and would bring back a Child SA deleted before it ran: let it finish.
restore_idle() { cli r1 show crypto isakmp invalid-spi-recovery | grep -q '(active: 0)'; }
wait_for 10 restore_idle || fail "spigot's phase-2 restore did not finish"
swanctl_in r2 --terminate --child tun --timeout 10 >>"$T/r2-swanctl.out" 2>&1
no_sa() { ! cli r1 show crypto ipsec sa peer 192.0.2.2 2>/dev/null | grep -qE 'spi: 0x[0-9A-F]+\('; }
wait_for 5 no_sa ||
	{ cli r1 show crypto ipsec sa >&2; fail "spigot still shows SAs 5 s after strongSwan's Delete"; }
stats=$(cli r1 show crypto isakmp stats)
grep -qE 'Delete: [1-9][0-9]* received' <<<"$stats" || fail "spigot counted no Delete: $stats"
topo_wait_ping h1 "$H2_IP" 20 || fail "no new tunnel after strongSwan's Delete"
echo "interop_swan_delete: ok"
