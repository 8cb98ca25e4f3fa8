#!/usr/bin/env bash
# spigot (r1) restarts in the strongSwan IKEv2 interop (issue 11: "restarts
# of either side"; interop_ikev2.sh restarts strongSwan, this restarts spigot).
#
# strongSwan 5.9.8 (r2: kernel-libipsec, so ESP in UDP 4500 behind a faked
# NAT, as lib-ikev2.sh sets it up) initiates; DPD every DPD_DELAY s with
# dpd_action = restart.  The Child SA is up and pings pass both ways; then
# only h2 sends (a one-way UDP stream to h1, every 20 ms: h1 never answers,
# so nothing on spigot's side can raise an acquire).  spigot is killed (-9)
# and started again from the same config; strongSwan still sends on its old
# CHILD_SA.
#
# on:  with `crypto isakmp invalid-spi-recovery`, the fresh spigot logs
#      RECVD_PKT_INV_SPI for strongSwan's old outbound SPI, opens an IKEv2 SA
#      to the static peer (IKE_SA_INIT + IKE_AUTH with INITIAL_CONTACT and the
#      crypto map's Child SA) and sends INVALID_SPI over it.  Asserted:
#      h2's stream reaches h1 again within RECOVER_MAX s of spigot's start
#      with nothing from h1; one IKE SA on each side with the same SPIs;
#      strongSwan destroyed its old IKE_SA on INITIAL_CONTACT and logged the
#      INVALID_SPI (a protected INFORMATIONAL); the counters of
#      show crypto isakmp invalid-spi-recovery and show crypto ikev2 stats;
#      pings both ways afterwards.
# off: the same restart without the feature: spigot drops and counts the
#      ESP ("recovery disabled"), sends nothing, and h2's stream is a black
#      hole until strongSwan's DPD gives up on the old IKE SA (liveness
#      checks unanswered: the restarted spigot has no such IKE SA and, with
#      no state directory here, no Quick Crash Detection token either) and
#      dpd_action = restart brings up new SAs.  Asserted: black for at least
#      BLACK_MIN s, back only after strongSwan logged "giving up", within
#      DPD_MAX s.
# What strongSwan did is written up in tests/netns/README.md.
# MODES ("on off" by default) narrows a run.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib.sh"
. "$TOP/tests/netns/lib-topo.sh"
. "$TOP/tests/netns/lib-strongswan.sh"
. "$TOP/tests/netns/lib-spigot.sh"
. "$TOP/tests/netns/lib-ikev2.sh"

swan_need
need_cmd ping
[ -x "$SPIGOTD" ] || skip "no spigotd at $SPIGOTD (make asan)"
PY=/usr/bin/python3
[ -x "$PY" ] || skip "needs $PY"
UDPS=$TOP/tests/netns/udpstream.py

MODES=${MODES:-"on off"}
IKE=aes256-sha256-modp2048
ESP=aes256-sha256
DPD_DELAY=5
RECOVER_MAX=10 # s from spigot's start to h2's first datagram at h1, feature on
SWAN_RTX_OFF=1.0 # strongSwan's retransmit_timeout, feature off (lib-strongswan.sh's is 2.0)
BLACK_MIN=10   # s of black hole at least, feature off (DPD: 5 s + ~12 s of retransmits)
DPD_MAX=60     # s to wait for DPD to end it
SPIGOT_ROW='^[0-9]+ +192\.0\.2\.1/4500 +192\.0\.2\.2/4500 +none/none +READY$'

spigot_ready() { cli r1 show crypto ikev2 sa | grep -qE "$SPIGOT_ROW"; }
spigot_has_child() { cli r1 show crypto ipsec sa | grep -qE 'spi: 0x[0-9A-F]+\('; }
spigot_ike_rows() { cli r1 show crypto ikev2 sa | grep -cE '192\.0\.2\.2/(500|4500)'; }
replies() { nsx "$1" ping -n -c 5 -W 2 -i 0.2 "$2" 2>&1 | sed -nE 's/.* ([0-9]+) received.*/\1/p'; }
# new_swan_log: what charon logged since the restart (line $SWAN_L0 on).
new_swan_log() { tail -n +"$((SWAN_L0 + 1))" "$T/r2-charon.log"; }
swan_logged() { new_swan_log | grep -qE "$1"; }
# first_after T: wall-clock time of h1's first datagram received after T.
first_after() { awk -v t="$1" '$2 > t {print $2; exit}' "$T/udp-rx.log"; }
received_after() { [ -n "$(first_after "$1")" ]; }
# ctr TEXT LABEL: the number after "LABEL" in a show's row.
ctr() { sed -nE "s/^ +$2 +([0-9]+)$/\1/p" <<<"$1" | head -1; }

