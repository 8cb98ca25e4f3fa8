#!/usr/bin/env bash
# Data-plane workers (spigotd --workers 2, src/net/workers.c): h1 - spigot
# r1 - spigot r2 - h2, one SA pair (access-list 101 covers both LANs),
# ESP aes-gcm, kernel-default offloads on the veths.
#
# Checks: 12 parallel TCP streams (iperf3 -P 12) h1 -> h2 complete; both
# routers' packet: ports say they run 3 threads (2 workers each: several
# flows of one SA are encrypted on two cores at once) and r1's LAN workers took
# frames (the kernel's fan-out spread the flows); `show crypto ipsec sa
# detail` on both routers: no replay failures, no decapsulation failures;
# the WAN capture, read with scapy, holds ESP of exactly one SPI per
# direction, no (SPI, sequence number) twice, and none 64 or more behind
# its SA's newest (the two encrypting workers keep the wire in order).
# SPIGOT_TSAN=1: run ThreadSanitizer's spigotd (make tsan) and fail on any
# report in the routers' logs.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib.sh"
. "$TOP/tests/netns/lib-topo.sh"
. "$TOP/tests/netns/lib-spigot.sh"

need_root
need_cmd iperf3
need_cmd tcpdump
need_cmd python3
/usr/bin/python3 -c "import scapy" 2>/dev/null || skip "needs python3-scapy"
if [ "${SPIGOT_TSAN:-0}" = 1 ]; then
	SPIGOTD=$TOP/build/tsan/spigotd
	[ -x "$SPIGOTD" ] || skip "no $SPIGOTD (make tsan)"
	# halt_on_error: a race ends the router, which fails the test below too.
	export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1"
fi
[ -x "$SPIGOTD" ] || skip "no spigotd at $SPIGOTD (make asan)"
export SPIGOT_TEST_WORKERS=3

topo_up
ESP=aes128gcm16
topo_router_bare r1	# tcpdump needs the WAN veth up before spigotd starts
spigot_router r2 esp=$ESP
# Headers only: Ethernet, IPv4, ESP SPI and sequence number.
ip netns exec "$NS_R1" timeout 60 tcpdump -i "$R1_WAN" -n -U --immediate-mode -s 64 -c 400000 \
	-w "$T/wan.pcap" 'ip proto 50' >"$T/tcpdump.out" 2>&1 &
tdpid=$!
_pids+=("$tdpid")
wait_for 5 grep -q 'listening on' "$T/tcpdump.out" || fail "tcpdump did not start"
spigot_router r1 esp=$ESP

for r in r1 r2; do
	n=$(cli $r show interfaces | grep -c 'Workers: 3 threads (PACKET_FANOUT')
	[ "$n" = 2 ] || { cli $r show interfaces >&2; cat "$T/$r.log" >&2; fail "$r: packet: ports do not run 2 workers each"; }
done

topo_wait_ping h1 "$H2_IP" 25 || { cat "$T/r1.log" >&2; fail "no tunnel h1 -> h2"; }

nsx h2 timeout 40 iperf3 -s -1 -B "$H2_IP" -p 5201 >"$T/iperf-s.out" 2>&1 &
spid=$!
_pids+=("$spid")
wait_for 5 sh -c "ip netns exec $NS_H2 ss -ltn | grep -q ':5201 '" || fail "iperf3 server did not start"
nsx h1 timeout 30 iperf3 -c "$H2_IP" -p 5201 -t 3 -P 12 -J --connect-timeout 5000 \
	>"$T/iperf.json" 2>"$T/iperf.err" || {
	cat "$T/iperf.err" "$T/iperf.json" >&2
	cli r1 show interfaces GigabitEthernet0/0 >&2
	fail "iperf3 -P 12 h1 -> h2 did not complete"
}
wait "$spid" 2>/dev/null
sleep 0.5
kill "$tdpid" 2>/dev/null
wait "$tdpid" 2>/dev/null
read -r mbps retr < <(python3 - "$T/iperf.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
if "sum_sent" not in d.get("end", {}):
    sys.exit("iperf3: " + d.get("error", "no result"))
s = d["end"]["sum_sent"]
print("%.1f %d" % (s["bits_per_second"] / 1e6, s.get("retransmits", 0)))
PY
) || fail "no iperf3 result"
note "iperf3 -P 12: $mbps Mbit/s, $retr retransmissions (2 workers a port)"

# The fan-out spread r1's LAN input over both workers, and both encrypted
# on the one outbound SA (the sequence numbers below must still be unique).
# r2's WAN workers decapsulated and forwarded to h2 (the control thread
# reads no frame of a port with workers); one peer's ESP is one flow to the
# fan-out's hash, so it meets one of them.
fp_n() {	# ROUTER IFACE WORKER WHAT: that worker's fast-path count of WHAT
	cli "$1" show interfaces "$2" | grep -A1 "worker $3:" | sed -nE "s/.*fast path:.* ([0-9]+) $4.*/\1/p"
}
fp_all() { cli "$1" show interfaces "$2" | grep 'fast path:' | sed 's/^ *//'; }
note "r1 Gi0/0: $(fp_all r1 GigabitEthernet0/0 | tr '\n' ';')"
note "r2 Gi0/1: $(fp_all r2 GigabitEthernet0/1 | tr '\n' ';')"
e1=$(fp_n r1 GigabitEthernet0/0 1 encapsulated)
e2=$(fp_n r1 GigabitEthernet0/0 2 encapsulated)
[ "${e1:-0}" -gt 0 ] && [ "${e2:-0}" -gt 0 ] && [ "$((e1 + e2))" -gt 1000 ] ||
	fail "r1's LAN workers encapsulated ${e1:-no} and ${e2:-no} packets"
