#!/usr/bin/env bash
# strongSwan to strongSwan through the standard topology: proves the netns
# harness and records how strongSwan (kernel-libipsec) behaves on this kind of
# machine, which is what spigot has to interoperate with:
#   - IKEv1 Main Mode PSK, aes128-sha1-modp2048, ESP aes128-sha1, tunnel mode;
#   - charon pretends both ends are behind NAT (libipsec only does RFC 3948),
#     so IKE floats from 500 to 4500 after MM4 and data is ESP in UDP 4500;
#   - the tunnel is a TUN device ipsec0 (MTU 1400), routes in table 220.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib.sh"
. "$TOP/tests/netns/lib-topo.sh"
. "$TOP/tests/netns/lib-strongswan.sh"

swan_need
need_cmd tcpdump
need_cmd tshark
need_cmd ping

topo_up
topo_router_linux r1
topo_router_linux r2

# Capture r1's WAN from the first IKE packet on; -c bounds it if it runs away.
pcap=$T/wan.pcap
ip netns exec "$NS_R1" timeout 40 tcpdump -i "$R1_WAN" -n -U --immediate-mode -s 0 -c 2000 -w "$pcap" \
	'udp port 500 or udp port 4500 or ip proto 50 or icmp' >"$T/tcpdump.out" 2>&1 &
tcpdump_pid=$!
_pids+=("$tcpdump_pid")
wait_for 5 grep -q 'listening on' "$T/tcpdump.out" || fail "tcpdump did not start"

swan_conf r2 initiator=no
swan_start r2
swan_conf r1 initiator=yes
swan_start r1
swan_wait_child r1 20
swan_wait_child r2 5

sas=$(swanctl_in r1 --list-sas)
expect_in "$sas" 'ESTABLISHED, IKEv1' "r1: no IKEv1 SA"
expect_in "$sas" "192\.0\.2\.2\[4500\]" "r1: IKE did not float to 4500"
expect_in "$sas" 'AES_CBC-128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_2048' "r1: IKE proposal"
expect_in "$sas" 'INSTALLED, TUNNEL-in-UDP, ESP:AES_CBC-128/HMAC_SHA1_96' "r1: CHILD_SA not ESP-in-UDP tunnel"
grep -q 'remote host is behind NAT' "$T/r1-charon.log" || fail "r1 did not fake NAT detection"
grep -q 'remote host is behind NAT' "$T/r2-charon.log" || fail "r2 did not fake NAT detection"

# The tunnel: a TUN device with MTU 1400 and a route to the far LAN in 220.
nsx r1 ip link show ipsec0 | grep -q 'mtu 1400' || fail "r1: ipsec0 missing or MTU not 1400"
nsx r1 ip route show table 220 | grep -qE "^$LAN2_NET dev ipsec0" || fail "r1: no table-220 route to $LAN2_NET"
nsx r2 ip route show table 220 | grep -qE "^$LAN1_NET dev ipsec0" || fail "r2: no table-220 route to $LAN1_NET"

out=$(nsx h1 ping -n -c 5 -W 2 -i 0.2 "$H2_IP" 2>&1) || { echo "$out" >&2; fail "h1 cannot ping h2 through the tunnel"; }
expect_in "$out" ' 0% packet loss' "ping h1 -> h2 lost packets"

r1_spis=$(swan_spis r1)
r2_spis=$(swan_spis r2)
r1_in=$(awk '$1 == "in" {print $2}' <<<"$r1_spis")
r1_out=$(awk '$1 == "out" {print $2}' <<<"$r1_spis")
r2_in=$(awk '$1 == "in" {print $2}' <<<"$r2_spis")
r2_out=$(awk '$1 == "out" {print $2}' <<<"$r2_spis")
[ -n "$r1_in" ] && [ -n "$r1_out" ] || fail "r1: no SPIs in list-sas: $r1_spis"
[ "$r1_out" = "$r2_in" ] && [ "$r1_in" = "$r2_out" ] ||
	fail "SPIs do not pair up: r1 in $r1_in out $r1_out, r2 in $r2_in out $r2_out"
swanctl_in r1 --list-sas | grep -qE "out  *$r1_out, +[0-9]+ bytes, +([5-9]|[1-9][0-9]+) packets" ||
	fail "r1: outbound SA counted fewer than 5 packets"

