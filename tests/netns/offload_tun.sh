#!/usr/bin/env bash
# A tun: port with offloads: the host stack on the far side of the TUN
# sends TCP through spigot as it would through a NIC with TSO (the port
# asked for it with TUNSETOFFLOAD), so spigot reads 64 KB super-frames and
# partial checksums from the TUN and must segment and finish them.
#
#   ns R: kernel 10.8.0.2 --tun tsp$$-- spigotd [Gi0/0 10.8.0.1 | Gi0/1 10.0.2.1] --veth-- ns H 10.0.2.10
#
# Checks: a 3 s iperf3 TCP stream R -> H completes with retransmissions
# under 3 % of the segments; what spigot hands H (tshark, checksum
# validation on) holds no frame over 1514 bytes and no bad IPv4/TCP
# checksum; `show interfaces` says Hardware is TUN and counts segmented
# super-frames; and the reverse stream H -> R (ACKs and data into the TUN
# behind a zero virtio-net header) completes too.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib.sh"

need_root
need_cmd ip
need_cmd iperf3
need_cmd tcpdump
need_cmd tshark
need_cmd python3
[ -x "$SPIGOTD" ] || skip "no spigotd at $SPIGOTD (make asan)"

id=$$
R=sp-tr-$id H=sp-th-$id TUN=tsp$id
for ns in $R $H; do
	ip netns add "$ns" || fail "cannot create netns $ns"
	on_cleanup "ip netns del $ns"
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip -n "$R" link add out0 type veth peer name eth0 netns "$H"
ip netns exec "$R" sysctl -qw net.ipv6.conf.out0.disable_ipv6=1
ip -n "$R" link set out0 up
ip -n "$H" addr add 10.0.2.10/24 dev eth0
ip -n "$H" link set eth0 up
ip -n "$H" route add default via 10.0.2.1

cat >"$T/r.cfg" <<'CFG'
hostname r
!
interface GigabitEthernet0/0
 ip address 10.8.0.1 255.255.255.0
!
interface GigabitEthernet0/1
 ip address 10.0.2.1 255.255.255.0
!
end
CFG
printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "$R" "$SPIGOTD" >"$T/spigotd-ns"
chmod +x "$T/spigotd-ns"
SPIGOTD=$T/spigotd-ns router_start r "$T/r.cfg" \
	--port "GigabitEthernet0/0=tun:$TUN" --port GigabitEthernet0/1=packet:out0
# spigotd created the TUN: the host side gets its address and the route.
wait_for 5 ip -n "$R" link show "$TUN" || fail "spigotd did not create $TUN"
ip -n "$R" addr add 10.8.0.2/24 dev "$TUN"
ip -n "$R" route add 10.0.2.0/24 via 10.8.0.1 dev "$TUN"
feat=$(ip netns exec "$R" ethtool -k "$TUN" 2>/dev/null | grep -E '^tcp-segmentation-offload:')
note "host side of $TUN: ${feat:-ethtool missing}"

ip netns exec "$R" ping -c 3 -W 2 -i 0.2 10.0.2.10 >"$T/ping" 2>&1 || {
	cat "$T/ping" "$T/r.log" >&2
	fail "the host behind the TUN cannot ping through spigot"
}

ip netns exec "$H" timeout 40 tcpdump -i eth0 -n -U --immediate-mode -s 0 -c 20000 \
	-w "$T/h.pcap" "ip dst 10.0.2.10" >"$T/tcpdump.out" 2>&1 &
cap=$!
_pids+=("$cap")
wait_for 5 grep -q 'listening on' "$T/tcpdump.out" || fail "tcpdump did not start"

# iperf3 FROM TO ARGS...: a 3 s stream; prints "Mbit/s retransmits ~segments".
stream() {
	local from=$1 to=$2 dst=$3
	shift 3
	ip netns exec "$to" timeout 30 iperf3 -s -1 -B "$dst" -p 5201 >"$T/iperf-s.out" 2>&1 &
	local spid=$!
	_pids+=("$spid")
	wait_for 5 sh -c "ip netns exec $to ss -ltn | grep -q ':5201 '" || fail "iperf3 server did not start"
	ip netns exec "$from" timeout 25 iperf3 -c "$dst" -p 5201 -t 3 -J --connect-timeout 5000 "$@" \
		>"$T/iperf.json" 2>"$T/iperf.err"
	wait "$spid" 2>/dev/null
	python3 - "$T/iperf.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
if "sum_sent" not in d.get("end", {}):
    sys.exit("iperf3: " + d.get("error", "no result"))
s = d["end"]["sum_sent"]
print("%.1f %d %d" % (s["bits_per_second"] / 1e6, s.get("retransmits", 0), s["bytes"] // 1448))
PY
}

read -r mbps retr segs < <(stream "$R" "$H" 10.0.2.10) || true
[ -n "${segs:-}" ] || { cat "$T/iperf.err" >&2; cli r show interfaces GigabitEthernet0/0 >&2; fail "no iperf3 result through the TUN"; }
note "TUN -> veth: $mbps Mbit/s, $retr retransmissions, ~$segs segments"
[ "$segs" -gt 1000 ] || fail "iperf3 moved only ~$segs segments in 3 s"
[ $((retr * 100)) -lt $((segs * 3)) ] || fail "retransmission storm: $retr of ~$segs segments"

kill "$cap" 2>/dev/null
wait "$cap" 2>/dev/null
# TCP sequence analysis off: it can take tshark minutes over a loaded stream.
tsh() { timeout 60 tshark -n -r "$T/h.pcap" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
	-o tcp.analyze_sequence_numbers:FALSE -o tcp.desegment_tcp_streams:FALSE "$@" 2>/dev/null; }
n=$(tsh -Y tcp | wc -l)
[ "$n" -gt 1000 ] || fail "capture toward H holds only $n TCP frames"
bad=$(tsh -Y 'ip.checksum.status == "Bad" || tcp.checksum.status == "Bad" || frame.len > 1514')
[ -z "$bad" ] || fail "bad checksums or giants toward H: $(echo "$bad" | head -3)"

out=$(cli r show interfaces GigabitEthernet0/0)
expect_in "$out" 'Hardware is TUN link' "Gi0/0 is not the TUN"
frames=$(echo "$out" | sed -nE 's/.*Offload: [0-9]+ checksums finished, ([0-9]+) super-frames.*/\1/p')
badh=$(echo "$out" | sed -nE 's/.*Offload: ([0-9]+) bad offload headers.*/\1/p')
note "Gi0/0 (tun): ${frames:-?} super-frames segmented"
[ "${frames:-0}" -gt 0 ] || fail "the TUN handed spigot no super-frame: $out"
[ "$badh" = 0 ] || fail "$badh frames dropped for bad offload headers"

read -r mbps retr segs < <(stream "$H" "$R" 10.8.0.2) || true
[ -n "${segs:-}" ] || { cat "$T/iperf.err" >&2; fail "no iperf3 result into the TUN"; }
note "veth -> TUN: $mbps Mbit/s, $retr retransmissions, ~$segs segments"
[ "$segs" -gt 1000 ] || fail "iperf3 moved only ~$segs segments in 3 s into the TUN"
[ $((retr * 100)) -lt $((segs * 3)) ] || fail "retransmission storm into the TUN: $retr of ~$segs"

router_stop r
exit 0