pings_both() {
	local what=$1 a b pid
	replies h2 "$H1_IP" >"$T/replies-b" & # both ways at once
	pid=$!
	a=$(replies h1 "$H2_IP")
	wait "$pid"
	b=$(cat "$T/replies-b")
	[ "${a:-0}" -ge 4 ] && [ "${b:-0}" -ge 4 ] || fail "$what: pings h1->h2 ${a:-0}/5, h2->h1 ${b:-0}/5"
	echo "$a/5 $b/5"
}

# up MODE: topology, spigot (recovery on or off), strongSwan initiating; the
# Child SA up and pings both ways.  Sets CFG and OLD (strongSwan's out SPI).
up() {
	local mode=$1 extra=
	[ "$mode" = on ] && extra='crypto isakmp invalid-spi-recovery'
	topo_up
	topo_router_bare r1
	CFG=$(spigot_conf2 r1 ike="$IKE" esp="$ESP" extra="$extra")
	topo_spigotd_start r1 "$CFG"
	# off waits for strongSwan's DPD to give up: its retransmissions 1 s
	# apart at first (1, 1.8, 3.2, then 5.8 s to give up: ~12 s, not ~24).
	local swx=
	[ "$mode" = off ] && swx="retransmit_timeout = $SWAN_RTX_OFF"
	SWAN_CHARON_EXTRA=$swx swan_router r2 version=2 initiator=yes ike="$IKE" esp="$ESP" dpd_delay="$DPD_DELAY" dpd_action=restart
	wait_for 15 spigot_ready || { cli r1 show crypto ikev2 sa >&2; tail -30 "$T/r2-charon.log" >&2; fail "$mode: spigot has no READY IKE SA"; }
	swan_wait_child r2 10
	wait_for 5 spigot_has_child || fail "$mode: no Child SA in spigot"
	local p
	p=$(pings_both "$mode: before the restart") || exit 1
	OLD=$(swan_spis r2 | awk '$1 == "out" {print $2}')
	[ -n "$OLD" ] || fail "$mode: strongSwan has no outbound SPI"
	note "$mode: IKE SA $(swan_ike_spis r2) up, strongSwan sends on SPI $OLD; pings $p"
}

# restart: only h2 sends from here on; spigot is killed and started again.
# Sets T_START and SWAN_L0.
restart() {
	local mode=$1 secs=$2
	: >"$T/udp-rx.log"
	nsx h1 timeout $((secs + 5)) "$PY" "$UDPS" recv 5001 "$secs" "$T/udp-rx.log" &
	_pids+=($!)
	disown # topo_down kills it: no "Terminated" notice
	sleep 0.3
	nsx h2 timeout $((secs + 5)) "$PY" "$UDPS" send "$H1_IP" 5001 20 $((secs * 50)) &
	_pids+=($!)
	disown
	wait_for 5 received_after 0 || fail "$mode: h2's UDP stream does not reach h1 before the restart"
	SWAN_L0=$(wc -l <"$T/r2-charon.log")
	kill -9 "$PID_r1"
	wait "$PID_r1" 2>/dev/null
	topo_forget_pid "$PID_r1"
	sleep 1
	T_START=$(date +%s.%N)
	topo_spigotd_start r1 "$CFG"
}

secs_between() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b - a}'; }

