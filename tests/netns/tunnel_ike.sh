#!/usr/bin/env bash
# Two spigot routers (packet: ports on veths) build an IKEv1 tunnel between
# their LANs, and real Linux hosts behind them ping each other through it:
#
#   h1 10.0.1.10 -- r1 (spigotd) ==ESP over 192.0.2.0/24== r2 (spigotd) -- h2 10.0.2.10
#
# Once per ESP transform (esp-aes esp-sha-hmac, then esp-gcm 128):
#   - h1 -> h2 and h2 -> h1, ping -c 10 each: at least 9 replies each way;
#   - show crypto isakmp sa: QM_IDLE ACTIVE on both routers;
#   - show crypto ipsec sa: the transform, SPIs that pair up crosswise (r1's
#     outbound = r2's inbound and back), encaps/decaps grown by at least the
#     echoes that crossed, no send/recv errors;
#   - a capture on the WAN veth: ISAKMP Main Mode and Quick Mode, the proposal
#     spigot_conf configured in MM1, ESP (proto 50) carrying exactly the SPIs
#     the routers report with sequence numbers 1, 2, 3... per SA and whole
#     cipher blocks between IV and ICV, no cleartext packet of either LAN,
#     and tshark finds nothing malformed and no expert warning.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib.sh"
. "$TOP/tests/netns/lib-topo.sh"
. "$TOP/tests/netns/lib-spigot.sh"

need_root
need_cmd ip
need_cmd ping
need_cmd tcpdump
need_cmd tshark
[ -x "$SPIGOTD" ] || skip "no spigotd at $SPIGOTD (make asan)"
[ -x "$SPIGOT" ] || skip "no spigot at $SPIGOT (make asan)"

