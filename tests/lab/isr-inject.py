#!/usr/bin/python3
"""Injects raw IPv4 packets into a lab router through the far end of a stub port.

A lab `stub` port is a udp: port whose far end nobody uses (src/cmd/lab.c):
the router sends that LAN's packets, one IPv4 packet per datagram, to
127.0.0.1:FAR and takes packets from there (its socket is connected to FAR,
so datagrams must come from exactly that port).  Binding FAR makes this
script the only host on that LAN: it can send anything, and it sees what
the router sends back.

  isr-inject.py flood  --far F --port P --dst D [--src A] [--random-src-pct N]
                       [--count N] [--seconds S] [--proto esp|ah|mix] [--linger S]
      ESP/AH packets with random SPIs (bounded: N packets spread over S s),
      from A or from random addresses.  Prints a JSON summary, including
      every packet the router sent to this LAN meanwhile.
  isr-inject.py notify --far F --port P --src S --dst D --spi X --proto 3|2
                       [--cookies ICOOKIE:RCOOKIE | --cookies random] [--count N]
      An UNPROTECTED ISAKMP Informational (exchange 5, flags 0) carrying
      Notify INVALID-SPI (type 11, DOI 1, SPI size 4), built with scapy,
      UDP 500 -> 500.
  isr-inject.py cookies PCAP
      The cookies of the newest Main Mode seen in a capture of the lab's
      A-B cable (udp datagrams holding IPv4/UDP/ISAKMP): "ICOOKIE RCOOKIE" hex.
"""
import argparse
import json
import os
import random
import select
import socket
import struct
import sys
import time


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(src, dst, proto, payload, ident=0):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0, 64, proto, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def esp(spi, seq):
    # SPI, sequence, then what would be IV + ciphertext + ICV: 64 opaque bytes.
    return struct.pack("!II", spi, seq) + os.urandom(64)


def ah(spi, seq):
    # next header 4 (IPv4), payload length (12 + 12 ICV) / 4 - 2 = 4.
    return struct.pack("!BBHII", 4, 4, 0, spi, seq) + os.urandom(12) + ip4("10.0.0.1", "10.0.2.2", 1, b"\x08\0\0\0\0\0\0\0")


def random_src(rng, avoid):
    while True:
        a = "%d.%d.%d.%d" % (rng.randrange(11, 127), rng.randrange(256), rng.randrange(256),
                             rng.randrange(1, 255))
        if a not in avoid:
            return a


def describe(d):
    """One line per packet the router sent: src dst proto [sport dport]."""
    if len(d) < 20 or d[0] >> 4 != 4:
        return {"raw": len(d)}
    ihl = (d[0] & 15) * 4
    r = {"src": socket.inet_ntoa(d[12:16]), "dst": socket.inet_ntoa(d[16:20]), "proto": d[9],
         "len": len(d)}
    if d[9] == 17 and len(d) >= ihl + 4:
        r["sport"], r["dport"] = struct.unpack("!HH", d[ihl:ihl + 4])
    return r


