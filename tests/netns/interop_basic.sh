#!/usr/bin/env bash
# spigot (r1) against strongSwan 5.9.8 with kernel-libipsec (r2), IKEv1 Main
# Mode PSK.  libipsec only does UDP-encapsulated ESP and fakes NAT detection,
# so every case runs over NAT-T: NAT-D mismatch, IKE floats to 4500, Quick
# Mode agrees on UDP-Encapsulated-Tunnel, ESP in UDP 4500 both ways.
#
# ROLE=initiator (default): h1's traffic makes spigot initiate.
# ROLE=responder: strongSwan initiates (start_action = start).
# For each proposal (IKE / ESP):
#   aes128-sha1-modp2048 / aes128-sha1; aes256-sha256-modp2048 / aes256-sha256;
#   3des-md5-modp1024 / 3des-md5; aes128-sha256-ecp256 / aes128gcm16
# it checks: h1 <-> h2 pings (>= 4 of 5 each way), spigot's show crypto
# ipsec sa (UDP-Encaps, current_peer 192.0.2.2:4500, the SPIs strongSwan
# reports crosswise), show crypto isakmp sa (QM_IDLE, N in Cap.), swanctl's
# TUNNEL-in-UDP, and a WAN capture: IKE on 500 then 4500, ESP only inside
# UDP 4500 (no proto 50), and tshark finds nothing malformed.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib.sh"
. "$TOP/tests/netns/lib-topo.sh"
. "$TOP/tests/netns/lib-strongswan.sh"
. "$TOP/tests/netns/lib-spigot.sh"

swan_need
need_cmd ping
need_cmd tcpdump
need_cmd tshark
[ -x "$SPIGOTD" ] || skip "no spigotd at $SPIGOTD (make asan)"

ROLE=${ROLE:-initiator}
CASES=${CASES:-"aes128-sha1-modp2048/aes128-sha1 aes256-sha256-modp2048/aes256-sha256 3des-md5-modp1024/3des-md5 aes128-sha256-ecp256/aes128gcm16"}

# strongSwan's IKEv1 proposal carries reauth + over time (86400 s + 10 % by
# default); IOS accepts only a lifetime up to its own (86400 s), so keep
# strongSwan's below it.  Likewise for the CHILD_SA (IOS 3600 s).
SWAN_LIFE="ike_rekey=72000 ike_life=80000 child_rekey=3000 child_life=3300"

replies() {
	nsx "$1" ping -n -c 5 -W 2 -i 0.2 "$2" 2>&1 | sed -nE 's/.* ([0-9]+) received.*/\1/p'
}

