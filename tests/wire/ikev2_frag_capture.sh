#!/usr/bin/env bash
# RFC 7383 between two spigot routers: the IKEv2 seed lab with `crypto
# ikev2 fragmentation mtu 200` on both, captured on loopback and read by
# tshark.  A's ping brings the SAs up; IKE_SA_INIT announces fragmentation
# both ways; IKE_AUTH goes in Encrypted Fragments, every one no bigger than
# the MTU, each reassembled by tshark; nothing malformed; the ping answers.
# Capturing on lo needs root.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
LAB=${LAB:-$TOP/labs/seed-ikev2}
need_root
need_cmd tcpdump
need_cmd tshark
[ -f "$LAB/router-a.cfg" ] || fail "no $LAB/router-a.cfg"
A2B=$(free_port); B2A=$(free_port); AIN=$(free_port); BIN=$(free_port); HA=$(free_port); HB=$(free_port)
for r in a b; do
	sed 's/^end$/crypto ikev2 fragmentation mtu 200\nend/' "$LAB/router-$r.cfg" >"$T/$r.cfg"
	grep -q '^crypto ikev2 fragmentation mtu 200$' "$T/$r.cfg" || fail "could not add the command to $r.cfg"
done
IFA_OUT=$(awk '/^interface/ {i=$2} /crypto map testtag1$/ {print i; exit}' "$T/a.cfg")
IFB_OUT=$(awk '/^interface/ {i=$2} /crypto map testtag1$/ {print i; exit}' "$T/b.cfg")
IFA_IN=$(awk '/^interface/ {i=$2} /ip address 10\.0\.0\.1 / {print i; exit}' "$T/a.cfg")
IFB_IN=$(awk '/^interface/ {i=$2} /ip address 10\.0\.2\.2 / {print i; exit}' "$T/b.cfg")

pcap=$T/link.pcap
timeout 60 tcpdump -i lo -n -U --immediate-mode -s 0 -c 2000 -w "$pcap" \
	"udp and (port $A2B or port $B2A)" >"$T/tcpdump.out" 2>&1 &
tcpdump_pid=$!
_pids+=("$tcpdump_pid")
wait_for 5 grep -q 'listening on' "$T/tcpdump.out" || fail "tcpdump did not start: $(cat "$T/tcpdump.out")"

router_start a "$T/a.cfg" --port "$IFA_OUT=udp:$A2B:127.0.0.1:$B2A" --port "$IFA_IN=udp:$AIN:127.0.0.1:$HA"
router_start b "$T/b.cfg" --port "$IFB_OUT=udp:$B2A:127.0.0.1:$A2B" --port "$IFB_IN=udp:$BIN:127.0.0.1:$HB"
out=$(cli a ping 10.0.2.2 source 10.0.0.1 repeat 5 timeout 2)
expect_in "$out" 'Success rate is 100 percent \(5/5\)' "ping over fragmented IKEv2 failed"
expect_in "$(cli a show crypto ikev2 sa detailed)" 'IETF Std Fragmentation MTU in use: 200 bytes' \
	"A: fragmentation not in use"
stats=$(cli b show crypto ikev2 stats)
note "$(cli a show crypto ikev2 sa)"
note "$(cli b show crypto ikev2 sa)"
expect_in "$stats" 'messages reassembled +1$' "B reassembled no message"
expect_in "$(cli a show running-config)" '^crypto ikev2 fragmentation mtu 200$' "running-config lost the command"
router_stop a
router_stop b
sleep 0.3
kill "$tcpdump_pid" 2>/dev/null
wait "$tcpdump_pid" 2>/dev/null

tsh() {
	local o
	o=$(tshark -n -r "$pcap" -d "udp.port==$A2B,ip" -d "udp.port==$B2A,ip" "$@" 2>"$T/tshark.err") ||
		{ cat "$T/tshark.err" >&2; fail "tshark $*"; }
	printf '%s\n' "$o"
}
bad=$(tsh -Y '_ws.malformed || _ws.expert.severity >= warning')
[ -z "$bad" ] || fail "tshark flags packets on the link: $bad"
msgs=$(tsh -Y 'isakmp.version == 0x20' -T fields -e _ws.col.Info)
note "$msgs"
expect_in "$msgs" '^IKE_AUTH MID=01 Initiator Request \(fragment 1/[0-9]+\)' "no fragmented IKE_AUTH request"
expect_in "$msgs" '^IKE_AUTH MID=01 Responder Response \(fragment 1/[0-9]+\)' "no fragmented IKE_AUTH answer"
n=$(tsh -Y 'isakmp.exchangetype == 34 && isakmp.notify.msgtype == 16430' | wc -l)
[ "$n" = 2 ] || fail "IKEV2_FRAGMENTATION_SUPPORTED in $n IKE_SA_INIT messages, not 2"
# The MTU is the IP datagram inside the lab's UDP tunnel: the last ip.len of each frame.
lens=$(tsh -Y 'isakmp.exchangetype == 35' -T fields -E occurrence=l -e ip.len)
note "IKE_AUTH IP lengths: $(echo $lens)"
[ -n "$lens" ] || fail "no IKE_AUTH datagram"
for l in $lens; do
	[ "$l" -le 200 ] || fail "an IKE_AUTH datagram of $l bytes, over the MTU of 200"
done
exit 0
