#!/usr/bin/python3
"""The adversary on the seed lab's A-B link (tests/adversary).

A relay thread owns both ends of the udp: link (one IPv4 packet per UDP
datagram): everything A sends goes to RA and on to B, everything B sends to
RB and on to A.  It records every datagram, and can drop, delay, duplicate,
hold and release (reorder), replay and inject.  Packets are crafted with the
standard library only (struct), so a test starts in milliseconds.

Run as `advlib.py SCENARIO` from a tests/adversary/*.sh script after adv_up
(lib-adv.sh); the scenarios are the functions named sc_*.  Exit 0 = pass.
"""
import heapq
import os
import re
import select
import socket
import struct
import sys
import threading
import time

ENV = os.environ
A_OUT, B_OUT = "10.1.1.1", "10.2.2.2"   # the crypto endpoints
A_IN, B_IN = "10.0.0.1", "10.0.2.2"     # the inside interfaces
AB, BA = "AB", "BA"


class Fail(Exception):
    pass


def note(msg):
    print("  " + msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- packets

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip2b(a):
    return socket.inet_aton(a)


def ipv4(src, dst, proto, payload, ident=0x4242, flags_off=0, ttl=64, total=None):
    tl = total if total is not None else 20 + len(payload)
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tl, ident, flags_off, ttl, proto, 0, ip2b(src), ip2b(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def udp(src, dst, sport, dport, payload, cksum=True):
    u = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    if cksum:
        ph = ip2b(src) + ip2b(dst) + struct.pack("!BBH", 0, 17, len(u))
        c = csum(ph + u) or 0xFFFF
        u = u[:6] + struct.pack("!H", c) + u[8:]
    return ipv4(src, dst, 17, u)


def icmp_echo(src, dst, ident=0x77, seq=1, data=b"adversary" * 4):
    m = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + data
    m = m[:2] + struct.pack("!H", csum(m)) + m[4:]
    return ipv4(src, dst, 1, m)


def tcp_syn(src, dst, sport, dport):
    t = struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, 0x02, 8192, 0, 0)
    ph = ip2b(src) + ip2b(dst) + struct.pack("!BBH", 0, 6, len(t))
    t = t[:16] + struct.pack("!H", csum(ph + t)) + t[18:]
    return ipv4(src, dst, 6, t)


def ip_fields(p):
    ihl = (p[0] & 15) * 4
    return dict(ihl=ihl, proto=p[9], src=socket.inet_ntoa(p[12:16]), dst=socket.inet_ntoa(p[16:20]),
                off=struct.unpack("!H", p[6:8])[0])


def set_dst(p, dst):
    h = bytearray(p[:20])
    h[16:20] = ip2b(dst)
    h[10:12] = b"\0\0"
    h[10:12] = struct.pack("!H", csum(bytes(h)))
    return bytes(h) + p[20:]


def set_src(p, src):
    h = bytearray(p[:20])
    h[12:16] = ip2b(src)
    h[10:12] = b"\0\0"
    h[10:12] = struct.pack("!H", csum(bytes(h)))
    return bytes(h) + p[20:]


def ike_of(p):
    """(sport, dport, isakmp bytes) of an IKE datagram, else None."""
    f = ip_fields(p)
    if f["proto"] != 17 or f["off"] & 0x3FFF:
        return None
    u = p[f["ihl"]:]
    sport, dport = struct.unpack("!HH", u[:4])
    body = u[8:]
    if dport == 4500 or sport == 4500:
        if body[:4] != b"\0\0\0\0":
            return None  # ESP in UDP or a NAT keepalive
        body = body[4:]
    if (dport in (500, 4500)) and len(body) >= 28:
        return sport, dport, body
    return None


def ike_hdr(b):
    ic, rc, np, ver, xchg, flags, mid, ln = struct.unpack("!8s8sBBBBII", b[:28])
    return dict(ic=ic, rc=rc, np=np, ver=ver, xchg=xchg, flags=flags, mid=mid, len=ln)


def ike_dgram(src, dst, sport, dport, isakmp):
    body = (b"\0\0\0\0" + isakmp) if dport == 4500 else isakmp
    return udp(src, dst, sport, dport, body)


# ---------------------------------------------------------------- relay

class Relay:
    def __init__(self):
        self.pa, self.pb = int(ENV["ADV_PA"]), int(ENV["ADV_PB"])
        self.sa = self._bind(int(ENV["ADV_RA"]))
        self.sb = self._bind(int(ENV["ADV_RB"]))
        # The inside stubs: whatever a router forwards to its inside lands here.
        self.xa = self._bind(int(ENV["ADV_XA"]))
        self.xb = self._bind(int(ENV["ADV_XB"]))
        self.lock = threading.Lock()
        self.rec = []            # (t, dir, bytes) of every datagram a router sent on the link
        self.inside = []         # (t, "A"/"B", bytes) leaving an inside interface
        self.hold = {AB: False, BA: False}
        self.held = {AB: [], BA: []}
        self.drop = None         # fn(dir, pkt) -> True to drop
        self.dup = None          # fn(dir, pkt) -> True to send twice
        self.delay_ms = 0
        self.timers = []
        self.seq = 0
        self.stop = False
        self.th = threading.Thread(target=self._run, daemon=True)
        self.th.start()

    @staticmethod
    def _bind(port):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", port))
        s.setblocking(False)
        return s

    def _out(self, d, pkt):
        try:
            if d == AB:
                self.sb.sendto(pkt, ("127.0.0.1", self.pb))
            else:
                self.sa.sendto(pkt, ("127.0.0.1", self.pa))
        except OSError:
            pass

    def _forward(self, d, pkt):
        if self.drop and self.drop(d, pkt):
            return
        n = 2 if (self.dup and self.dup(d, pkt)) else 1
        for _ in range(n):
            if self.hold[d]:
                self.held[d].append(pkt)
            elif self.delay_ms:
                self.seq += 1
                heapq.heappush(self.timers, (time.monotonic() + self.delay_ms / 1000, self.seq, d, pkt))
            else:
                self._out(d, pkt)

    def _run(self):
        socks = [self.sa, self.sb, self.xa, self.xb]
        while not self.stop:
            now = time.monotonic()
            wait = 0.05
            with self.lock:
                while self.timers and self.timers[0][0] <= now:
                    _, _, d, pkt = heapq.heappop(self.timers)
                    self._out(d, pkt)
                if self.timers:
                    wait = max(0, min(wait, self.timers[0][0] - now))
            r, _, _ = select.select(socks, [], [], wait)
            for s in r:
                try:
                    pkt, _ = s.recvfrom(65535)
                except OSError:
                    continue
                with self.lock:
                  try:
                    t = time.monotonic()
                    if s is self.sa:
                        self.rec.append((t, AB, pkt))
                        self._forward(AB, pkt)
                    elif s is self.sb:
                        self.rec.append((t, BA, pkt))
                        self._forward(BA, pkt)
                    else:
                        self.inside.append((t, "A" if s is self.xa else "B", pkt))
                  except Exception:  # a test's hook failed: say so, keep relaying
                    import traceback
                    traceback.print_exc()

    # -- what tests call
    def inject(self, d, pkt):
        """Sends pkt toward B (AB) or A (BA) as if it came down the link."""
        with self.lock:
            self._out(d, pkt)

    def release(self, d, reverse=False):
        with self.lock:
            q = self.held[d]
            self.held[d] = []
            self.hold[d] = False
            for pkt in (reversed(q) if reverse else q):
                self._out(d, pkt)

    def mark(self):
        with self.lock:
            return len(self.rec), len(self.inside)

    def since(self, m):
        with self.lock:
            return list(self.rec[m[0]:]), list(self.inside[m[1]:])

    def close(self):
        self.stop = True
        self.th.join(2)


# ---------------------------------------------------------------- routers

_conns = {}


def cli(r, *cmd):
    """One exec command on router r over its control socket (the protocol src/cli/client.c speaks:
    'X line', then '|'/'~' output lines and a final '= status'); one connection kept per router,
    which saves starting the sanitizer-built CLI hundreds of times."""
    line = " ".join(cmd)
    for attempt in range(2):
        c = _conns.get(r)
        if c is None:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(60)
            s.connect(ENV["ADV_SOCK_" + r])
            c = _conns[r] = (s, s.makefile("rb"))
        s, f = c
        try:
            s.sendall(b"X " + line.encode() + b"\n")
            out = []
            while True:
                ln = f.readline()
                if not ln:
                    raise OSError("closed")
                ln = ln.decode(errors="replace").rstrip("\n")
                if ln[:1] in ("|", "~"):
                    out.append(ln[2:] if ln[1:2] == " " else ln[1:])
                elif ln[:1] == "=":
                    return "\n".join(out) + "\n"
        except OSError:
            _conns.pop(r, None)
            if attempt:
                raise
    return ""


def ping(src_router="A", count=5, timeout=1):
    if src_router == "A":
        out = cli("A", "ping", B_IN, "source", A_IN, "repeat", str(count), "timeout", str(timeout))
    else:
        out = cli("B", "ping", A_IN, "source", B_IN, "repeat", str(count), "timeout", str(timeout))
    m = re.search(r"Success rate is \d+ percent \((\d+)/(\d+)\)", out)
    return int(m.group(1)) if m else -1


def spis(r):
    """The SPIs of every IPsec SA a router holds, inbound and outbound."""
    out = cli(r, "show", "crypto", "ipsec", "sa")
    return sorted(set(re.findall(r"spi: (0x[0-9A-Fa-f]+)", out)))


def isakmp_rows(r):
    out = cli(r, "show", "crypto", "isakmp", "sa")
    return sorted(" ".join(l.split()[1:5]) for l in out.splitlines()
                  if re.match(r"^\S*\s+\d+\.\d+\.\d+\.\d+\s+\d+", l) and "deleted" not in l)


def peer_ports(r):
    out = cli(r, "show", "crypto", "ipsec", "sa")
    return sorted(set(re.findall(r"current_peer: (\S+)", out)))


# Counters that only a change of state moves: after an attack they must not
# have grown (drop counters may).
STATE = [
    ("p1", r"Phase 1: (\d+) completed"), ("p2", r"Phase 2: (\d+) completed"),
    ("installed", r"bundles installed (\d+)"), ("rekeys", r"rekeys (\d+)"),
    ("delete_rx", r"Delete: (\d+) received"), ("delete_tx", r"Delete: \d+ received, (\d+) sent"),
    ("invspi_rx", r"INVALID-SPI (\d+) received"), ("invspi_tx", r"INVALID-SPI \d+ received, (\d+) sent"),
    ("floated", r"(\d+) floated to 4500"), ("dead", r"(\d+) peers dead"),
    ("isr_tx", r"INVALID_SPI notifies sent: (\d+)"), ("isr_init", r"IKE SAs initiated for recovery: (\d+)"),
    ("isr_acted", r"Acted on \(SAs deleted\): (\d+)"),
]


def state_counters(r):
    out = cli(r, "show", "crypto", "isakmp", "stats") + cli(r, "show", "crypto", "isakmp", "invalid-spi-recovery")
    c = {}
    for name, rx in STATE:
        m = re.search(rx, out)
        c[name] = int(m.group(1)) if m else None
    return c


def drops(r):
    """The sum of IKE's drop counters, and of the data plane's receive errors."""
    out = cli(r, "show", "crypto", "isakmp", "stats")
    sec = out.split("Drops:", 1)[1].split("Retransmissions", 1)[0] if "Drops:" in out else ""
    n = sum(int(x) for x in re.findall(r"(\d+)\s*$", sec, re.M))
    n += sum(int(x) for x in re.findall(r"(\d+) bad on 4500", out))
    ip = cli(r, "show", "crypto", "ipsec", "sa")
    n += sum(int(x) for x in re.findall(r"#recv errors (\d+)", ip))
    return n


def snapshot():
    return {r: dict(ike=isakmp_rows(r), spis=spis(r), ports=peer_ports(r), state=state_counters(r)) for r in "AB"}


class Lab:
    def __init__(self):
        self.relay = Relay()
        self.base = None

    def up(self):
        """The first ping brings IKE and IPsec up (held packets go out when the SAs land)."""
        for _ in range(3):
            if ping("A", 5) >= 4:
                break
        else:
            raise Fail("the tunnel did not come up through the relay")
        if ping("B", 3) < 3:
            raise Fail("B -> A through the tunnel")
        # The phase-2 restore after INITIAL-CONTACT (docs/RECOVERY.md) brings up
        # every ACL line's flow, the responder's only after P2UP_RESPONDER_DELAY_MS:
        # the baseline is the tunnel once both routers have finished it.
        end = time.time() + 20
        while time.time() < end:
            if all("(active: 0)" in cli(r, "show", "crypto", "isakmp", "invalid-spi-recovery")
                   for r in "AB"):
                break
            time.sleep(0.25)
        else:
            raise Fail("the phase-2 restore after the first contact did not finish in 20 s")
        self.base = snapshot()
        if not self.base["A"]["spis"] or not self.base["A"]["ike"]:
            raise Fail("no SAs after the tunnel came up: %r" % self.base)
        return self.base

    def same(self, what, before=None):
        """The tunnel is up and the SAs (SPIs), IKE SAs and peer ports are as before."""
        before = before or self.base
        now = snapshot()
        if now != before:
            raise Fail("%s changed the tunnel:\n  before %r\n  after  %r" % (what, before, now))
        n = ping("A", 3)
        if n < 3:
            raise Fail("%s: the tunnel no longer carries traffic (%d/3)" % (what, n))
        if snapshot() != before:
            raise Fail("%s: the SAs changed when traffic flowed" % what)


def classify(rec):
    """Names every IKE datagram in a record: MM1..MM6, QM1..QM3 (by message ID), INFO, by order.
    Retransmissions carry the same IKE bytes (not the same IP identification): same name."""
    out = []
    seen = {}
    for t, d, pkt in rec:
        k = ike_of(pkt)
        if not k:
            continue
        h = ike_hdr(k[2])
        if h["xchg"] == 2:
            key = ("mm", h["ic"])
            base = "MM"
        elif h["xchg"] == 32:
            key = ("qm", h["ic"], h["mid"])
            base = "QM"
        elif h["xchg"] == 5:
            out.append(("INFO", d, pkt))
            continue
        else:
            out.append(("X%d" % h["xchg"], d, pkt))
            continue
        # a retransmission repeats the same bytes: same name
        lst = seen.setdefault(key, [])
        if k[2] in lst:
            n = lst.index(k[2]) + 1
        else:
            lst.append(k[2])
            n = len(lst)
        out.append(("%s%d" % (base, n), d, pkt))
    return out


def main():
    sc = sys.argv[1]
    import advscenarios
    import advscenarios_v2      # the IKEv2 lab's scenarios (sc_v2_*), their own Lab
    fn = getattr(advscenarios, "sc_" + sc, None) or getattr(advscenarios_v2, "sc_" + sc)
    lab = advscenarios_v2.Lab2() if sc.startswith("v2_") else Lab()
    try:
        fn(lab)
    except Fail as e:
        print("FAIL: " + str(e), file=sys.stderr)
        return 1
    finally:
        lab.relay.close()
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import advlib  # one copy of the module (and of Fail) for the scenarios too
    sys.exit(advlib.main())
