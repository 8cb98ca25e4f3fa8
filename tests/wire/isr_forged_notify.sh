#!/usr/bin/env bash
# A forged, UNPROTECTED INVALID-SPI notify changes nothing (DESIGN: the sender
# acts only on a notify inside an authenticated IKE SA; cf. Libreswan
# CVE-2019-10155).  Built with scapy: ISAKMP Informational (exchange 5),
# flags 0 (not encrypted, no HASH), Notification DOI 1, protocol ESP (3) or
# AH (2), SPI size 4, type 11, SPI = one of A's real outbound SPIs; claimed
# from 10.2.2.2:500 (A's real peer) to 10.1.1.1:500, injected through A's
# inside LAN.  Once with the cookies of A's real IKE SA (read off the A-B
# cable with tcpdump), once with random cookies.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/isr-lib.bash"
$PY -c 'import scapy.layers.isakmp' 2>/dev/null || skip "needs python3-scapy"

isr_lab_init
real_cookies=no
if [ "$(id -u)" = 0 ] && command -v tcpdump >/dev/null; then
	# The cable is udp on loopback: BASE (A) <-> BASE+1 (B).
	timeout -k 2 40 tcpdump -i lo -n -U --immediate-mode -w "$T/cable.pcap" "udp and port $BASE and port $((BASE + 1))" \
		>/dev/null 2>"$T/tcpdump.err" &
	tcpdump_pid=$!
	on_cleanup "kill $tcpdump_pid"
	wait_for 5 grep -q 'listening on' "$T/tcpdump.err" || fail "tcpdump did not start"
	real_cookies=yes
else
	note "not root or no tcpdump: random cookies only"
fi
isr_up
up_tunnel
if [ $real_cookies = yes ]; then
	sleep 0.3
	kill "$tcpdump_pid" 2>/dev/null
	wait "$tcpdump_pid" 2>/dev/null
	cookies=$($PY "$INJECT" cookies "$T/cable.pcap") || fail "no Main Mode cookies on the cable"
	read -r icookie rcookie <<<"$cookies"
	note "A's IKE SA cookies: $icookie $rcookie"
fi

sa0=$(spis A)
esp=$(spi_of "$sa0" out_esp) ah=$(spi_of "$sa0" out_ah)
[ -n "$esp" ] && [ -n "$ah" ] || fail "A has no outbound SAs"
ikeA() { x A show crypto isakmp stats; }
unprot() { num "$(ikeA)" 'unprotected notify/delete ignored +([0-9]+)'; }
u0=$(unprot) ca0=$(isr A)
[ -n "$u0" ] || fail "no 'unprotected notify/delete ignored' counter in show crypto isakmp stats"

forge() {
	$PY "$INJECT" notify --far "$A_FAR" --port "$A_IN" --src 10.2.2.2 --dst 10.1.1.1 "$@" --linger 0.3 \
		>>"$T/forge.json" || fail "injector failed: $*"
}
if [ $real_cookies = yes ]; then
	# What we inject, for tshark's independent reading of the forgeries.
	timeout -k 2 30 tcpdump -i lo -n -U --immediate-mode -w "$T/lan.pcap" "udp and port $A_IN and port $A_FAR" \
		>/dev/null 2>"$T/tcpdump2.err" &
	tcpdump2_pid=$!
	on_cleanup "kill $tcpdump2_pid"
	wait_for 5 grep -q 'listening on' "$T/tcpdump2.err" || fail "tcpdump did not start"
fi
n=0
if [ $real_cookies = yes ]; then
	forge --spi "$esp" --proto 3 --cookies "$icookie:$rcookie"
	forge --spi "$ah" --proto 2 --cookies "$icookie:$rcookie"
	n=$((n + 2))
fi
forge --spi "$esp" --proto 3 --cookies random
forge --spi "$ah" --proto 2 --cookies random
n=$((n + 2))

