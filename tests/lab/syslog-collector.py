#!/usr/bin/python3
"""A syslog collector on a lab LAN: binds the far end of a router's stub
port (one IPv4 packet per datagram, src/cmd/lab.c), so it is the only host
on that LAN, and writes every UDP datagram the router sends there as one
JSON line {"src", "sport", "dst", "dport", "payload"} to OUT (flushed).
Runs until SECONDS pass or the file OUT.stop exists.

  syslog-collector.py --far F --out FILE [--seconds S]
"""
import argparse
import json
import os
import select
import socket
import struct
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--far", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seconds", type=float, default=60)
    a = ap.parse_args()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", a.far))
    end = time.monotonic() + a.seconds
    with open(a.out, "w") as out:
        while time.monotonic() < end and not os.path.exists(a.out + ".stop"):
            r, _, _ = select.select([s], [], [], 0.1)
            if not r:
                continue
            pkt = s.recv(65535)
            if len(pkt) < 28 or pkt[0] >> 4 != 4 or pkt[9] != 17:
                continue
            ihl = (pkt[0] & 15) * 4
            sport, dport, ulen = struct.unpack("!HHH", pkt[ihl:ihl + 6])
            payload = pkt[ihl + 8:ihl + ulen]
            out.write(json.dumps({
                "src": socket.inet_ntoa(pkt[12:16]), "dst": socket.inet_ntoa(pkt[16:20]),
                "sport": sport, "dport": dport,
                "payload": payload.decode("utf-8", "replace")}) + "\n")
            out.flush()


if __name__ == "__main__":
    main()
