"""The adversary's IKEv2 toolkit (labs/seed-ikev2): packets, what `show` says, Lab2.

The same relay as advlib.py owns the A-B link.  After each attack a test
checks what an engineer would: `show crypto ikev2 sa detailed` lists the same
READY IKE SAs (SPIs, roles, Child SAs and their ESP SPIs), `show crypto ipsec
sa` the same SPIs and peers, the counters of `show crypto ikev2 stats` that
only a change of state moves have not moved, the drop counters have, and a
ping through the tunnel gets every reply.
"""
import os
import random
import re
import struct
import time

from advlib import AB, BA, Fail, Relay, cli, drops, ip_fields, peer_ports, ping, spis, udp

rnd = random.Random(int(os.environ.get("ADV_SEED", "11")))

EXCH = {34: "INIT", 35: "AUTH", 36: "CCS", 37: "INFO"}
F_INIT, F_RSP = 0x08, 0x20
N_INVALID_SPI, N_INVALID_IKE_SPI, N_QCD = 11, 4, 16402


# ------------------------------------------------------------ packets

def ike2_of(p):
    """(sport, dport, IKEv2 message) of an IKEv2 datagram on UDP 500/4500, else None."""
    f = ip_fields(p)
    if f["proto"] != 17 or f["off"] & 0x3FFF:
        return None
    u = p[f["ihl"]:]
    if len(u) < 8:
        return None
    sport, dport = struct.unpack("!HH", u[:4])
    body = u[8:]
    if 4500 in (sport, dport):
        if body[:4] != b"\0\0\0\0":
            return None
        body = body[4:]
    if 500 not in (sport, dport) and 4500 not in (sport, dport):
        return None
    if len(body) < 28 or body[17] != 0x20:
        return None
    return sport, dport, body


def hdr(b):
    ic, rc, np, ver, xchg, flags, mid, ln = struct.unpack("!8s8sBBBBII", b[:28])
    return dict(ic=ic, rc=rc, np=np, ver=ver, xchg=xchg, flags=flags, mid=mid, len=ln)


def name_of(b):
    h = hdr(b)
    return "%s-%s#%d" % (EXCH.get(h["xchg"], "X%d" % h["xchg"]), "rsp" if h["flags"] & F_RSP else "req",
                         h["mid"])


def v2msg(ic, rc, xchg, flags, mid, payloads):
    """An IKEv2 message in the clear; payloads = [(type, body)], chained."""
    body = b""
    for i, (t, pl) in enumerate(payloads):
        nxt = payloads[i + 1][0] if i + 1 < len(payloads) else 0
        body += struct.pack("!BBH", nxt, 0, 4 + len(pl)) + pl
    first = payloads[0][0] if payloads else 0
    return struct.pack("!8s8sBBBBII", ic, rc, first, 0x20, xchg, flags, mid, 28 + len(body)) + body


def notify(ntype, proto=0, spi=b"", data=b""):
    return (41, struct.pack("!BBH", proto, len(spi), ntype) + spi + data)


def delete(proto, spis_=()):
    size = 4 if proto == 3 else 0
    return (42, struct.pack("!BBH", proto, size, len(spis_)) + b"".join(struct.pack("!I", s) for s in spis_))


# ------------------------------------------------------------ what a user sees

def v2_sas(r):
    """The READY IKE SAs of `show crypto ikev2 sa detailed`, without the lines time and DPD move
    (Life/Active, message IDs, retransmission): row, SPIs, role, Child SAs."""
    out = cli(r, "show", "crypto", "ikev2", "sa", "detailed")
    keep, cur, ready = [], None, False
    for ln in out.splitlines():
        m = re.match(r"^(\d+)\s+(\S+/\d+)\s+(\S+/\d+)\s+\S+\s+(\S+)$", ln)
        if m:
            ready = m.group(4) == "READY"
            if ready:
                keep.append(" ".join(m.groups()))
            continue
        if ready and re.search(r"Local spi:|Initiator of SA|Child sa:|remote selector|ESP spi in/out", ln):
            keep.append(" ".join(ln.split()))
    return keep


def v2_all_rows(r):
    out = cli(r, "show", "crypto", "ikev2", "sa")
    return [ln.split() for ln in out.splitlines() if re.match(r"^\d+\s+\S+/\d+", ln)]


def stat(out, label):
    m = re.search(r"^\s+" + re.escape(label) + r"\s+(\d+)\s*$", out, re.M)
    return int(m.group(1)) if m else None


# Counters that only a change of state moves (drops may grow).
V2_STATE = ["IKE SAs ready", "INVALID_SPI received", "Child SA Deletes received", "IKE SA Deletes received",
            "Child SAs created", "Child SAs rekeyed", "IKE SAs rekeyed", "INITIAL_CONTACT received (authenticated)",
            "Child SAs installed", "Child SAs removed (engine said down)", "IKE SAs down",
            "IKE SAs replaced (peer's INITIAL_CONTACT)", "peers declared dead (DPD)"]


def v2_stats(r):
    return cli(r, "show", "crypto", "ikev2", "stats")


def v2_state(r):
    out = v2_stats(r)
    return {k: stat(out, k) for k in V2_STATE}


