#!/usr/bin/env bash
# Real hosts through two spigot routers on packet: ports (veths in network
# namespaces), with ARP done by spigot itself:
#
#   h1 10.0.1.2 --- [r1: Fa0/1 10.0.1.1 | Fa0/0 10.1.1.1] --- [r2: Et1/0 10.1.1.2 | Et1/1 10.0.2.1] --- h2 10.0.2.2
#
# The veth ends in the routers' namespaces carry no kernel address, so the
# kernel neither answers ARP nor routes there: spigotd does both.
. "${TOP:-$(dirname "$0")/../..}/tests/lib.sh"

need_root
need_cmd ip
need_cmd ping
"$SPIGOT" --help 2>&1 | grep -q "CLI not built yet" && skip "the spigot CLI has not landed yet"

id=$$
H1=sp-h1-$id H2=sp-h2-$id R1=sp-r1-$id R2=sp-r2-$id
for ns in $H1 $H2 $R1 $R2; do
	ip netns add "$ns" || fail "cannot create netns $ns"
	on_cleanup "ip netns del $ns"
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
# Links are created inside the namespaces, so names never collide with another run.
ip -n "$R1" link add in0 type veth peer name eth0 netns "$H1"
ip -n "$R1" link add out0 type veth peer name out0 netns "$R2"
ip -n "$R2" link add in0 type veth peer name eth0 netns "$H2"
for ns in $R1 $R2; do
	for l in in0 out0; do ip -n "$ns" link set "$l" up; done
done
ip -n "$H1" addr add 10.0.1.2/24 dev eth0
ip -n "$H1" link set eth0 up
ip -n "$H1" route add default via 10.0.1.1
ip -n "$H2" addr add 10.0.2.2/24 dev eth0
ip -n "$H2" link set eth0 up
ip -n "$H2" route add default via 10.0.2.1

cat >"$T/r1.cfg" <<'CFG'
hostname r1
!
interface FastEthernet0/0
 ip address 10.1.1.1 255.255.255.0
!
interface FastEthernet0/1
 ip address 10.0.1.1 255.255.255.0
!
ip route 10.0.2.0 255.255.255.0 10.1.1.2
!
end
CFG
cat >"$T/r2.cfg" <<'CFG'
hostname r2
!
interface Ethernet1/0
 ip address 10.1.1.2 255.255.255.0
!
interface Ethernet1/1
 ip address 10.0.2.1 255.255.255.0
!
ip route 10.0.1.0 255.255.255.0 10.1.1.1
!
end
CFG

real=$SPIGOTD
for ns in $R1 $R2; do
	printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "$ns" "$real" >"$T/spigotd-$ns"
	chmod +x "$T/spigotd-$ns"
done
SPIGOTD=$T/spigotd-$R1 router_start r1 "$T/r1.cfg" \
	--port FastEthernet0/0=packet:out0 --port FastEthernet0/1=packet:in0
SPIGOTD=$T/spigotd-$R2 router_start r2 "$T/r2.cfg" \
	--port Ethernet1/0=packet:out0 --port Ethernet1/1=packet:in0

out=$(cli r1 show ip interface brief)
expect_in "$out" '^FastEthernet0/1 +10\.0\.1\.1 +YES NVRAM +up +up$' "r1 Fa0/1 not up/up"

ip netns exec "$H1" ping -c 5 -W 1 10.0.2.2 >"$T/ping1" 2>&1 || { cat "$T/ping1" >&2; cat "$T/r1.log" "$T/r2.log" >&2; fail "h1 cannot ping h2 through r1 and r2"; }
ip netns exec "$H2" ping -c 5 -W 1 10.0.1.2 >"$T/ping2" 2>&1 || { cat "$T/ping2" >&2; fail "h2 cannot ping h1"; }
# The router itself answers too.
ip netns exec "$H1" ping -c 2 -W 1 10.1.1.2 >/dev/null 2>&1 || fail "h1 cannot ping r2's link address"

# ARP both ways: each host has its router's MAC; each router has its host's.
r1mac=$(ip netns exec "$R1" cat /sys/class/net/in0/address)
h1mac=$(ip netns exec "$H1" cat /sys/class/net/eth0/address)
r2mac=$(ip netns exec "$R2" cat /sys/class/net/in0/address)
h2mac=$(ip netns exec "$H2" cat /sys/class/net/eth0/address)
expect_in "$(ip -n "$H1" neigh show 10.0.1.1)" "lladdr $r1mac" "h1 did not learn r1's MAC"
expect_in "$(ip -n "$H2" neigh show 10.0.2.1)" "lladdr $r2mac" "h2 did not learn r2's MAC"
ios() { echo "$1" | tr -d : | sed -E 's/^(....)(....)(....)$/\1.\2.\3/'; }
out=$(cli r1 show arp)
expect_in "$out" "^Internet  10\.0\.1\.2 +[0-9]+   $(ios "$h1mac")  ARPA   FastEthernet0/1$" "r1 show arp lacks h1"
expect_in "$out" "^Internet  10\.0\.1\.1 +-   $(ios "$r1mac")  ARPA   FastEthernet0/1$" "r1 show arp lacks its own entry"
expect_in "$out" "^Internet  10\.1\.1\.2 " "r1 show arp lacks r2"
out=$(cli r2 show ip arp)
expect_in "$out" "^Internet  10\.0\.2\.2 +[0-9]+   $(ios "$h2mac")  ARPA   Ethernet1/1$" "r2 show ip arp lacks h2"

# Routers ping across as well, from their inside addresses.
out=$(cli r1 ping 10.0.2.2 source 10.0.1.1)
expect_in "$out" '^Success rate is 100 percent \(5/5\)' "r1 cannot ping h2"

# TTL 1 toward h2 dies at r1 with time exceeded from r1's inside address.
out=$(ip netns exec "$H1" ping -c 1 -W 1 -t 1 10.0.2.2 2>&1 || true)
expect_in "$out" 'From 10\.0\.1\.1 .*(Time to live exceeded|Time exceeded)' "no time exceeded from r1"

router_stop r1
router_stop r2
exit 0