mode_on() {
	local what="feature on"
	note "== $what: spigot restarts, Invalid SPI Recovery over IKEv2"
	up on
	restart on 30
	wait_for 10 grep -q 'RECVD_PKT_INV_SPI' "$T/r1.log" || fail "$what: the restarted spigot logged no invalid SPI"
	grep -qiE "RECVD_PKT_INV_SPI.*spi=0x0*${OLD#"${OLD%%[!0]*}"}\(" "$T/r1.log" ||
		fail "$what: the logged SPI is not strongSwan's old outbound $OLD: $(grep -m1 RECVD_PKT_INV_SPI "$T/r1.log")"
	wait_for "$RECOVER_MAX" received_after "$T_START" ||
		{ tail -30 "$T/r1.log" >&2; new_swan_log | tail -30 >&2; fail "$what: h2's stream did not reach h1 within $RECOVER_MAX s of spigot's start"; }
	local first back
	first=$(first_after "$T_START")
	back=$(secs_between "$T_START" "$first")
	awk -v b="$back" -v m="$RECOVER_MAX" 'BEGIN {exit !(b <= m)}' || fail "$what: h2's stream back only $back s after spigot's start"
	wait_for 5 grep -q 'ISR_NOTIFY_SENT' "$T/r1.log" || fail "$what: spigot logged no INVALID_SPI sent"
	grep -q 'ISR_INITIATE: .*IKEv2' "$T/r1.log" || fail "$what: spigot did not log an IKEv2 recovery initiation"
	wait_for 5 spigot_ready || fail "$what: spigot has no READY IKE SA after the recovery"

	# strongSwan's side: spigot's IKE_AUTH carried INITIAL_CONTACT, and
	# strongSwan dropped the IKE_SA (and CHILD_SA) the crash left behind.
	swan_logged 'parsed IKE_AUTH request 1 \[ .*N\(INIT_CONTACT\)' ||
		{ new_swan_log >&2; fail "$what: strongSwan did not receive INITIAL_CONTACT in spigot's IKE_AUTH"; }
	wait_for 5 swan_logged "destroying duplicate IKE_SA for peer '$R1_WAN_IP', received INITIAL_CONTACT" ||
		{ new_swan_log >&2; fail "$what: strongSwan did not drop its old IKE_SA on INITIAL_CONTACT"; }
	wait_for 5 swan_logged 'parsed INFORMATIONAL request [0-9]+ \[ N\(INVAL_SPI\) \]' ||
		{ new_swan_log >&2; fail "$what: strongSwan got no protected INVALID_SPI"; }
	new_swan_log | grep -E 'INITIAL_CONTACT|INIT_CONTACT|INVAL_SPI|INVALID_SPI|CHILD_SA .*established|deleting|destroying' >"$T/r2-restart-on.log"
	local ike_sw ike_sp new
	ike_sw=$(swan_ike_spis r2)
	[ "$(wc -l <<<"$ike_sw")" = 1 ] || fail "$what: strongSwan has more than one IKE SA: $ike_sw"
	[ "$(spigot_ike_rows)" = 1 ] || { cli r1 show crypto ikev2 sa >&2; fail "$what: spigot has more than one IKE SA row"; }
	ike_sp=$(cli r1 show crypto ikev2 sa detailed)
	expect_in "$ike_sp" 'Initiator of SA : Yes' "$what: the recovery IKE SA was not spigot's"
	new=$(swan_spis r2 | awk '$1 == "out" {print $2}')
	[ -n "$new" ] && [ "$new" != "$OLD" ] && [ "$(wc -l <<<"$new")" = 1 ] ||
		{ swanctl_in r2 --list-sas >&2; fail "$what: strongSwan's outbound CHILD_SA is not one new SA ($OLD -> $new)"; }

	# spigot's counters.
	local isr st
	isr=$(cli r1 show crypto isakmp invalid-spi-recovery)
	printf '%s\n' "$isr" >"$T/isr-on.txt"
	expect_in "$isr" '^Invalid SPI recovery: enabled$' "$what: feature not shown enabled"
	expect_in "$isr" '^  ESP: [1-9][0-9]*, AH: 0 \(UDP-encapsulated: [1-9][0-9]*\)$' "$what: the invalid SPIs are not counted as UDP-encapsulated ESP"
	expect_in "$isr" '^  IKE SAs initiated for recovery: 1 \(failed: 0, ' "$what: not exactly one recovery IKE SA"
	expect_in "$isr" '^  IKEv2 peers: IKE SAs initiated 1, INVALID_SPI notifies sent [1-9]' "$what: the IKEv2 share is not counted"
	expect_in "$isr" '^  Dropped, no IKE SA and recovery disabled: 0$' "$what: drops counted as feature-off"
	st=$(cli r1 show crypto ikev2 stats)
	printf '%s\n' "$st" >"$T/stats-on.txt"
	[ "$(ctr "$st" 'IKE SAs opened without traffic \(recovery, contact on start\)')" = 1 ] ||
		{ printf '%s\n' "$st" >&2; fail "$what: show crypto ikev2 stats: not one IKE SA opened without traffic"; }
	[ "$(ctr "$st" 'INVALID_SPI sent')" -ge 1 ] || fail "$what: show crypto ikev2 stats: no INVALID_SPI sent"
	[ "$(ctr "$st" 'INITIAL_CONTACT sent')" = 1 ] || fail "$what: show crypto ikev2 stats: INITIAL_CONTACT sent is not 1"
	[ "$(ctr "$st" 'acquires \(traffic without an SA\)')" = 0 ] ||
		fail "$what: spigot saw an acquire: something on h1's side sent"

	local p
	p=$(pings_both "$what: after the recovery") || exit 1
	note "ok: h2's stream back ${back} s after spigot's start (nothing from h1); strongSwan: $(tr '\n' '|' <"$T/r2-restart-on.log" | cut -c1-400)"
	note "ok: SPI $OLD -> $new; pings afterwards $p"
	topo_down
}