if [ $real_cookies = yes ] && command -v tshark >/dev/null; then
	sleep 0.3
	kill "$tcpdump2_pid" 2>/dev/null
	wait "$tcpdump2_pid" 2>/dev/null
	# tshark reads the UDP payload as IPv4: each forgery must be an
	# unencrypted Informational with Notify INVALID-SPI for A's real SPI.
	got=$(tshark -r "$T/lan.pcap" -d "udp.port==$A_IN,ip" \
		-Y 'isakmp.exchangetype == 5 && isakmp.flags == 0 && isakmp.notify.msgtype == 11 && isakmp.notify.doi == 1 && isakmp.spisize == 4' \
		-T fields -e isakmp.ispi -e isakmp.notify.protoid -e isakmp.spi 2>/dev/null)
	# show prints SPIs without leading zeros, tshark with all eight digits.
	esp8=$(printf '%08x' "0x$esp") ah8=$(printf '%08x' "0x$ah")
	printf '%s\n' "$got" | grep -qi "^$icookie	3	$esp8\$" || { printf '%s\n' "$got" >&2; fail "tshark: no ESP INVALID-SPI forgery with A's cookies"; }
	printf '%s\n' "$got" | grep -qi "^$icookie	2	$ah8\$" || { printf '%s\n' "$got" >&2; fail "tshark: no AH INVALID-SPI forgery with A's cookies"; }
	[ "$(printf '%s\n' "$got" | grep -c .)" = "$n" ] || { printf '%s\n' "$got" >&2; fail "tshark: not $n forgeries on the wire"; }
	bad=$(tshark -r "$T/lan.pcap" -d "udp.port==$A_IN,ip" -Y '_ws.malformed || _ws.expert.severity >= warning' 2>/dev/null)
	[ -z "$bad" ] || { echo "$bad" >&2; fail "tshark flags the forgeries as malformed"; }
fi

# The forgeries reached A's IKE (the counter proves they were not lost on
# the way) and were thrown away.
wait_for 3 test "$(unprot)" -ge $((u0 + n)) ||
	{ ikeA >&2; fail "A's IKE did not count $n unprotected Informationals as ignored ($u0 -> $(unprot))"; }
[ "$(unprot)" = $((u0 + n)) ] || fail "A counted more unprotected Informationals than were forged"
grep -qE '%CRYPTO-4-IKMP_BAD_MESSAGE: IKE message from 10\.2\.2\.2 dropped: unprotected Informational' "$LAB/run/A.log" ||
	fail "A did not log that it ignored an unprotected notify"
ca=$(isr A)
[ "$(ctr "$ca" acted)" = "$(ctr "$ca0" acted)" ] || { printf '%s\n' "$ca" >&2; fail "A ACTED on a forged notify"; }
# Recovery's own counter shows the forgeries too, as an operator would look.
[ "$(ctr "$ca" unauth)" = $(($(ctr "$ca0" unauth) + n)) ] ||
	{ printf '%s\n' "$ca" >&2; fail "show crypto isakmp invalid-spi-recovery does not count the $n forgeries as unauthenticated"; }
grep -q 'ISR_SA_DELETED' "$LAB/run/A.log" && fail "A deleted SAs because of a forged notify"
[ "$(spis A)" = "$sa0" ] || { spis A >&2; fail "A's SAs changed after the forged notifies"; }
qm_idle A || fail "A lost its IKE SA"

# Traffic still flows on the very same SAs.
out=$(x A ping 10.0.2.2 source 10.0.0.1 repeat 10)
[ "$(ping_ok "$out")" = 10 ] || { printf '%s\n' "$out" >&2; fail "the tunnel broke"; }
[ "$(spis A)" = "$sa0" ] || fail "A's SAs were renegotiated"
[ "$(spi_of "$(spis B)" in_esp)" = "$esp" ] || fail "B's SAs changed"

isr_finish
exit 0