tsh() { tshark -n -r "$pcap" -d udp.port==4500,udpencap "$@" 2>/dev/null; }
# tcpdump writes each packet as it comes (-U, immediate mode); give the last
# reply a moment to reach the file before stopping it.
wait_for 5 sh -c "[ \$(tshark -n -r $pcap -d udp.port==4500,udpencap -Y esp 2>/dev/null | wc -l) -ge 10 ]"
kill "$tcpdump_pid" 2>/dev/null
wait "$tcpdump_pid" 2>/dev/null
topo_forget_pid "$tcpdump_pid"
# ESP in UDP 4500, both directions, carrying exactly the SPIs charon reports.
esp_12=$(tsh -Y "ip.src==$R1_WAN_IP && udp.srcport==4500 && udp.dstport==4500 && esp" -T fields -e esp.spi | sort -u)
esp_21=$(tsh -Y "ip.src==$R2_WAN_IP && udp.srcport==4500 && udp.dstport==4500 && esp" -T fields -e esp.spi | sort -u)
[ "$esp_12" = "0x$r1_out" ] || fail "ESP r1->r2 on the wire has SPIs '$esp_12', charon says 0x$r1_out"
[ "$esp_21" = "0x$r1_in" ] || fail "ESP r2->r1 on the wire has SPIs '$esp_21', charon says 0x$r1_in"
n_esp=$(tsh -Y 'esp' | wc -l)
[ "$n_esp" -ge 10 ] || fail "expected >= 10 ESP packets (5 echoes, 5 replies), saw $n_esp"
# Sequence numbers of r1's outbound SA start at 1 and never repeat.
seqs=$(tsh -Y "esp.spi==0x$r1_out" -T fields -e esp.sequence)
[ "$(head -1 <<<"$seqs")" = 1 ] || fail "first ESP sequence number from r1 is not 1: $(head -1 <<<"$seqs")"
[ "$(sort -n <<<"$seqs" | uniq -d)" = "" ] || fail "ESP sequence numbers repeat"
# Never raw ESP (protocol 50) and never the pings in the clear.
[ "$(tsh -Y 'ip.proto==50' | wc -l)" = 0 ] || fail "raw ESP (IP protocol 50) on the WAN"
[ "$(tsh -Y 'icmp' | wc -l)" = 0 ] || fail "cleartext ICMP on the WAN"
# IKEv1: Main Mode starts on 500, then (after MM4) IKE uses 4500 with the
# non-ESP marker: Identity Protection and Quick Mode seen there.
tsh -Y 'udp.port==500 && isakmp.exchangetype==2' | grep -q . || fail "no Main Mode on UDP 500"
# NAT traversal as RFC 3947 has it: the vendor ID both ways in MM1/MM2 and
# NAT-D payloads (type 20) in MM3/MM4; the 4500 leg carries the Non-ESP marker.
[ "$(tsh -Y 'udp.port==500 && isakmp.vid_string contains "RFC 3947"' | wc -l)" -ge 2 ] ||
	fail "RFC 3947 NAT-T vendor ID not exchanged both ways"
[ "$(tsh -Y 'udp.port==500 && isakmp.nextpayload==20' | wc -l)" -ge 2 ] ||
	fail "no NAT-D payloads in MM3/MM4"
tsh -V -Y 'udp.port==4500 && isakmp' | grep -q 'Non-ESP Marker' || fail "IKE on 4500 without the Non-ESP marker"
tsh -Y 'udp.port==4500 && isakmp.exchangetype==2' | grep -q . || fail "no MM5/MM6 on UDP 4500"
tsh -Y 'udp.port==4500 && isakmp.exchangetype==32' | grep -q . || fail "no Quick Mode on UDP 4500"
[ "$(tsh -Y 'udp.port==500 && isakmp.exchangetype==32' | wc -l)" = 0 ] || fail "Quick Mode on UDP 500"
bad=$(tsh -Y '_ws.malformed || _ws.expert.severity >= warning')
[ -z "$bad" ] || { echo "$bad" >&2; fail "tshark finds malformed packets"; }

swan_terminate r1 || fail "swanctl --terminate failed"
wait_for 5 sh -c "! STRONGSWAN_CONF=$T/swan-r2/strongswan.conf swanctl --list-sas 2>/dev/null | grep -q ESTABLISHED" ||
	fail "r2 kept its IKE SA after r1 deleted it"
swan_stop r1
swan_stop r2
echo "swan_baseline: ok (SPIs r1 out $r1_out in $r1_in, $n_esp ESP packets)"
