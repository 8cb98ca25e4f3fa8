#!/usr/bin/env bash
# Two routers on loopback joined by a udp: link, each with an inside
# interface; extended pings from inside address to inside address both ways.
#   A Fa0/1 10.0.0.1/24 -- A Fa0/0 10.1.1.1/24 ==udp== B Et1/0 10.1.1.2/24 -- B Et1/1 10.0.2.2/24
. "${TOP:-$(dirname "$0")/../..}/tests/lib.sh"

"$SPIGOT" --help 2>&1 | grep -q "CLI not built yet" && skip "the spigot CLI has not landed yet"

cat >"$T/a.cfg" <<'CFG'
hostname lab-a
!
interface FastEthernet0/0
 ip address 10.1.1.1 255.255.255.0
!
interface FastEthernet0/1
 ip address 10.0.0.1 255.255.255.0
!
ip route 10.0.2.0 255.255.255.0 10.1.1.2
!
end
CFG
cat >"$T/b.cfg" <<'CFG'
hostname lab-b
!
interface Ethernet1/0
 ip address 10.1.1.2 255.255.255.0
!
interface Ethernet1/1
 ip address 10.0.2.2 255.255.255.0
!
ip route 10.0.0.0 255.255.255.0 10.1.1.1
!
end
CFG

pa=$(free_port) pb=$(free_port) ia=$(free_port) ib=$(free_port) xa=$(free_port) xb=$(free_port)
# The inside links lead to ports nobody listens on: up, but quiet.
router_start A "$T/a.cfg" --port "FastEthernet0/0=udp:$pa:127.0.0.1:$pb" \
	--port "FastEthernet0/1=udp:$ia:127.0.0.1:$xa"
router_start B "$T/b.cfg" --port "Ethernet1/0=udp:$pb:127.0.0.1:$pa" \
	--port "Ethernet1/1=udp:$ib:127.0.0.1:$xb"

out=$(cli A show ip interface brief)
expect_in "$out" '^FastEthernet0/0 +10\.1\.1\.1 +YES NVRAM +up +up$' "A Fa0/0 not up/up"
expect_in "$out" '^FastEthernet0/1 +10\.0\.0\.1 +YES NVRAM +up +up$' "A Fa0/1 not up/up"

out=$(cli A show ip route)
expect_in "$out" '^S +10\.0\.2\.0/24 \[1/0\] via 10\.1\.1\.2$' "A has no static route to B's inside"
expect_in "$out" '^C +10\.1\.1\.0/24 is directly connected, FastEthernet0/0$' "A lacks its connected route"

out=$(cli A ping 10.0.2.2 source 10.0.0.1 repeat 30)
expect_in "$out" '^Sending 30, 100-byte ICMP Echos to 10\.0\.2\.2, timeout is 2 seconds:$' "ping header"
expect_in "$out" '^Packet sent with a source address of 10\.0\.0\.1$' "ping source line"
expect_in "$out" '^!{30}$' "not 30 replies in a row"
expect_in "$out" '^Success rate is 100 percent \(30/30\), round-trip min/avg/max = [0-9]+/[0-9]+/[0-9]+ ms$' "A -> B ping"

out=$(cli B ping 10.0.0.1 source 10.0.2.2 repeat 30)
expect_in "$out" '^Success rate is 100 percent \(30/30\)' "B -> A ping"

# The echoes crossed the link: 60 each way at least, and no errors.
out=$(cli A show interfaces FastEthernet0/0)
expect_in "$out" '^FastEthernet0/0 is up, line protocol is up$' "show interfaces status line"
pkts=$(printf '%s\n' "$out" | sed -nE 's/^ +([0-9]+) packets input.*/\1/p')
[ "${pkts:-0}" -ge 60 ] || fail "A Fa0/0 counted only ${pkts:-0} packets in"
expect_in "$out" '^ +0 input errors' "input errors on a clean link"

# Unreachable: nothing routes 192.0.2.0/24.
out=$(cli A ping 192.0.2.1 repeat 2 timeout 1)
expect_in "$out" '^Success rate is 0 percent \(0/2\)$' "ping to nowhere"

router_stop A
router_stop B
exit 0
