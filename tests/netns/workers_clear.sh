#!/usr/bin/env bash
# SAs retired under the workers' feet (spigotd --workers 2): h1 - spigot r1
# - spigot r2 - h2, ESP aes-gcm, 4 TCP streams h1 -> h2 for 5 s while
# `clear crypto sa` runs on r1 and r2 in turn, 6 times: every clear
# deletes bundles that r1's LAN worker and r2's WAN worker are using
# (docs/ARCHITECTURE.md, "Threads": retired, freed only after every worker
# has passed a quiescent point).  The routers are ASan builds.
#
# Checks: both routers are alive with no AddressSanitizer report; the
# tables were rebuilt and, a moment after the traffic, no retired object is
# left waiting for the workers; the tunnel comes back (5/5 pings) and the
# fast path carries it (its encapsulated count grows).
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib.sh"
. "$TOP/tests/netns/lib-topo.sh"
. "$TOP/tests/netns/lib-spigot.sh"

need_root
need_cmd iperf3
[ -x "$SPIGOTD" ] || skip "no spigotd at $SPIGOTD (make asan)"
export SPIGOT_TEST_WORKERS=2

topo_up
spigot_router r2 esp=aes128gcm16
spigot_router r1 esp=aes128gcm16
topo_wait_ping h1 "$H2_IP" 25 || { cat "$T/r1.log" >&2; fail "no tunnel h1 -> h2"; }

nsx h2 timeout 30 iperf3 -s -1 -B "$H2_IP" -p 5201 >"$T/iperf-s.out" 2>&1 &
spid=$!
_pids+=("$spid")
wait_for 5 sh -c "ip netns exec $NS_H2 ss -ltn | grep -q ':5201 '" || fail "iperf3 server did not start"
# The streams may stall while SAs are renegotiated: only the routers are judged.
nsx h1 timeout 20 iperf3 -c "$H2_IP" -p 5201 -t 5 -P 4 --connect-timeout 5000 >"$T/iperf.out" 2>&1 &
cpid=$!
_pids+=("$cpid")
sleep 1
for i in 1 2 3 4 5 6; do
	r=r1
	[ $((i % 2)) = 0 ] && r=r2
	cli $r clear crypto sa >/dev/null || fail "$r: clear crypto sa failed (router gone?)"
	sleep 0.5
done
wait "$cpid" 2>/dev/null
wait "$spid" 2>/dev/null

for r in r1 r2; do
	kill -0 "$(eval echo \$PID_$r)" 2>/dev/null || fail "$r ended: $(tail -20 "$T/$r.log")"
	! grep -q 'AddressSanitizer' "$T/$r.log" || { grep -A30 'AddressSanitizer' "$T/$r.log" | head -50 >&2; fail "$r: AddressSanitizer report"; }
done
topo_wait_ping h1 "$H2_IP" 25 || fail "the tunnel did not come back after the clears"
enc0=$(cli r1 show interfaces GigabitEthernet0/0 | sed -nE 's/.*fast path: ([0-9]+) encapsulated.*/\1/p')
out=$(nsx h1 ping -q -n -c 5 -i 0.2 -W 1 "$H2_IP") || true
grep -q ' 5 received' <<<"$out" || fail "after the clears: $out"
enc1=$(cli r1 show interfaces GigabitEthernet0/0 | sed -nE 's/.*fast path: ([0-9]+) encapsulated.*/\1/p')
[ "${enc1:-0}" -ge "$(( ${enc0:-0} + 5 ))" ] || fail "r1's worker did not carry the pings ($enc0 -> $enc1)"
# Retired SAs and tables are freed within a tick or two once the workers move on.
no_backlog() { cli "$1" show interfaces | grep -q ' 0 retired objects waiting'; }
for r in r1 r2; do
	wait_for 5 no_backlog $r ||
		fail "$r: retired objects still waiting: $(cli $r show interfaces | grep 'retired objects')"
done
note "r1: $(cli r1 show interfaces GigabitEthernet0/0 | grep 'retired objects' | sed 's/^ *//')"
exit 0
