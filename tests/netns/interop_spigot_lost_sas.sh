#!/usr/bin/env bash
# spigot (r1) loses its IPsec SAs without a restart while only the
# strongSwan side (r2) sends (h2 pings h1 every 50 ms; h1 never sends):
#   1. `test crypto ipsec lose-sas`: the SAs are forgotten, the IKE SA stays;
#   2. `clear crypto sa` with its Delete lost (r1's WAN veth is down for
#      that moment: this kernel has no netem or tc classifiers).
# In both, spigot still has its IKE SA, so recovery sends INVALID-SPI over
# it (as IOS does, whatever the configuration).  strongSwan logs and ignores
# the notify and keeps sending on its old CHILD_SA; spigot's phase-2 restore
# (triggered by the notify it sent) runs Quick Mode for the flow, strongSwan
# installs the new CHILD_SA over the same traffic selectors and moves its
# outbound traffic to it, and h2's pings get replies again without h1.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib.sh"
. "$TOP/tests/netns/lib-topo.sh"
. "$TOP/tests/netns/lib-strongswan.sh"
. "$TOP/tests/netns/lib-spigot.sh"
swan_need
need_cmd ping
need_cmd tc
[ -x "$SPIGOTD" ] || skip "no spigotd at $SPIGOTD (make asan)"

topo_up
cfg=$(spigot_conf r1 recovery=yes)
topo_router_bare r1
topo_spigotd_start r1 "$cfg"
swan_router r2 initiator=yes ike_rekey=72000 ike_life=80000 dpd_delay=10 dpd_timeout=30 dpd_action=restart
swan_wait_child r2 20
topo_wait_ping h2 "$H1_IP" 10 || fail "no tunnel"
# strongSwan initiated, spigot answered with INITIAL-CONTACT: its phase-2
# restore of that first contact runs after P2UP_RESPONDER_DELAY_MS.  The
# cases start once it has finished, so the restore they see is the notify's.
restore_idle() { cli r1 show crypto isakmp invalid-spi-recovery | grep -q '(active: 0)'; }
wait_for 20 restore_idle || fail "the first contact's phase-2 restore did not finish"

# replies_after T LOG: whether LOG (ping -D) has a reply stamped after T.
replies_after() {
	sed -nE 's/^\[([0-9.]+)\].*bytes from.*/\1/p' "$2" | awk -v t="$1" '$1 > t {f=1} END {exit !f}'
}

# one_case NAME CMD...: lose the SAs with CMD while h2 alone pings.
one_case() {
	local name=$1 log=$T/ping-$1.log old new t0 first
	shift
	old=$(swan_spis r2 | awk '$1 == "out" {print $2}' | tail -1)
	nsx h2 timeout 30 ping -n -D -i 0.05 -W 1 -c 400 "$H1_IP" >"$log" 2>&1 &
	local pp=$!
	_pids+=("$pp")
	sleep 1
	"$@"
	t0=$(date +%s.%N)	# from the end of the event: r1 back up, or the SAs gone
	wait_for 15 replies_after "$t0" "$log" || {
		tail -20 "$T/r1.log" >&2
		tail -20 "$T/r2-charon.log" >&2
		fail "$name: h2's ping never got through again"
	}
	first=$(sed -nE 's/^\[([0-9.]+)\].*bytes from.*/\1/p' "$log" | awk -v t="$t0" '$1 > t {print; exit}')
	kill "$pp" 2>/dev/null
	# strongSwan keeps the old CHILD_SA beside the new one; the newest is last.
	new=$(swan_spis r2 | awk '$1 == "out" {print $2}' | tail -1)
	[ -n "$new" ] && [ "$new" != "$old" ] || fail "$name: no new CHILD_SA at strongSwan ($old)"
	note "$name: h2's ping back $(awk -v a="$first" -v b="$t0" 'BEGIN {printf "%.2f", a - b}') s after the loss; strongSwan out SPI $old -> $new"
	RESULT+=" $name=$(awk -v a="$first" -v b="$t0" 'BEGIN {printf "%.2f", a - b}')s"
}

lose() { cli r1 test crypto ipsec lose-sas >/dev/null; }
clear_lost() {
	nsx r1 ip link set "$R1_WAN" down
	cli r1 clear crypto sa >/dev/null
	sleep 0.3
	nsx r1 ip link set "$R1_WAN" up
}

RESULT=
one_case lose-sas lose
grep -q 'ISR_NOTIFY_SENT' "$T/r1.log" || fail "lose-sas: no INVALID-SPI notify over the IKE SA"
grep -q 'received INVALID_SPI error notify' "$T/r2-charon.log" || fail "lose-sas: strongSwan got no INVALID-SPI"
grep -q 'after INVALID_SPI notify' "$T/r1.log" || fail "lose-sas: no phase-2 restore after the notify"
sleep 2	# past the restore hold-down (1 s), as a real second loss would be
swanctl_in r2 --list-sas >"$T/sas-after-lose.txt" 2>&1

deletes0=$(grep -c 'received DELETE' "$T/r2-charon.log")
one_case clear-delete-lost clear_lost
[ "$(grep -c 'received DELETE' "$T/r2-charon.log")" = "$deletes0" ] || fail "the Delete was not lost"
isr=$(cli r1 show crypto isakmp invalid-spi-recovery)
grep -qE 'Quick Modes started: [1-9]' <<<"$isr" || { echo "$isr" >&2; fail "restore Quick Modes not counted"; }
echo "interop_spigot_lost_sas: ok (only h2 sends; back after:$RESULT)"