def open_far(far, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
    s.bind(("127.0.0.1", far))
    s.connect(("127.0.0.1", port))
    s.setblocking(False)
    return s


def drain(s, seen):
    while True:
        try:
            d = s.recv(65535)
        except (BlockingIOError, ConnectionRefusedError):
            return
        seen.append(describe(d))


def send(s, pkt, seen):
    for _ in range(200):
        try:
            s.send(pkt)
            return True
        except BlockingIOError:
            select.select([s], [s], [], 0.005)
            drain(s, seen)
        except ConnectionRefusedError:
            # ICMP port unreachable from an earlier datagram (router restarting).
            return False
    return False


def linger(s, seconds, seen):
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return
        select.select([s], [], [], left)
        drain(s, seen)


def cmd_flood(a):
    rng = random.Random(a.seed)
    s = open_far(a.far, a.port)
    seen, per_src = [], {}
    sent = failed = 0
    t0 = time.monotonic()
    avoid = {a.src, a.dst}
    for i in range(a.count):
        # Pace: packet i leaves at t0 + i * seconds / count.
        due = t0 + i * a.seconds / a.count
        now = time.monotonic()
        if due > now:
            select.select([s], [], [], due - now)
            drain(s, seen)
        src = random_src(rng, avoid) if rng.randrange(100) < a.random_src_pct else a.src
        spi = rng.randrange(0x100, 1 << 32)
        proto = a.proto if a.proto != "mix" else rng.choice(("esp", "ah"))
        body = esp(spi, i + 1) if proto == "esp" else ah(spi, i + 1)
        pkt = ip4(src, a.dst, 50 if proto == "esp" else 51, body, i & 0xFFFF)
        if send(s, pkt, seen):
            sent += 1
            key = src if src == a.src else "random"
            per_src[key] = per_src.get(key, 0) + 1
        else:
            failed += 1
    dur = time.monotonic() - t0
    linger(s, a.linger, seen)
    json.dump({"sent": sent, "failed": failed, "seconds": round(dur, 3), "per_src": per_src,
               "router_sent": seen}, sys.stdout)
    print()


def cmd_notify(a):
    from scapy.layers.inet import IP, UDP
    from scapy.layers.isakmp import ISAKMP
    from scapy.packet import Raw

    s = open_far(a.far, a.port)
    seen = []
    for _ in range(a.count):
        if a.cookies == "random":
            ic, rc = os.urandom(8), os.urandom(8)
        else:
            ic, rc = (bytes.fromhex(h) for h in a.cookies.split(":"))
        # RFC 2408 §3.14 Notification payload: next 0, reserved, length,
        # DOI 1 (IPsec), protocol, SPI size 4, type 11 INVALID-SPI, SPI.
        spi = int(a.spi, 16)
        body = struct.pack("!IBBH", 1, a.proto, 4, 11) + struct.pack("!I", spi)
        notif = struct.pack("!BBH", 0, 0, 4 + len(body)) + body
        msg = ISAKMP(init_cookie=ic, resp_cookie=rc, next_payload=11, exch_type=5, flags=0,
                     id=0) / Raw(notif)
        pkt = IP(src=a.src, dst=a.dst, ttl=64) / UDP(sport=500, dport=500) / msg
        raw = bytes(pkt)
        hdr = ISAKMP(raw[28:])
        assert hdr.exch_type == 5 and hdr.flags == 0 and hdr.next_payload == 11
        if not send(s, raw, seen):
            sys.exit("send failed")
    linger(s, a.linger, seen)
    json.dump({"sent": a.count, "router_sent": seen}, sys.stdout)
    print()


def cmd_cookies(a):
    from scapy.layers.inet import IP, UDP
    from scapy.utils import rdpcap

    found = None
    for p in rdpcap(a.pcap):
        if UDP not in p:
            continue
        inner = bytes(p[UDP].payload)
        if len(inner) < 20 + 8 + 28 or inner[0] >> 4 != 4 or inner[9] != 17:
            continue
        ip = IP(inner)
        if UDP not in ip or ip[UDP].dport not in (500, 4500):
            continue
        isk = bytes(ip[UDP].payload)
        if ip[UDP].dport == 4500:
            isk = isk[4:]
        ic, rc, exch = isk[0:8], isk[8:16], isk[18]
        if exch == 2 and rc != b"\0" * 8:
            found = (ic.hex(), rc.hex())
    if not found:
        sys.exit("no Main Mode with both cookies in " + a.pcap)
    print(*found)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("flood")
    f.add_argument("--far", type=int, required=True)
    f.add_argument("--port", type=int, required=True)
    f.add_argument("--dst", required=True)
    f.add_argument("--src", default="10.1.1.1")
    f.add_argument("--random-src-pct", type=int, default=0)
    f.add_argument("--count", type=int, default=1)
    f.add_argument("--seconds", type=float, default=0)
    f.add_argument("--proto", choices=("esp", "ah", "mix"), default="esp")
    f.add_argument("--linger", type=float, default=0.5)
    f.add_argument("--seed", type=int, default=None)
    n = sub.add_parser("notify")
    n.add_argument("--far", type=int, required=True)
    n.add_argument("--port", type=int, required=True)
    n.add_argument("--src", required=True)
    n.add_argument("--dst", required=True)
    n.add_argument("--spi", required=True, help="hex")
    n.add_argument("--proto", type=int, default=3)
    n.add_argument("--cookies", default="random")
    n.add_argument("--count", type=int, default=1)
    n.add_argument("--linger", type=float, default=0.5)
    c = sub.add_parser("cookies")
    c.add_argument("pcap")
    a = ap.parse_args()
    if a.cmd == "flood":
        if a.count < 1 or a.count > 100000 or a.seconds < 0 or a.seconds > 60:
            sys.exit("flood: 1..100000 packets over at most 60 s")
        cmd_flood(a)
    elif a.cmd == "notify":
        if a.count < 1 or a.count > 100:
            sys.exit("notify: 1..100")
        cmd_notify(a)
    else:
        cmd_cookies(a)


if __name__ == "__main__":
    main()
