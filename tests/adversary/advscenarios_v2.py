"""The adversary against the seed lab over IKEv2 (labs/seed-ikev2), sc_v2_*.

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

from advlib import (A_IN, A_OUT, AB, B_IN, B_OUT, BA, Fail, Relay, cli, icmp_echo, ike_dgram, ip_fields,
                    ipv4, note, peer_ports, ping, set_dst, set_src, spis, udp)
from advscenarios import cleartext_set

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
    """Every counter under a `Drops:` heading of `show crypto ikev2 stats`, and ESP receive errors."""
    n, on = 0, False
    for ln in v2_stats(r).splitlines():
        if ln.strip() == "Drops:":
            on = True
            continue
        if on and re.match(r"^    \S", ln):
            n += int(ln.split()[-1])
        else:
            on = False
    ip = cli(r, "show", "crypto", "ipsec", "sa")
    n += sum(int(x) for x in re.findall(r"#recv errors (\d+)", ip))
    return n


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
    """IKEv2 responses sent back toward the sender of ik (same SPIi and message ID) since mark m."""
    h = hdr(ik)
    out = []
    for dd, b in emitted2(lab, m):
        hb = hdr(b)
        if dd == rev(d) and hb["flags"] & F_RSP and hb["ic"] == h["ic"] and hb["mid"] == h["mid"] and \
                hb["xchg"] == h["xchg"]:
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


# ------------------------------------------------------------ a tunnel's life, replayed

def count_stat(r, label):
    return stat(v2_stats(r), label) or 0


def names(lab):
    return [n for n, d, p, b in msgs_of(lab.relay.rec)]


def life_v2(lab):
    """IKE_SA_INIT, IKE_AUTH; CREATE_CHILD_SA: the Child SA's rekey (kilobytes
    lifetime); a Child SA Delete (clear crypto sa); liveness (dpd 10 periodic); an IKE SA
    Delete (clear crypto ikev2 sa) and a new IKE SA.  Returns the distinct messages."""
    lab.up()
    for _ in range(20):                             # its kilobytes lifetime runs out: a rekey
        inside_flow(lab, 100)
        time.sleep(0.1)
        if count_stat("A", "Child SA rekeys started (soft lifetime)") >= 1:
            break
    wait_for(lambda: count_stat("A", "Child SAs rekeyed") >= 1 and count_stat("A", "Child SA Deletes sent") >= 1,
             15, "the Child SA rekey and the old one's Delete")
    cli("A", "clear", "crypto", "sa")               # Child SA Deletes
    time.sleep(1.2)
    if ping("A", 5) < 3:
        raise Fail("no traffic after clear crypto sa")
    wait_for(lambda: sum(1 for n in names(lab) if n.startswith("INFO-req")) >= 4 and
             count_stat("A", "liveness checks sent") + count_stat("B", "liveness checks sent") >= 1,
             25, "a liveness check (dpd 10 2 periodic)")
    cli("A", "clear", "crypto", "ikev2", "sa")       # IKE SA Delete
    time.sleep(1.2)
    lab.up()
    msgs = msgs_of(lab.relay.rec)
    have = sorted(set(re.sub(r"#\d+", "", n) for n, d, p, b in msgs))
    note("recorded %d distinct IKEv2 messages: %s" % (len(msgs), " ".join(have)))
    for need in ("INIT-req", "INIT-rsp", "AUTH-req", "AUTH-rsp", "CCS-req", "CCS-rsp", "INFO-req", "INFO-rsp"):
        if need not in have:
            raise Fail("the tunnel's life did not produce %s (have %s)" % (need, have))
    return msgs


def current_spis():
    """SPIi of every READY IKE SA, from A's `show crypto ikev2 sa detailed`."""
    out = cli("A", "show", "crypto", "ikev2", "sa", "detailed")
    return set(bytes.fromhex(a if i == "Yes" else b) for a, b, i in
               re.findall(r"Local spi: (\w+)\s+Remote spi: (\w+)[\s\S]*?Initiator of SA : (\w+)", out))


def last_request(lab, d, ic):
    """The newest request sent in direction d on IKE SA ic: the only one a retransmission may answer."""
    last = None
    for t, dd, p in lab.relay.rec:
        k = ike2_of(p)
        if k and dd == d:
            h = hdr(k[2])
            if h["ic"] == ic and not h["flags"] & F_RSP:
                last = k[2]
    return last


def response_to(msgs, d, ik):
    h = hdr(ik)
    return [b for n, dd, p, b in msgs if dd == rev(d) and hdr(b)["flags"] & F_RSP and hdr(b)["ic"] == h["ic"]
            and hdr(b)["mid"] == h["mid"] and hdr(b)["xchg"] == h["xchg"]]


def replay_one(lab, msgs, n, d, p, ik, live):
    m = lab.relay.mark()
    h = hdr(ik)
    ok_answer = (not h["flags"] & F_RSP) and h["ic"] in live and last_request(lab, d, h["ic"]) == ik
    fresh_init = h["xchg"] == 34 and not h["flags"] & F_RSP and h["ic"] not in live
    lab.relay.inject(d, p)
    time.sleep(0.3)
    got = answers_to(lab, m, d, ik)
    if ok_answer:
        if len(got) > 1 or any(b not in response_to(msgs, d, ik) for b in got):
            raise Fail("replayed %s (%s), a retransmission, drew %d answers, not the stored reply" % (n, d, len(got)))
    elif fresh_init:
        # An IKE_SA_INIT for an SA that is gone is a new request (unauthenticated by nature):
        # at most one answer and a half-open SA that times out; the READY SAs must not notice.
        if len(got) > 1:
            raise Fail("replayed %s (%s) of a deleted SA drew %d answers" % (n, d, len(got)))
    elif got:
        raise Fail("replayed %s (%s) drew %d answer(s): only the last request's retransmission may"
                   % (n, d, len(got)))
    return len(got)


def sc_v2_replay(lab):
    """Every IKEv2 message of the tunnel's life replayed one by one (same SA, after the Child
    rekey, after the IKE SA was deleted), then all duplicated three times."""
    msgs = life_v2(lab)
    lab.base = lab.settle()
    live = current_spis()
    d0 = {r: v2_drops(r) for r in "AB"}
    answered, who = 0, []
    for n, d, p, ik in msgs:
        k = replay_one(lab, msgs, n, d, p, ik, live)
        answered += k
        who += ["%s(%s%s)" % (n, d, "" if hdr(ik)["ic"] in live else ",old SA")] if k else []
        lab.same("a replayed %s (%s, %s SA)" % (n, d, "live" if hdr(ik)["ic"] in live else "deleted"))
    grown = sum(v2_drops(r) - d0[r] for r in "AB")
    note("%d messages replayed: %d answered (%s), drop counters grew by %d" % (len(msgs), answered,
                                                                            " ".join(who), grown))
    if grown < len(msgs) - answered - 4:
        raise Fail("%d replays were not answered but the drop counters grew by only %d" %
                   (len(msgs) - answered, grown))
    for n, d, p, ik in msgs:
        for _ in range(3):
            lab.relay.inject(d, p)
    time.sleep(0.5)
    lab.same("every message duplicated three times")
    no_storm2(lab, "after duplicates")
