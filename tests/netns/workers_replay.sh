#!/usr/bin/env bash
# An adversary on the WAN against the workers' fast path (spigotd
# --workers 2): h1 - spigot r1 - spigot r2 - h2, ESP aes-gcm.  The ESP that
# r1 sent for 5 pings is recorded on the WAN and replayed into r2 (scapy
# sendp, the same frames), then one more with a fresh sequence number and
# a flipped ciphertext byte is injected.
#
# Checks: r2's WAN worker takes them (its fast path, not the control
# thread: a port with workers hears nothing itself) and lets none through:
# `show crypto ipsec sa` counts every replayed packet under "replay failed"
# and the forged one under "verify failed", #pkts decaps and the worker's
# forwarded count do not move, the log has the workers' rate-limited
# %CRYPTO-4-PKT_REPLAY_ERR and %CRYPTO-4-RECVD_PKT_MAC_ERR lines; and the
# tunnel still carries 5/5 pings afterwards.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib.sh"
. "$TOP/tests/netns/lib-topo.sh"
. "$TOP/tests/netns/lib-spigot.sh"

need_root
need_cmd tcpdump
/usr/bin/python3 -c "import scapy" 2>/dev/null || skip "needs python3-scapy"
[ -x "$SPIGOTD" ] || skip "no spigotd at $SPIGOTD (make asan)"
export SPIGOT_TEST_WORKERS=2

topo_up
ESP=aes128gcm16
topo_router_bare r1	# tcpdump needs the WAN veth up before spigotd starts
spigot_router r2 esp=$ESP
spigot_router r1 esp=$ESP
topo_wait_ping h1 "$H2_IP" 25 || { cat "$T/r1.log" >&2; fail "no tunnel h1 -> h2"; }

ip netns exec "$NS_R1" timeout 30 tcpdump -i "$R1_WAN" -n -U --immediate-mode -c 5 \
	-w "$T/esp.pcap" "ip proto 50 and src $R1_WAN_IP and greater 100" >"$T/tcpdump.out" 2>&1 &
tdpid=$!
_pids+=("$tdpid")
wait_for 5 grep -q 'listening on' "$T/tcpdump.out" || fail "tcpdump did not start"
nsx h1 ping -q -n -c 5 -i 0.2 -s 100 "$H2_IP" >/dev/null || fail "pings h1 -> h2 failed"
wait "$tdpid" 2>/dev/null

# counter NAME: r2's count from show crypto ipsec sa detail
sa_count() { cli r2 show crypto ipsec sa detail | sed -nE "s/.*$1:? ([0-9]+).*/\\1/p" | head -1; }
fwd_count() { cli r2 show interfaces GigabitEthernet0/1 | sed -nE 's/.*fast path:.* ([0-9]+) forwarded.*/\1/p'; }
rep0=$(sa_count '##pkts replay failed \(rcv\)')
ver0=$(sa_count '#pkts verify failed')
dec0=$(sa_count '#pkts decaps')
fwd0=$(fwd_count)
[ -n "$fwd0" ] || fail "r2's WAN runs no fast-path worker: $(cli r2 show interfaces GigabitEthernet0/1)"

ip netns exec "$NS_R1" /usr/bin/python3 - "$T/esp.pcap" "$R1_WAN" <<'PY' || fail "replay with scapy failed"
import struct, sys
from scapy.all import rdpcap, sendp, Ether
frames = [bytes(p) for p in rdpcap(sys.argv[1])]
if len(frames) != 5:
    sys.exit("recorded %d ESP frames, not 5" % len(frames))
sendp([Ether(f) for f in frames], iface=sys.argv[2], verbose=False)
# A forgery: a sequence number the window has not seen, one ciphertext bit flipped.
f = bytearray(frames[-1])
ihl = (f[14] & 15) * 4
esp = 14 + ihl
seq = struct.unpack("!I", f[esp + 4:esp + 8])[0]
f[esp + 4:esp + 8] = struct.pack("!I", seq + 1000)
f[esp + 20] ^= 0x01
sendp(Ether(bytes(f)), iface=sys.argv[2], verbose=False)
PY
sleep 0.5
rep1=$(sa_count '##pkts replay failed \(rcv\)')
ver1=$(sa_count '#pkts verify failed')
dec1=$(sa_count '#pkts decaps')
fwd1=$(fwd_count)
note "r2: replay failed $rep0 -> $rep1, verify failed $ver0 -> $ver1, decaps $dec0 -> $dec1, worker forwarded $fwd0 -> $fwd1"
[ "$((rep1 - rep0))" = 5 ] || fail "r2 counted $((rep1 - rep0)) replays of 5"
[ "$((ver1 - ver0))" = 1 ] || fail "r2 counted $((ver1 - ver0)) forged packets of 1"
[ "$dec1" = "$dec0" ] || fail "r2 decapsulated replayed or forged ESP ($dec0 -> $dec1)"
[ "$fwd1" = "$fwd0" ] || fail "r2's worker forwarded replayed or forged ESP ($fwd0 -> $fwd1)"
wait_for 5 grep -q 'PKT_REPLAY_ERR.*data-plane workers' "$T/r2.log" ||
	fail "no %CRYPTO-4-PKT_REPLAY_ERR from the workers in r2's log"
grep -q 'RECVD_PKT_MAC_ERR.*data-plane workers' "$T/r2.log" ||
	fail "no %CRYPTO-4-RECVD_PKT_MAC_ERR from the workers in r2's log"

out=$(nsx h1 ping -q -n -c 5 -i 0.2 -W 1 "$H2_IP") || true
grep -q ' 5 received' <<<"$out" || fail "the tunnel no longer carries pings: $out"
exit 0