dec=$(( $(fp_n r2 GigabitEthernet0/1 1 decapsulated) + $(fp_n r2 GigabitEthernet0/1 2 decapsulated) ))
fwd=$(( $(fp_n r2 GigabitEthernet0/1 1 forwarded) + $(fp_n r2 GigabitEthernet0/1 2 forwarded) ))
[ "$dec" -gt 1000 ] && [ "$fwd" -gt 1000 ] ||
	fail "r2's WAN workers decapsulated $dec and forwarded $fwd packets"

for r in r1 r2; do
	out=$(cli $r show crypto ipsec sa detail)
	for what in '##pkts replay failed \(rcv\): 0' '#pkts decaps: [1-9]' '#pkts encaps: [1-9]'; do
		grep -qE "$what" <<<"$out" || { echo "$out" >&2; fail "$r: show crypto ipsec sa detail lacks '$what'"; }
	done
	grep -qE '(decaps failed \(rcv\)|verify failed:) [1-9]' <<<"$out" &&
		{ echo "$out" >&2; fail "$r: failures in show crypto ipsec sa detail"; }
done

# scapy reads the capture: one SPI each way, no sequence number twice.
# ThreadSanitizer's spigotd is ~10x slower: fewer packets make the same point.
min_esp=1000
[ "${SPIGOT_TSAN:-0}" != 1 ] || min_esp=300
caps=$(/usr/bin/python3 - "$T/wan.pcap" "$R1_WAN_IP" "$R2_WAN_IP" "$min_esp" <<'PY'

import struct, sys
from scapy.utils import RawPcapReader
path, a, b, min_esp = sys.argv[1:]
seen, dups, per, top, late = set(), 0, {}, {}, 0
for data, _meta in RawPcapReader(path):
    if len(data) < 14 + 20 + 8 or data[12:14] != b"\x08\x00":
        continue
    ihl = (data[14] & 15) * 4
    if data[14 + 9] != 50:
        continue
    src = ".".join(str(x) for x in data[26:30])
    spi, seq = struct.unpack("!II", data[14 + ihl:14 + ihl + 8])
    per.setdefault((src, spi), 0)
    per[(src, spi)] += 1
    if (spi, seq) in seen:
        dups += 1
    seen.add((spi, seq))
    # Two workers encrypt for one SA: the wire must still carry it in order
    # to within a peer's replay window (IOS's default is 64).
    top[spi] = max(top.get(spi, 0), seq)
    if top[spi] - seq >= 64:
        late += 1
print("  ESP on the WAN:", ", ".join("%s SPI 0x%08x: %d" % (s, p, n) for (s, p), n in sorted(per.items())),
      file=sys.stderr)
srcs = sorted(s for s, _ in per)
if srcs != sorted([a, b]):
    sys.exit("expected one SPI from each of %s and %s, got %s" % (a, b, per))
if sum(per.values()) < int(min_esp):
    sys.exit("only %d ESP packets captured" % sum(per.values()))
if dups:
    sys.exit("%d ESP sequence numbers used twice" % dups)
if late:
    sys.exit("%d ESP packets 64 or more sequence numbers behind their SA's newest" % late)
for (s, p), n in per.items():
    print("%s %d" % (s, n))
PY
) || fail "WAN capture check failed"

# What the workers counted reached show crypto ipsec sa: r1 encapsulated at
# least every ESP packet the WAN capture holds from it, and r2 decapsulated
# nearly all of them (a capture can miss packets, a router not count them).
cap1=$(awk -v a="$R1_WAN_IP" '$1 == a {print $2}' <<<"$caps")
enc1=$(cli r1 show crypto ipsec sa | sed -nE 's/.*#pkts encaps: ([0-9]+).*/\1/p' | head -1)
dec2=$(cli r2 show crypto ipsec sa | sed -nE 's/.*#pkts decaps: ([0-9]+).*/\1/p' | head -1)
note "r1 -> r2: $cap1 ESP captured, r1 #pkts encaps $enc1, r2 #pkts decaps $dec2"
[ "${enc1:-0}" -ge "${cap1:-1}" ] || fail "r1 counted $enc1 encapsulations for $cap1 ESP packets on the wire"
[ "$(( ${dec2:-0} * 100 ))" -ge "$(( ${cap1:-1} * 95 ))" ] || fail "r2 counted $dec2 decapsulations of $cap1 ESP packets"

if [ "${SPIGOT_TSAN:-0}" = 1 ]; then
	for r in r1 r2; do
		kill -0 "$(eval echo \$PID_$r)" 2>/dev/null || fail "$r ended during the test (ThreadSanitizer?): $(tail -20 "$T/$r.log")"
		! grep -q 'ThreadSanitizer' "$T/$r.log" || { grep -A30 'ThreadSanitizer' "$T/$r.log" | head -60 >&2; fail "$r: ThreadSanitizer report"; }
	done
	# ThreadSanitizer reports at exit too: stop the routers and look again.
	for r in r1 r2; do router_stop $r; done
	for r in r1 r2; do
		! grep -q 'ThreadSanitizer' "$T/$r.log" || { grep -A30 'ThreadSanitizer' "$T/$r.log" | head -60 >&2; fail "$r: ThreadSanitizer report at exit"; }
	done
fi
exit 0
