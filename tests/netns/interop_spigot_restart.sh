#!/usr/bin/env bash
# spigot (r1) is killed (-9) and started again from its config while only
# the strongSwan side (r2: the initiator, start_action = start, DPD 10 s /
# 30 s, dpd_action = restart) sends: h2 pings h1 every 50 ms and streams
# one-way UDP to h1 (h1 never sends anything).
#
# The fresh spigot receives ESP in UDP for SPIs it no longer knows: it logs
# %CRYPTO-4-RECVD_PKT_INV_SPI (counted as UDP-encapsulated), and Invalid SPI
# Recovery opens an IKE SA to the static peer (Main Mode with INITIAL-CONTACT,
# floating to 4500) and sends INVALID-SPI over it.  strongSwan 5.9 answers
# Main Mode, destroys its old IKE_SA and CHILD_SA on INITIAL-CONTACT
# ("destroying duplicate IKE_SA"), logs the INVALID-SPI notify and ignores
# it; it does not renegotiate the CHILD_SA itself (start_action acts at load,
# dpd_action only when DPD fails, and DPD succeeds over the new IKE SA).
# Before issue 12 that left h2 cut off until h1 spoke.  Now spigot's phase-2
# restore runs Quick Mode itself right after the recovery IKE SA: strongSwan
# installs the CHILD_SA and h2's ping and UDP stream get through with no
# packet from h1's side.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib.sh"
. "$TOP/tests/netns/lib-topo.sh"
. "$TOP/tests/netns/lib-strongswan.sh"
. "$TOP/tests/netns/lib-spigot.sh"
swan_need
need_cmd ping
[ -x "$SPIGOTD" ] || skip "no spigotd at $SPIGOTD (make asan)"
PY=/usr/bin/python3
[ -x "$PY" ] || skip "needs $PY"
UDPS=$TOP/tests/netns/udpstream.py

topo_up
cfg=$(spigot_conf r1 recovery=yes)
topo_router_bare r1
topo_spigotd_start r1 "$cfg"
swan_router r2 initiator=yes ike_rekey=72000 ike_life=80000 dpd_delay=10 dpd_timeout=30 dpd_action=restart
swan_wait_child r2 20
topo_wait_ping h2 "$H1_IP" 10 || fail "no tunnel"
old=$(swan_spis r2 | awk '$1 == "out" {print $2}')

# Only h2 sends from here on: a ping every 50 ms and a UDP datagram every 20 ms.
nsx h1 timeout 40 "$PY" "$UDPS" recv 5001 30 "$T/udp-rx.log" &
_pids+=($!)
sleep 0.3
nsx h2 timeout 40 "$PY" "$UDPS" send "$H1_IP" 5001 20 1200 &
_pids+=($!)
nsx h2 timeout 40 ping -n -D -i 0.05 -W 1 -c 500 "$H1_IP" >"$T/ping-bg.log" 2>&1 &
_pids+=($!)
sleep 1
kill -9 "$PID_r1"
wait "$PID_r1" 2>/dev/null
topo_forget_pid "$PID_r1"
sleep 1
t_restart=$(date +%s.%N)
topo_spigotd_start r1 "$cfg"
wait_for 10 grep -q 'RECVD_PKT_INV_SPI' "$T/r1.log" || fail "restarted spigot logged no invalid SPI"
wait_for 10 grep -q 'ISR_NOTIFY_SENT' "$T/r1.log" || fail "spigot's recovery sent no INVALID-SPI notify"
wait_for 5 grep -q 'destroying duplicate IKE_SA for peer .*received INITIAL_CONTACT' "$T/r2-charon.log" ||
	fail "strongSwan did not act on INITIAL-CONTACT"
wait_for 5 grep -q 'received INVALID_SPI error notify' "$T/r2-charon.log" || fail "strongSwan got no INVALID-SPI"
grep -qE 'IKMP_NAT_DETECTED' "$T/r1.log" || fail "recovery IKE SA did not detect the (faked) NAT"
wait_for 10 grep -q 'ISR_PHASE2_RESTORE' "$T/r1.log" || fail "spigot did not restore phase 2"

# h2's traffic gets through again with nothing at all from h1's side.
wait_for 10 grep -q "bytes from $H1_IP" <(sed -n '/icmp_seq/p' "$T/ping-bg.log" | awk -v t="$t_restart" '{ gsub(/[][]/, "", $1); if ($1 > t) print }') ||
	{ tail -30 "$T/r1.log" >&2; fail "h2's ping did not get through after the restart without h1 sending"; }
first_reply=$(sed -nE 's/^\[([0-9.]+)\].*bytes from.*/\1/p' "$T/ping-bg.log" | awk -v t="$t_restart" '$1 > t {print; exit}')
wait_for 5 awk -v t="$t_restart" '$2 > t {f=1} END {exit !f}' "$T/udp-rx.log" ||
	fail "h2's one-way UDP stream did not get through after the restart"
first_udp=$(awk -v t="$t_restart" '$2 > t {print $2; exit}' "$T/udp-rx.log")
wait_for 5 grep -qE 'CHILD_SA tun\{[0-9]+\} established' <(tail -n +1 "$T/r2-charon.log") || fail "no new CHILD_SA at strongSwan"

isr=$(cli r1 show crypto isakmp invalid-spi-recovery)
printf '%s\n' "$isr" >"$T/isr.txt"
grep -qE 'UDP-encapsulated: [1-9]' <<<"$isr" || { echo "$isr" >&2; fail "invalid SPIs not counted as UDP-encapsulated"; }
# The recovery IKE SA carried INITIAL-CONTACT: either trigger starts the restore.
grep -qE 'Restores started: ([1-9][0-9]* after recovery|[0-9]+ after recovery, [1-9][0-9]* after INITIAL-CONTACT)' <<<"$isr" ||
	{ echo "$isr" >&2; fail "restore not counted"; }
grep -qE 'Quick Modes started: [1-9]' <<<"$isr" || { echo "$isr" >&2; fail "restore Quick Mode not counted"; }
grep -qiE "spi=0x0*${old#"${old%%[!0]*}"}\(" "$T/r1.log" ||
	fail "the logged SPI is not strongSwan's old outbound $old"
new=$(swan_spis r2 | awk '$1 == "out" {print $2}')
[ -n "$new" ] && [ "$new" != "$old" ] || fail "no new CHILD_SA ($old -> $new)"
ping_out=$(awk -v a="$first_reply" -v b="$t_restart" 'BEGIN {printf "%.2f", a - b}')
udp_out=$(awk -v a="$first_udp" -v b="$t_restart" 'BEGIN {printf "%.2f", a - b}')
echo "interop_spigot_restart: ok (only h2 sends; first ping reply ${ping_out} s and first UDP datagram ${udp_out} s after spigot's start; SPI $old -> $new)"
