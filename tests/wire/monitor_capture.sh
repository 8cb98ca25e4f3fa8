#!/usr/bin/env bash
# monitor capture as an engineer uses it on the seed lab: on router A, one
# capture on the outside interface (FastEthernet0/0, both directions) and
# one at crypto map testtag1 (spigot's extension: before encryption, after
# decryption); A pings B's inside address through the tunnel; both are
# exported as pcap and read by tshark, which must find AH and ESP (and no
# cleartext ICMP) outside, and the echo requests and replies inside (and no
# AH/ESP).  The show commands count what tshark counts; a capture that is
# not running stores nothing.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/isr-lib.bash"
need_cmd tshark

isr_lab_init
isr_up
a() { x A "$@"; }
a monitor capture OUTSIDE interface fa0/0 both >/dev/null || fail "monitor capture interface"
a monitor capture OUTSIDE match ipv4 any any >/dev/null || fail "monitor capture match"
a monitor capture INNER crypto-map testtag1 both >/dev/null || fail "monitor capture crypto-map"
a monitor capture INNER access-list 199 >/dev/null 2>&1 && fail "access-list 199 does not exist on A, yet it was accepted"
a monitor capture INNER buffer size 2 >/dev/null || fail "monitor capture buffer size"
# An ACL filter: A's access-list 150 permits 10.0.0.1 -> 10.0.2.2 only.
a monitor capture REQ crypto-map testtag1 both >/dev/null || fail "monitor capture REQ"
a monitor capture REQ access-list 150 >/dev/null || fail "monitor capture access-list 150"
a monitor capture REQ start >/dev/null
out=$(a monitor capture OUTSIDE start)
expect_in "$out" '^Started capture point : OUTSIDE$' "start"
a monitor capture INNER start >/dev/null
out=$(a show monitor capture INNER)
expect_in "$out" '^   Crypto map: testtag1, Direction: BOTH$' "status: target"
expect_in "$out" '^   Status : Active$' "status: active"
expect_in "$out" '^   Buffer Size \(in MB\): 2$' "status: buffer size"

out=$(a ping 10.0.2.2 source 10.0.0.1 repeat 10)
ok=$(ping_ok "$out")
[ "$ok" -ge 9 ] || { printf '%s\n' "$out" >&2; fail "ping through the tunnel: $ok/10"; }
a monitor capture OUTSIDE stop >/dev/null
a monitor capture INNER stop >/dev/null
a monitor capture REQ stop >/dev/null
out=$(a show monitor capture REQ buffer brief)
n=$(printf '%s\n' "$out" | grep -cE '^ +[0-9]+ +[0-9]+ ')
m=$(printf '%s\n' "$out" | grep -cE '^ +[0-9]+ +[0-9]+ +[0-9.]+ +10\.0\.0\.1 +-> +10\.0\.2\.2 .* ICMP$')
[ "$n" -ge "$ok" ] && [ "$n" = "$m" ] || { printf '%s\n' "$out" >&2; fail "access-list 150 capture: $n packets, $m echo requests"; }
# Stopped: traffic now is not stored.
n_before=$(a show monitor capture OUTSIDE buffer brief | grep -cE '^ +[0-9]+ +[0-9]+ ')
a ping 10.0.2.2 source 10.0.0.1 repeat 3 >/dev/null
n_after=$(a show monitor capture OUTSIDE buffer brief | grep -cE '^ +[0-9]+ +[0-9]+ ')
[ "$n_before" = "$n_after" ] || fail "a stopped capture kept storing ($n_before -> $n_after)"

out=$(a monitor capture OUTSIDE export "$T/outside.pcap")
expect_in "$out" "^Exported Successfully: $n_before packets to " "export OUTSIDE"
a monitor capture INNER export "$T/inner.pcap" >/dev/null || fail "export INNER"

ts() { tshark -r "$1" -Y "$2" 2>/dev/null | wc -l; }
tshark -r "$T/outside.pcap" >/dev/null 2>"$T/tshark.err" || { cat "$T/tshark.err" >&2; fail "tshark cannot read the export"; }
[ "$(tshark -r "$T/outside.pcap" -T fields -e frame.protocols 2>/dev/null | head -1 | cut -d: -f1)" = raw ] ||
	fail "the pcap is not LINKTYPE_RAW"
[ "$(tshark -r "$T/outside.pcap" 2>/dev/null | wc -l)" = "$n_before" ] || fail "tshark and show monitor capture count differently"
[ "$(ts "$T/outside.pcap" _ws.malformed)" = 0 ] || fail "tshark finds malformed packets"
esp=$(ts "$T/outside.pcap" esp) ah=$(ts "$T/outside.pcap" ah)
note "outside: $n_before packets, $ah AH, $esp ESP"
[ "$ah" -ge $((2 * ok)) ] && [ "$esp" -ge $((2 * ok)) ] || fail "outside: $ah AH / $esp ESP for $ok echoes both ways"
[ "$(ts "$T/outside.pcap" 'icmp and not ah and not esp')" = 0 ] || fail "outside: cleartext ICMP on the wire"
[ "$(ts "$T/outside.pcap" isakmp)" -ge 9 ] || fail "outside: no Main Mode + Quick Mode"

req=$(ts "$T/inner.pcap" 'icmp.type == 8 and ip.src == 10.0.0.1 and ip.dst == 10.0.2.2')
rep=$(ts "$T/inner.pcap" 'icmp.type == 0 and ip.src == 10.0.2.2 and ip.dst == 10.0.0.1')
note "inside the tunnel: $req echo requests, $rep replies"
[ "$req" -ge "$ok" ] && [ "$rep" = "$ok" ] || fail "inner: $req requests / $rep replies for $ok/10 answered"
[ "$(ts "$T/inner.pcap" 'ah or esp')" = 0 ] || fail "inner: AH/ESP in the crypto-map capture"
out=$(a show monitor capture INNER buffer)
expect_in "$out" ' decrypted +10\.0\.2\.2 -> 10\.0\.0\.1 ICMP [0-9]+ Echo \(ping\) reply' "buffer: decrypted reply"
expect_in "$out" ' to-encrypt +10\.0\.0\.1 -> 10\.0\.2\.2 ICMP [0-9]+ Echo \(ping\) request' "buffer: request before encryption"

a no monitor capture INNER >/dev/null
out=$(a show monitor capture)
expect_not_in "$out" 'Capture INNER' "no monitor capture left it defined"
isr_finish
exit 0
