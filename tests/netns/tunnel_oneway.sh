#!/usr/bin/env bash
# spigot against spigot (r1, r2; invalid-spi-recovery on both) with one-way
# traffic: for each of "r1 restarted (kill -9, start again)" and "r1 lost
# its SAs (test crypto ipsec lose-sas)", first only h2 sends (toward the
# router that lost its state), then only h1 (from it).  No combination may
# leave a black hole: the pings get replies again within a few seconds.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib.sh"
. "$TOP/tests/netns/lib-topo.sh"
. "$TOP/tests/netns/lib-spigot.sh"
need_root
need_cmd ping
[ -x "$SPIGOTD" ] || skip "no spigotd at $SPIGOTD (make asan)"

topo_up
cfg1=$(spigot_conf r1 recovery=yes)
spigot_router r1 recovery=yes
spigot_router r2 recovery=yes
topo_no_offload
topo_wait_ping h1 "$H2_IP" 20 || fail "no tunnel"

replies_after() {
	sed -nE 's/^\[([0-9.]+)\].*bytes from.*/\1/p' "$2" | awk -v t="$1" '$1 > t {f=1} END {exit !f}'
}

restart_r1() {
	kill -9 "$PID_r1"
	wait "$PID_r1" 2>/dev/null
	topo_forget_pid "$PID_r1"
	topo_spigotd_start r1 "$cfg1"
}
lose_r1() { cli r1 test crypto ipsec lose-sas >/dev/null; }

# one_case NAME SENDER(h1|h2) CMD: CMD while only SENDER pings.
RESULT=
one_case() {
	local name=$1 from=$2 to log=$T/ping-$1.log t0 first
	shift 2
	[ "$from" = h1 ] && to=$H2_IP || to=$H1_IP
	nsx "$from" timeout 40 ping -n -D -i 0.05 -W 1 -c 600 "$to" >"$log" 2>&1 &
	local pp=$!
	_pids+=("$pp")
	sleep 1
	"$@"
	t0=$(date +%s.%N)	# from the end of the event: r1 back up, or the SAs gone
	wait_for 15 replies_after "$t0" "$log" || {
		tail -20 "$T/r1.log" >&2
		tail -20 "$T/r2.log" >&2
		fail "$name: $from's ping never got through again"
	}
	first=$(sed -nE 's/^\[([0-9.]+)\].*bytes from.*/\1/p' "$log" | awk -v t="$t0" '$1 > t {print; exit}')
	kill "$pp" 2>/dev/null
	RESULT+=" $name=$(awk -v a="$first" -v b="$t0" 'BEGIN {printf "%.2f", a - b}')s"
	sleep 2	# past the recovery and restore hold-downs of the next case's sender
}

one_case restart-h2-sends h2 restart_r1
one_case restart-h1-sends h1 restart_r1
one_case lose-sas-h2-sends h2 lose_r1
one_case lose-sas-h1-sends h1 lose_r1
echo "tunnel_oneway: ok (first reply after r1 is back or lost its SAs:$RESULT)"