mode_off() {
	local what="feature off"
	note "== $what: spigot restarts, no recovery: the black hole until strongSwan's DPD"
	up off
	restart off $((DPD_MAX + 10))
	# Poll: when strongSwan's DPD gives up, and when h2's stream is back.
	local end=$((SECONDS + DPD_MAX)) t_dpd='' first=''
	while [ $SECONDS -le $end ]; do
		[ -n "$t_dpd" ] || ! swan_logged 'giving up after [0-9]+ retransmits' || t_dpd=$(date +%s.%N)
		first=$(first_after "$T_START")
		[ -z "$first" ] || break
		sleep 0.2
	done
	[ -n "$first" ] || { new_swan_log | tail -30 >&2; fail "$what: h2's stream not back within $DPD_MAX s of the restart"; }
	[ -n "$t_dpd" ] || { new_swan_log >&2; fail "$what: traffic came back before strongSwan's DPD gave up: something else recovered it"; }
	local black after_dpd
	black=$(secs_between "$T_START" "$first")
	after_dpd=$(secs_between "$t_dpd" "$first")
	awk -v b="$black" -v m="$BLACK_MIN" 'BEGIN {exit !(b >= m)}' || fail "$what: black for only $black s"
	# t_dpd is seen up to one 0.2 s poll late.
	awk -v a="$after_dpd" 'BEGIN {exit !(a >= -0.5)}' || fail "$what: traffic back $after_dpd s before DPD gave up"
	grep -q 'RECVD_PKT_INV_SPI' "$T/r1.log" || fail "$what: the restarted spigot logged no invalid SPI"
	swan_logged 'restarting CHILD_SA tun' || { new_swan_log >&2; fail "$what: strongSwan's dpd_action did not restart the CHILD_SA"; }
	new_swan_log | grep -E 'retransmit|giving up|restarting|INIT_CONTACT|INVAL|establish|deleting|destroying' >"$T/r2-restart-off.log"
	wait_for 5 spigot_ready || fail "$what: no READY IKE SA after DPD"

	local isr st
	isr=$(cli r1 show crypto isakmp invalid-spi-recovery)
	printf '%s\n' "$isr" >"$T/isr-off.txt"
	expect_in "$isr" '^Invalid SPI recovery: disabled$' "$what: feature not shown disabled"
	expect_in "$isr" '^  Dropped, no IKE SA and recovery disabled: [1-9][0-9]*$' "$what: the drops are not counted"
	expect_in "$isr" '^  IKE SAs initiated for recovery: 0 ' "$what: a recovery IKE SA with the feature off"
	expect_in "$isr" '^  IKEv2 peers: IKE SAs initiated 0, INVALID_SPI notifies sent 0$' "$what: IKEv2 recovery with the feature off"
	st=$(cli r1 show crypto ikev2 stats)
	printf '%s\n' "$st" >"$T/stats-off.txt"
	[ "$(ctr "$st" 'IKE SAs opened without traffic \(recovery, contact on start\)')" = 0 ] ||
		fail "$what: show crypto ikev2 stats: an IKE SA opened without traffic"
	[ "$(ctr "$st" 'INVALID_SPI sent')" = 0 ] || fail "$what: show crypto ikev2 stats: INVALID_SPI sent"
	# strongSwan's liveness checks (and their retransmissions) name an IKE
	# SA the restarted spigot does not have: dropped and counted, unanswered.
	[ "$(ctr "$st" 'no IKE SA \(unknown SPIs\)')" -ge 1 ] ||
		{ printf '%s\n' "$st" >&2; fail "$what: strongSwan's DPD checks not counted as for an unknown IKE SA"; }
	expect_in "$(cli r1 show crypto ikev2 sa detailed)" 'Initiator of SA : No' "$what: the new IKE SA was not strongSwan's"
	local dropped p
	dropped=$(sed -nE 's/^  Dropped, no IKE SA and recovery disabled: ([0-9]+)$/\1/p' <<<"$isr")
	p=$(pings_both "$what: after DPD") || exit 1
	note "ok: black for $black s after spigot's start ($dropped ESP dropped and counted), back $after_dpd s after strongSwan's DPD gave up; pings afterwards $p"
	note "strongSwan: $(tr '\n' '|' <"$T/r2-restart-off.log" | cut -c1-500)"
	topo_down
}

for m in $MODES; do
	case $m in
	on) mode_on ;;
	off) mode_off ;;
	*) fail "MODES: unknown mode $m" ;;
	esac
done
echo "interop_ikev2_restart: ok ($MODES)"