def v2_drops(r):
    """Every counter under a `Drops:` heading of `show crypto ikev2 stats`, `show crypto isakmp
    stats`' drops and ESP receive errors."""
    n, on = 0, False
    for ln in v2_stats(r).splitlines():
        if ln.strip() == "Drops:":
            on = True
            continue
        if on and re.match(r"^    \S", ln):
            n += int(ln.split()[-1])
        else:
            on = False
    return n + drops(r)     # IKEv1's (a major version other than 2 is judged there) and ESP's


def snapshot2():
    return {r: dict(ike=v2_sas(r), spis=spis(r), ports=peer_ports(r), state=v2_state(r)) for r in "AB"}


def diff(a, b):
    out = []
    for r in "AB":
        for k in a[r]:
            if a[r][k] != b[r][k]:
                if k == "state":
                    out += ["%s %s: %s -> %s" % (r, s, a[r][k][s], b[r][k][s]) for s in a[r][k]
                            if a[r][k][s] != b[r][k][s]]
                else:
                    out.append("%s %s: %r -> %r" % (r, k, a[r][k], b[r][k]))
    return "; ".join(out)


class Lab2:
    def __init__(self):
        self.relay = Relay()
        self.base = None

    def settle(self, secs=15):
        """Two equal snapshots 0.5 s apart, each router with a READY SA and Child SAs."""
        end, last = time.time() + secs, None
        while time.time() < end:
            s = snapshot2()
            if s == last and all(s[r]["ike"] and s[r]["spis"] for r in "AB"):
                return s
            last = s
            time.sleep(0.5)
        raise Fail("the IKEv2 SAs did not settle in %d s: %r" % (secs, last))

    def up(self):
        for _ in range(3):
            if ping("A", 5) >= 4:
                break
        else:
            raise Fail("the IKEv2 tunnel did not come up through the relay")
        if ping("B", 3) < 3:
            raise Fail("B -> A through the IKEv2 tunnel")
        self.base = self.settle()
        return self.base

    def same(self, what, before=None):
        before = before or self.base
        now = snapshot2()
        if now != before:
            raise Fail("%s changed the tunnel: %s" % (what, diff(before, now)))
        n = ping("A", 3)
        if n < 3:
            raise Fail("%s: the tunnel no longer carries traffic (%d/3)" % (what, n))
        now = snapshot2()
        if now != before:
            raise Fail("%s: the SAs changed when traffic flowed: %s" % (what, diff(before, now)))


def msgs_of(rec):
    """Distinct IKEv2 messages in a record, in order: (name, dir, datagram, ike bytes)."""
    seen, out = set(), []
    for t, d, p in rec:
        k = ike2_of(p)
        if k and k[2] not in seen:
            seen.add(k[2])
            out.append((name_of(k[2]), d, p, k[2]))
    return out


def emitted2(lab, m):
    rec, _ = lab.relay.since(m)
    return [(d, k[2]) for t, d, p in rec for k in [ike2_of(p)] if k]


def rev(d):
    return BA if d == AB else AB


def answers_to(lab, m, d, ik):
    """IKEv2 responses sent back toward the sender of ik on its IKE SA since mark m: with ik's
    message ID, or with one no genuine request of the sender (in the last second) carried; so a
    stored reply sent for the wrong request counts too, a liveness answer does not."""
    h = hdr(ik)
    with lab.relay.lock:
        rec = list(lab.relay.rec)
    t0 = rec[m[0]][0] if m[0] < len(rec) else time.monotonic()
    genuine = set()
    for t, dd, p in rec[max(0, m[0] - 50):]:
        k = ike2_of(p)
        if k and dd == d and t >= t0 - 1.0:
            hb = hdr(k[2])
            if not hb["flags"] & F_RSP and hb["ic"] == h["ic"]:
                genuine.add(hb["mid"])
    out = []
    for dd, b in emitted2(lab, m):
        hb = hdr(b)
        if dd == rev(d) and hb["flags"] & F_RSP and hb["ic"] == h["ic"] and \
                (hb["mid"] == h["mid"] or hb["mid"] not in genuine):
            out.append(b)
    return out


def inside_flow(lab, n, size=1200, src="10.0.0.5", dst="10.0.2.9"):
    """n UDP datagrams from Host 1's subnet into A's inside interface (the subnet-wide ACE)."""
    xa = lab.relay.xa
    for i in range(n):
        pkt = udp(src, dst, 40000 + (i % 7), 9, b"d" * size)
        xa.sendto(pkt, ("127.0.0.1", int(os.environ["ADV_IA"])))
        if i % 50 == 49:
            time.sleep(0.02)


def wait_for(pred, secs, what):
    end = time.time() + secs
    while time.time() < end:
        if pred():
            return
        time.sleep(0.3)
    raise Fail("%s: not within %d s" % (what, secs))


def no_storm2(lab, what, secs=3.0, limit=4):
    """An idle link stays (nearly) quiet: at most a liveness exchange, never a loop."""
    m = lab.relay.mark()
    time.sleep(secs)
    n = len(emitted2(lab, m))
    if n > limit:
        raise Fail("%s: %d IKEv2 datagrams in %.0f idle seconds (a loop)" % (what, n, secs))
