#!/usr/bin/env bash
# Captures the kernel's own GSO segmentation, once, as test data for
# tests/unit/test_gso.c (which compares src/net/gso.c with it byte for byte).
#
# In a throw-away namespace: a veth pair va <-> vb with segmentation and
# checksum offloads off on va.  Each case is a super-frame injected on va
# through AF_PACKET with a virtio-net header (PACKET_VNET_HDR) saying
# "GSO, this segment size, checksum partial at this offset": exactly what
# spigot's packet: ports receive from a host.  va cannot offload, so the
# kernel segments it in software (skb_gso_segment) and finishes every
# checksum (skb_checksum_help); the segments are read on vb.
#
#   sudo tests/unit/data/gso_capture.sh > tests/unit/data/gso_kernel.txt
#
# Needs root, iproute2, ethtool, python3.  Run on Linux 6.18 for the
# committed file.
set -eu
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 77; }
ns=gsocap$$
ip netns add "$ns"
trap 'ip netns del "$ns"' EXIT
ip -n "$ns" link add va type veth peer name vb
ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec "$ns" ethtool -K va tx off sg off tso off gso off >/dev/null
ip netns exec "$ns" ethtool -K vb gro off >/dev/null 2>&1 || true
ip -n "$ns" link set va up
ip -n "$ns" link set vb up
echo "# The kernel's GSO output ($(uname -r)), captured by tests/unit/data/gso_capture.sh."
echo "# case NAME / vnet flags gso_type hdr_len gso_size csum_start csum_offset /"
echo "# in FRAME (hex, as injected) / out SEGMENT... (hex, as the kernel sent them)"
ip netns exec "$ns" python3 - <<'PY'
import socket, struct, select, time

SOL_PACKET, PACKET_VNET_HDR = 263, 15
ETH_P_IP = 0x0800
src, dst = socket.inet_aton("10.9.0.1"), socket.inet_aton("10.9.0.2")
smac = open("/sys/class/net/va/address").read().strip()
dmac = open("/sys/class/net/vb/address").read().strip()
eth = bytes.fromhex(dmac.replace(":", "")) + bytes.fromhex(smac.replace(":", "")) + b"\x08\x00"

def fold(s):
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s

def pseudo(proto, length):
    s = 0
    for b in (src, dst):
        s += (b[0] << 8 | b[1]) + (b[2] << 8 | b[3])
    return fold(s + proto + length)

def ip_hdr(proto, l4len, ident):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + l4len, ident, 0x4000, 64, proto, 0, src, dst)
    s = fold(sum(struct.unpack("!10H", h)))
    return h[:10] + struct.pack("!H", ~s & 0xffff) + h[12:]

def payload(n):
    return bytes((i * 7 + 3) & 0xff for i in range(n))

def tcp_case(name, flags, opts, paylen, mss, ident, seq):
    doff = (20 + len(opts)) // 4
    l4len = 20 + len(opts) + paylen
    # The checksum field holds the pseudo-header sum: CHECKSUM_PARTIAL.
    th = struct.pack("!HHIIBBHHH", 40000, 5201, seq, 0x01020304, doff << 4, flags, 502,
                     pseudo(6, l4len), 0) + opts
    frame = eth + ip_hdr(6, l4len, ident) + th + payload(paylen)
    vnet = struct.pack("=BBHHHH", 1, 1, 14 + 20 + len(th), mss, 34, 16)
    return name, vnet, frame

def udp_case(name, paylen, mss, ident):
    l4len = 8 + paylen
    uh = struct.pack("!HHHH", 4500, 4500, l4len, pseudo(17, l4len))
    frame = eth + ip_hdr(17, l4len, ident) + uh + payload(paylen)
    vnet = struct.pack("=BBHHHH", 1, 5, 14 + 28, mss, 34, 6)
    return name, vnet, frame

# NOP NOP timestamps (what Linux sends) + NOP NOP SACK-permitted-sized filler.
ts = b"\x01\x01\x08\x0a" + struct.pack("!II", 0x11223344, 0x55667788)
cases = [
    # FIN|PSH|ACK|CWR with options, short last segment.
    tcp_case("tcp_opts_short_last", 0x80 | 0x10 | 0x08 | 0x01, ts, 3 * 1000 + 700, 1000, 0x1234, 0xfffff000),
    # Plain ACK|PSH, no options, payload an exact multiple of the MSS, ID wraps.
    tcp_case("tcp_exact_multiple", 0x18, b"", 3 * 1448, 1448, 0xfffe, 1000),
    # UDP GSO (UDP_SEGMENT): short last datagram.
    udp_case("udp_l4", 2 * 1000 + 333, 1000, 0x4242),
]

tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
tx.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
tx.bind(("va", 0))
rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
rx.bind(("vb", 0))
for name, vnet, frame in cases:
    f, g, hl, gs, cs, co = struct.unpack("=BBHHHH", vnet)
    print("case", name)
    print("vnet", f, g, hl, gs, cs, co)
    print("in", frame.hex())
    tx.send(vnet + frame)
    end = time.time() + 1.0
    while time.time() < end:
        r, _, _ = select.select([rx], [], [], 0.2)
        if not r:
            continue
        seg = rx.recv(70000)
        if seg[26:30] == src:
            print("out", seg.hex())
    print("end")
PY
