#!/usr/bin/env python3
"""One-way UDP stream for the netns tests and bench/reboot.

  udpstream.py send DST PORT INTERVAL_MS COUNT   sequence-numbered datagrams
  udpstream.py recv PORT SECONDS OUTFILE          "seq wallclock" per datagram

The receiver never sends, so nothing from its side can bring SAs up.
Both ends are bounded (COUNT, SECONDS).
"""
import socket
import struct
import sys
import time


def send(dst, port, interval_ms, count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    nxt = time.monotonic()
    for seq in range(count):
        try:
            s.sendto(struct.pack("!Id", seq, time.time()) + b"x" * 52, (dst, port))
        except OSError:
            pass  # no route for a moment: the packet is lost, as on a wire
        nxt += interval_ms / 1000.0
        delay = nxt - time.monotonic()
        if delay > 0:
            time.sleep(delay)


def recv(port, seconds, out):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    end = time.monotonic() + seconds
    with open(out, "w", buffering=1) as f:
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            s.settimeout(left)
            try:
                data, _ = s.recvfrom(2048)
            except socket.timeout:
                break
            if len(data) >= 12:
                seq, _sent = struct.unpack("!Id", data[:12])
                f.write("%d %.6f\n" % (seq, time.time()))


if __name__ == "__main__":
    a = sys.argv[1:]
    if len(a) == 5 and a[0] == "send":
        send(a[1], int(a[2]), float(a[3]), int(a[4]))
    elif len(a) == 4 and a[0] == "recv":
        recv(int(a[1]), float(a[2]), a[3])
    else:
        sys.exit(__doc__)