run_case() {
	local ike=$1 esp=$2
	note "== $ROLE $ike / $esp"
	topo_up
	local pcap=$T/wan-$ike.pcap
	topo_router_bare r1
	ip netns exec "$NS_R1" timeout 60 tcpdump -i "$R1_WAN" -n -U --immediate-mode -s 0 -c 3000 -w "$pcap" \
		'udp port 500 or udp port 4500 or ip proto 50' >"$T/tcpdump.out" 2>&1 &
	local tcpdump_pid=$!
	_pids+=("$tcpdump_pid")
	wait_for 5 grep -q 'listening on' "$T/tcpdump.out" || fail "tcpdump did not start"
	local f
	f=$(spigot_conf r1 ike="$ike" esp="$esp")
	topo_spigotd_start r1 "$f"
	if [ "$ROLE" = initiator ]; then
		swan_router r2 initiator=no ike="$ike" esp="$esp" $SWAN_LIFE
		topo_wait_ping h1 "$H2_IP" 20 || { tail -30 "$T/r2-charon.log" >&2; fail "$ike/$esp: no tunnel (spigot initiating)"; }
	else
		swan_router r2 initiator=yes ike="$ike" esp="$esp" $SWAN_LIFE
		swan_wait_child r2 20
		topo_wait_ping h2 "$H1_IP" 10 || fail "$ike/$esp: no tunnel (strongSwan initiating)"
	fi
	local a b pid
	replies h2 "$H1_IP" >"$T/replies-b" & # both ways at once
	pid=$!
	a=$(replies h1 "$H2_IP")
	wait "$pid"
	b=$(cat "$T/replies-b")
	[ "${a:-0}" -ge 4 ] && [ "${b:-0}" -ge 4 ] || fail "$ike/$esp: pings h1->h2 $a/5, h2->h1 $b/5"

	local sa isa swan
	sa=$(cli r1 show crypto ipsec sa)
	isa=$(cli r1 show crypto isakmp sa detail)
	swan=$(swanctl_in r2 --list-sas)
	printf '%s\n%s\n%s\n' "$sa" "$isa" "$swan" >>"$T/shows.log"
	expect_in "$sa" 'current_peer: 192\.0\.2\.2:4500' "$ike/$esp: show crypto ipsec sa: peer port"
	expect_in "$sa" 'in use settings =\{Tunnel UDP-Encaps, \}' "$ike/$esp: show crypto ipsec sa: not UDP-Encaps"
	expect_in "$isa" 'QM_IDLE|192\.0\.2\.2' "$ike/$esp: no IKE SA"
	grep -E '^ */ +[0-9]+ .*192\.0\.2\.2' <<<"$isa" | grep -qE 'N$' ||
		fail "$ike/$esp: show crypto isakmp sa detail: no N (NAT-T) in Cap."
	expect_in "$swan" 'INSTALLED, TUNNEL-in-UDP' "$ike/$esp: strongSwan's CHILD_SA is not ESP-in-UDP"
	local sin sout
	sin=$(swan_spis r2 | awk '$1 == "in" {print $2}')
	sout=$(swan_spis r2 | awk '$1 == "out" {print $2}')
	[ -n "$sin" ] && [ -n "$sout" ] || fail "$ike/$esp: strongSwan has no SPIs"
	# Our outbound is its inbound and back (IOS prints %X: no leading zeros).
	grep -qiE "current outbound spi: (0x)?0*${sin#"${sin%%[!0]*}"}\b" <<<"$sa" ||
		fail "$ike/$esp: spigot's outbound SPI is not strongSwan's inbound $sin"
	grep -qiE "spi: 0x0*${sout#"${sout%%[!0]*}"}\(" <<<"$sa" || fail "$ike/$esp: spigot has no inbound SA with strongSwan's outbound $sout"

	kill "$tcpdump_pid" 2>/dev/null
	wait "$tcpdump_pid" 2>/dev/null
	# One tshark pass (it takes ~0.6 s to start) gives every count below: each
	# is the number of packets the display filter in its comment matches (a
	# field that occurs more than once matches if any occurrence does; a
	# protocol matches if frame.protocols lists it; udp port 4500 dissects as
	# udpencap by default, the -d only says so).
	tshark -n -r "$pcap" -d udp.port==4500,udpencap -T fields -E separator=/t -E occurrence=a -E aggregator=, \
		-e _ws.malformed -e _ws.expert.severity -e ip.proto -e udp.port -e frame.protocols \
		>"$T/fields.tsv" 2>"$T/tshark.err" || { cat "$T/tshark.err" >&2; fail "tshark failed"; }
	local bad n500 n4500 nesp n50
	read -r bad n500 n4500 nesp n50 < <(awk -F'\t' '
		function any(list, v, sep,   a, i, k) { k = split(list, a, sep); for (i = 1; i <= k; i++) if (a[i] == v) return 1; return 0 }
		function anyge(list, v,   a, i, k) { k = split(list, a, ","); for (i = 1; i <= k; i++) if (a[i] + 0 >= v) return 1; return 0 }
		{
			bad += $1 != "" || anyge($2, 8388608)   # _ws.malformed || _ws.expert.severity >= error (PI_ERROR)
			isakmp = any($5, "isakmp", ":"); esp = any($5, "esp", ":")
			n500 += any($4, "500", ",") && isakmp   # udp.port == 500 && isakmp
			n4500 += any($4, "4500", ",") && isakmp # udp.port == 4500 && isakmp
			nesp += any($4, "4500", ",") && esp     # udp.port == 4500 && esp
			n50 += any($3, "50", ",")               # ip.proto == 50
		}
		END { print bad + 0, n500 + 0, n4500 + 0, nesp + 0, n50 + 0 }' "$T/fields.tsv")
	if [ "$bad" != 0 ]; then
		tshark -n -r "$pcap" -d udp.port==4500,udpencap -Y '_ws.malformed || _ws.expert.severity >= error' >&2 2>/dev/null
		fail "$ike/$esp: tshark finds malformed packets"
	fi
	[ "$n500" -eq 4 ] || fail "$ike/$esp: $n500 ISAKMP messages on 500 (want MM1-MM4)"
	[ "$n4500" -ge 5 ] || fail "$ike/$esp: $n4500 ISAKMP messages on 4500 (want MM5, MM6, QM1-3)"
	[ "$nesp" -ge 20 ] || fail "$ike/$esp: only $nesp ESP-in-UDP packets"
	[ "$n50" -eq 0 ] || fail "$ike/$esp: $n50 bare ESP packets (proto 50)"
	note "ok: pings $a/5 $b/5, ISAKMP 500:$n500 4500:$n4500, ESP-in-UDP $nesp"
	topo_down
}

for c in $CASES; do
	run_case "${c%/*}" "${c#*/}"
done
echo "interop_basic ($ROLE): ok"