# sa_spis TEXT DIR [PROTO]: the SPIs (0x..., lower case) listed under
# "DIR PROTO sas:" (PROTO default esp) in show crypto ipsec sa.
sa_spis() {
	awk -v want="$2 ${3:-esp} sas:" '
		index($0, want) { on = 1; next }
		/ sas:$/ { on = 0 }
		on && $1 == "spi:" { s = $2; sub(/\(.*/, "", s); print s }
	' <<<"$1" | while read -r s; do printf '0x%08x\n' "$s"; done | sort -u
}

# cur_spi TEXT: "current outbound spi: 7AA69CB7" (IOS: hex, no 0x) as 0x%08x.
cur_spi() {
	local h
	h=$(sed -nE 's/^ *current outbound spi: (0x)?([0-9A-Fa-f]+).*/\2/p' <<<"$1" | head -1)
	[ -z "$h" ] || printf '0x%08x' "0x$h"
}

# sa_count TEXT WORD: the sum of "#pkts WORD: N" over every flow.
sa_count() {
	grep -oE "#pkts $2: [0-9]+" <<<"$1" | awk '{ n += $3 } END { print n + 0 }'
}

# pings FROM DST: runs ping -c 10 and prints how many replies came back.
pings() {
	local out
	out=$(nsx "$1" ping -n -c 10 -W 2 -i 0.2 "$2" 2>&1)
	printf '%s\n' "$out" >>"$T/ping.log"
	sed -nE 's/.* ([0-9]+) received.*/\1/p' <<<"$out"
}

# tsh PCAP ARGS...: tshark on a capture, checksums checked (so a bad one is an
# expert error); a bad filter is a test bug, not an empty result, so tshark's
# own failure fails the test.
tsh() {
	local f=$1 out
	shift
	out=$(tshark -n -r "$f" -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE \
		"$@" 2>"$T/tshark.err") || { cat "$T/tshark.err" >&2; fail "tshark $*"; }
	[ -z "$out" ] || printf '%s\n' "$out"
}

# run_case ESP_PROPOSAL IOS_TRANSFORM SHOWN IV ICV BLOCK: SHOWN is how show
# crypto ipsec sa names the transform (IOS says "esp-gcm" for "esp-gcm 128");
# IV, ICV and BLOCK are the ESP IV and ICV sizes and the block the encrypted
# part (payload, padding, pad length, next header) is a multiple of.
run_case() {
	local esp=$1 xf=$2 shown=$3 iv=$4 icv=$5 blk=$6
	note "== $xf"
	topo_up
	: >"$T/ping.log"

	# Capture r1's WAN from before the first IKE packet; -c and timeout bound it.
	topo_router_bare r1
	local pcap="$T/wan-${esp}.pcap"
	ip netns exec "$NS_R1" timeout 60 tcpdump -i "$R1_WAN" -n -U --immediate-mode -s 0 -c 5000 \
		-w "$pcap" >"$T/tcpdump.out" 2>&1 &
	local tcpdump_pid=$!
	_pids+=("$tcpdump_pid")
	wait_for 5 grep -q 'listening on' "$T/tcpdump.out" || fail "tcpdump did not start"

	spigot_router r1 esp="$esp"
	spigot_router r2 esp="$esp"
	grep -q "^crypto map CM 10 ipsec-isakmp" "$T/spigot-r1.cfg" || fail "config is not an IKE crypto map"
	grep -q "^crypto ipsec transform-set TS $xf\$" "$T/spigot-r1.cfg" || fail "config lacks transform-set TS $xf"

	# The first packet that matches the crypto map starts IKE; bounded.
	topo_wait_ping h1 "$H2_IP" 20 || {
		cat "$T/r1.log" "$T/r2.log" >&2
		fail "$xf: no echo h1 -> h2 through the tunnel within 20 s"
	}

	local s1 s2 e1 e2 d1 d2
	s1=$(cli r1 show crypto ipsec sa) s2=$(cli r2 show crypto ipsec sa)
	e1=$(sa_count "$s1" encaps) d1=$(sa_count "$s1" decaps)
	e2=$(sa_count "$s2" encaps) d2=$(sa_count "$s2" decaps)

	local ra rb
	ra=$(pings h1 "$H2_IP")
	rb=$(pings h2 "$H1_IP")
	[ "${ra:-0}" -ge 9 ] || { cat "$T/ping.log" >&2; fail "$xf: h1 -> h2: ${ra:-0}/10 replies"; }
	[ "${rb:-0}" -ge 9 ] || { cat "$T/ping.log" >&2; fail "$xf: h2 -> h1: ${rb:-0}/10 replies"; }
	# Two routers, two hops: the replies left the far host with TTL 64.
	[ "$(grep -oE 'ttl=[0-9]+' "$T/ping.log" | sort -u)" = ttl=62 ] ||
		{ cat "$T/ping.log" >&2; fail "$xf: reply TTLs are not all 62"; }
	note "h1 -> h2 $ra/10, h2 -> h1 $rb/10"

	local r
	for r in r1 r2; do
		expect_in "$(cli $r show crypto isakmp sa)" \
			"^/? +192\.0\.2\.[12] +192\.0\.2\.[12] +QM_IDLE +[0-9]+ +[0-9]+ +ACTIVE" "$r: no IKE SA in QM_IDLE"
	done

	s1=$(cli r1 show crypto ipsec sa) s2=$(cli r2 show crypto ipsec sa)
	for r in 1 2; do
		local s=s$r
		expect_in "${!s}" "transform: $shown ," "r$r: transform $shown"
		expect_in "${!s}" "in use settings =\{Tunnel, \}" "r$r: tunnel mode"
		expect_in "${!s}" "#send errors 0, #recv errors 0" "r$r: send/recv errors"
		[ -z "$(sa_spis "${!s}" inbound ah)$(sa_spis "${!s}" outbound ah)" ] ||
			fail "r$r: AH SAs without AH in the transform set"
	done
	local in1 out1 in2 out2 cur1 cur2
	in1=$(sa_spis "$s1" inbound) out1=$(sa_spis "$s1" outbound)
	in2=$(sa_spis "$s2" inbound) out2=$(sa_spis "$s2" outbound)
	cur1=$(cur_spi "$s1") cur2=$(cur_spi "$s2")
	[ -n "$in1" ] && [ -n "$out1" ] && [ -n "$in2" ] && [ -n "$out2" ] ||
		{ echo "$s1" "$s2" >&2; fail "$xf: an ESP SA is missing (r1 in '$in1' out '$out1', r2 in '$in2' out '$out2')"; }
	[ "$out1" = "$in2" ] && [ "$out2" = "$in1" ] ||
		fail "$xf: SPIs do not pair up: r1 in $in1 out $out1, r2 in $in2 out $out2"
	[ "$cur1" = "$out1" ] || fail "$xf: r1 current outbound spi $cur1, outbound esp sas $out1"
	[ "$cur2" = "$out2" ] || fail "$xf: r2 current outbound spi $cur2, outbound esp sas $out2"

	# Every echo h1 sent was encapsulated by r1 and, if it came back, the
	# reply was decapsulated there; likewise for h2 and r2, and for the
	# far router's view of the other direction.
	local de1 dd1 de2 dd2
	de1=$(($(sa_count "$s1" encaps) - e1)) dd1=$(($(sa_count "$s1" decaps) - d1))
	de2=$(($(sa_count "$s2" encaps) - e2)) dd2=$(($(sa_count "$s2" decaps) - d2))
	note "r1 encaps +$de1 decaps +$dd1, r2 encaps +$de2 decaps +$dd2"
	[ "$de1" -ge $((10 + rb)) ] || fail "$xf: r1 encaps grew by $de1 for 10 echoes and $rb replies"
	[ "$de2" -ge $((10 + ra)) ] || fail "$xf: r2 encaps grew by $de2 for 10 echoes and $ra replies"
	[ "$dd1" -ge $((ra + rb)) ] || fail "$xf: r1 decaps grew by $dd1 for $ra replies and $rb echoes in"
	[ "$dd2" -ge $((ra + rb)) ] || fail "$xf: r2 decaps grew by $dd2 for $rb replies and $ra echoes in"
	[ "$(sa_count "$s1" encrypt)" = "$(sa_count "$s1" encaps)" ] || fail "$xf: r1 encaps != encrypt"
	[ "$(sa_count "$s2" verify)" = "$(sa_count "$s2" decaps)" ] || fail "$xf: r2 decaps != verify"

	# Stop the capture once the last reply is in the file.
	local want=$((2 * (ra + rb)))
	wait_for 5 sh -c "[ \$(tshark -n -r '$pcap' -Y esp 2>/dev/null | wc -l) -ge $want ]"
	kill "$tcpdump_pid" 2>/dev/null
	wait "$tcpdump_pid" 2>/dev/null
	topo_forget_pid "$tcpdump_pid"

	local bad n
	bad=$(tsh "$pcap" -Y '_ws.malformed || _ws.expert.severity >= warning')
	[ -z "$bad" ] || { echo "$bad" >&2; fail "$xf: tshark flags packets on the WAN"; }
	n=$(tsh "$pcap" -Y isakmp | wc -l)
	[ "$n" -gt 0 ] || fail "$xf: no ISAKMP on the WAN"
	n=$(tsh "$pcap" -Y 'isakmp.exchangetype == 2' | wc -l)
	[ "$n" -ge 6 ] || fail "$xf: $n Main Mode messages on the WAN, expected 6"
	n=$(tsh "$pcap" -Y 'isakmp.exchangetype == 32' | wc -l)
	[ "$n" -ge 3 ] || fail "$xf: $n Quick Mode messages on the WAN, expected 3"
	# MM1 (from r1, the initiator) proposes what spigot_conf wrote:
	# aes128-sha1-modp2048, pre-shared key.
	local mm1
	mm1=$(tsh "$pcap" -Y "isakmp.exchangetype == 2 && isakmp.flag_e == 0 && ip.src == $R1_WAN_IP && isakmp.rspi == 00:00:00:00:00:00:00:00" \
		-T fields -E separator=, -e isakmp.ike.attr.encryption_algorithm -e isakmp.ike.attr.key_length \
		-e isakmp.ike.attr.hash_algorithm -e isakmp.ike.attr.authentication_method -e isakmp.ike.attr.group_description | sort -u)
	[ "$mm1" = "7,128,2,1,14" ] || fail "$xf: MM1 proposes '$mm1', expected AES-CBC(7)/128/SHA(2)/PSK(1)/group 14"

	local esp12 esp21
	esp12=$(tsh "$pcap" -Y "esp && ip.src == $R1_WAN_IP && ip.dst == $R2_WAN_IP" -T fields -e esp.spi | sort -u)
	esp21=$(tsh "$pcap" -Y "esp && ip.src == $R2_WAN_IP && ip.dst == $R1_WAN_IP" -T fields -e esp.spi | sort -u)
	[ "$esp12" = "$out1" ] || fail "$xf: ESP r1 -> r2 on the wire carries SPIs '$esp12', r1 says $out1"
	[ "$esp21" = "$out2" ] || fail "$xf: ESP r2 -> r1 on the wire carries SPIs '$esp21', r2 says $out2"
	# RFC 4303: per SA, sequence numbers start at 1 and go up by one (a
	# veth loses nothing); the encrypted part is whole blocks.
	bad=$(tsh "$pcap" -Y esp -T fields -e esp.spi -e esp.sequence |
		awk '{ if ($2 != seq[$1] + 1) print "SPI " $1 ": sequence " $2 " after " seq[$1] + 0; seq[$1] = $2 }')
	[ -z "$bad" ] || fail "$xf: ESP sequence numbers: $(head -3 <<<"$bad")"
	bad=$(tsh "$pcap" -Y esp -T fields -e frame.number -e ip.len -e ip.hdr_len |
		awk -v iv="$iv" -v icv="$icv" -v blk="$blk" '{ e = $2 - $3 - 8 - iv - icv; if (e < 86 || e % blk) print "frame " $1 ": " e " encrypted bytes" }')
	[ -z "$bad" ] || fail "$xf: ESP not whole $blk-byte blocks with a $iv-byte IV and $icv-byte ICV: $(head -3 <<<"$bad")"
	n=$(tsh "$pcap" -Y 'ip.proto == 50' | wc -l)
	[ "$n" -ge "$want" ] || fail "$xf: $n ESP packets on the WAN for $((ra + rb)) echo/reply pairs"
	n=$(tsh "$pcap" -Y 'ah || ip.proto == 51' | wc -l)
	[ "$n" = 0 ] || fail "$xf: $n AH packets on the WAN without AH in the transform set"
	# Nothing of either LAN crosses in the clear (ip.addr also matches
	# headers quoted inside ICMP errors).
	bad=$(tsh "$pcap" -Y "ip.addr == $LAN1_NET || ip.addr == $LAN2_NET || icmp")
	[ -z "$bad" ] || { echo "$bad" >&2; fail "$xf: cleartext LAN traffic on the WAN"; }

	router_stop r1
	router_stop r2
	topo_forget_pid "$PID_r1"
	topo_forget_pid "$PID_r2"
	topo_down
}

run_case aes128-sha1 "esp-aes esp-sha-hmac" "esp-aes esp-sha-hmac" 16 12 16
run_case aes128gcm16 "esp-gcm 128" "esp-gcm" 8 16 4
exit 0
