"""The adversary against the seed lab over IKEv2 (labs/seed-ikev2): the sc_v2_* scenarios,
one per tests/adversary/ikev2_*.sh (the toolkit is advlib_v2.py).

After each attack a test checks what an engineer would: `show crypto ikev2 sa detailed` lists
the same READY IKE SAs (SPIs, roles, Child SAs and their ESP SPIs), `show crypto ipsec sa` the
same SPIs and peers, the counters of `show crypto ikev2 stats` that only a change of state moves
have not moved, the drop counters have, and a ping through the tunnel gets every reply.
"""
import re
import struct
import threading
import time

from advlib import A_IN, A_OUT, AB, B_IN, B_OUT, BA, Fail, cli, ike_dgram, ip_fields, ipv4, note, ping, spis
from advlib_v2 import *  # noqa: F401,F403 (the toolkit, and Lab2 for advlib.main)
from advlib_v2 import rnd
from advscenarios import cleartext_set


# ------------------------------------------------------------ a tunnel's life, replayed

def count_stat(r, label):
    return stat(v2_stats(r), label) or 0


def names(lab):
    return [n for n, d, p, b in msgs_of(lab.relay.rec)]


def life_v2(lab):
    """An IKE SA with a liveness exchange, deleted (clear crypto ikev2 sa); then on the new one,
    which stays: a Child SA rekey (CREATE_CHILD_SA from the kilobytes lifetime, then the old
    Child SA's Delete), Child SA Deletes (clear crypto sa) and a new Child SA, liveness
    (dpd 10 2 periodic).  So the live SA has a run of old requests both ways, and the deleted
    one a whole life.  Returns the distinct messages."""
    lab.up()
    wait_for(lambda: sum(1 for n in names(lab) if n.startswith("INFO-rsp")) >= 1, 25,
             "a liveness check on the first IKE SA")
    cli("A", "clear", "crypto", "ikev2", "sa")       # IKE SA Delete
    time.sleep(1.2)
    lab.up()
    r0 = count_stat("A", "Child SAs rekeyed")
    for _ in range(20):                             # the kilobytes lifetime runs out: a rekey
        inside_flow(lab, 100)
        time.sleep(0.1)
        if count_stat("A", "Child SA rekeys started (soft lifetime)") >= 1:
            break
    wait_for(lambda: count_stat("A", "Child SAs rekeyed") > r0 and count_stat("A", "Child SA Deletes sent") >= 1,
             15, "the Child SA rekey and the old one's Delete")
    cli("A", "clear", "crypto", "sa")               # Child SA Deletes
    time.sleep(1.2)
    if ping("A", 5) < 3:
        raise Fail("no traffic after clear crypto sa")
    live = current_spis()
    on_live = lambda d: sum(1 for n, dd, p, b in msgs_of(lab.relay.rec)
                            if dd == d and hdr(b)["ic"] in live and n.startswith("INFO-req"))
    wait_for(lambda: on_live(AB) >= 2 and on_live(BA) >= 1, 30,
             "liveness checks both ways on the live IKE SA (dpd 10 2 periodic)")
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


def half_open(r):
    m = re.search(r"^SAs\s+\d+\s+\d+\s+\d+\s+(\d+)", v2_stats(r), re.M)
    return int(m.group(1)) if m else -1


def replay_all(lab, msgs, live, what):
    """Each message once (replay_one), then all three times back to back.  IKE_SA_INIT requests
    of SAs that are gone come last: each makes a half-open SA (IKE_SA_INIT is unauthenticated by
    design), which must time out and leave the READY SAs alone; its end is a half-open timeout
    (a drop counter), never "IKE SAs down": it never was a session."""
    fresh = lambda ik: hdr(ik)["xchg"] == 34 and not hdr(ik)["flags"] & F_RSP and hdr(ik)["ic"] not in live
    order = [x for x in msgs if not fresh(x[3])] + [x for x in msgs if fresh(x[3])]
    d0 = {r: v2_drops(r) for r in "AB"}
    answered, who, nfresh = 0, [], 0
    for n, d, p, ik in order:
        k = replay_one(lab, msgs, n, d, p, ik, live)
        answered += k
        who += ["%s(%s%s)" % (n, d, "" if hdr(ik)["ic"] in live else ",old SA")] if k else []
        if fresh(ik):
            nfresh += 1
            continue
        lab.same("a replayed %s (%s, %s SA)%s" % (n, d, "live" if hdr(ik)["ic"] in live else "old", what))
    grown = sum(v2_drops(r) - d0[r] for r in "AB")
    note("%d messages replayed%s: %d answered (%s), drop counters grew by %d" % (
        len(msgs), what, answered, " ".join(who), grown))
    if grown < len(msgs) - answered - 4:
        raise Fail("%d replays were not answered but the drop counters grew by only %d" %
                   (len(msgs) - answered, grown))
    for n, d, p, ik in order:
        for _ in range(3):
            lab.relay.inject(d, p)
    time.sleep(0.5)
    if nfresh:
        # the half-open SAs the old IKE_SA_INITs made time out (10 s)
        wait_for(lambda: half_open("A") == 0 and half_open("B") == 0, 25, "half-open SAs of replayed IKE_SA_INITs to go")
        now = snapshot2()
        timed_out = sum(stat(v2_stats(r), "half-open timed out (no IKE_AUTH)") or 0 for r in "AB")
        note("half-open SAs of replayed IKE_SA_INITs timed out: %d (not counted as IKE SAs down)" % timed_out)
        if not timed_out:
            raise Fail("%d replayed IKE_SA_INITs: no half-open timeout counted" % nfresh)
        if now != lab.base:
            raise Fail("replayed IKE_SA_INITs of old SAs%s changed the tunnel: %s" % (what, diff(lab.base, now)))
        lab.base = snapshot2()
    lab.same("every message duplicated three times" + what)
    no_storm2(lab, "after duplicates" + what)


def sc_v2_replay(lab):
    """Every IKEv2 message of the tunnel's life replayed one by one (same SA, after the Child
    rekey, after the IKE SA was deleted), then all duplicated three times."""
    msgs = life_v2(lab)
    lab.base = lab.settle()
    replay_all(lab, msgs, current_spis(), "")


# ------------------------------------------------------------ forgeries

def mutate(ik, how):
    b = bytearray(ik)
    if how == "icv":
        b[-1] ^= 0x5A
    elif how == "len+":
        b[24:28] = struct.pack("!I", len(b) + 1000)
    elif how == "len-":
        b[24:28] = struct.pack("!I", len(b) - 8)
    elif how == "trunc":
        b = b[:-5]
        b[24:28] = struct.pack("!I", len(b))
    elif how == "trail":                    # a byte after the message, the length unchanged
        b += b"\0"
    elif how == "trail+len":                # ... and counted in the length
        b += b"\0"
        b[24:28] = struct.pack("!I", len(b))
    elif how == "pllen+":                   # the first payload claims more than there is
        b[30:32] = struct.pack("!H", struct.unpack("!H", bytes(b[30:32]))[0] + 4)
    elif how == "pllen-":
        b[30:32] = struct.pack("!H", 3)
    elif how == "ver":
        b[17] = 0x30
    elif how == "np":
        b[16] = 200
    elif how == "crit":                     # first payload: an unknown critical one
        b[16] = 250
        b[29] |= 0x80
    elif how == "iflag":
        b[19] ^= F_INIT
    elif how == "rflag":
        b[19] ^= F_RSP
    elif how == "mid+1":
        b[20:24] = struct.pack("!I", hdr(ik)["mid"] + 1)
    elif how == "hdronly":
        b = b[:28]
        b[24:28] = struct.pack("!I", 28)
        b[16] = 0
    return bytes(b)


MUTATIONS = ("icv", "len+", "len-", "trunc", "trail", "trail+len", "pllen+", "pllen-", "ver", "np", "crit",
             "iflag", "rflag", "mid+1", "hdronly")


def wait_liveness(lab, secs=25):
    wait_for(lambda: sum(1 for n in names(lab) if n.startswith("INFO-rsp")) >= 1, secs,
             "a liveness exchange (dpd 10 2 periodic)")


def live_ike_spis(lab):
    """(SPIi, SPIr) of the READY IKE SA, from the record's IKE_SA_INIT response."""
    live = current_spis()
    for n, d, p, b in msgs_of(lab.relay.rec):
        h = hdr(b)
        if h["xchg"] == 34 and h["flags"] & F_RSP and h["ic"] in live:
            return h["ic"], h["rc"]
    raise Fail("no IKE_SA_INIT answer of the live SA in the record")


def sc_v2_forged(lab):
    """Protected messages broken every way (lengths, trailing bytes, ICV, version, flags, payloads)
    on UDP 500 and 4500; unprotected INVALID_SPI / Delete / INVALID_IKE_SPI (wrong QCD token)
    with the real SPIs; real messages from a wrong address or port."""
    lab.up()
    wait_liveness(lab)
    lab.base = lab.settle()
    msgs = msgs_of(lab.relay.rec)
    d0 = {r: v2_drops(r) for r in "AB"}
    cases = 0
    for n, d, p, ik in msgs:
        f = ip_fields(p)
        for how in MUTATIONS:
            for port in (500, 4500):
                lab.relay.inject(d, ike_dgram(f["src"], f["dst"], port, port, mutate(ik, how)))
                cases += 1
        time.sleep(0.2)
        lab.same("broken copies of %s (%s)" % (n, d))
    grown = sum(v2_drops(r) - d0[r] for r in "AB")
    note("%d broken messages: drop counters grew by %d" % (cases, grown))
    # Every one is dropped and counted (those on 4500 as "on UDP 4500").
    if grown < cases:
        raise Fail("%d broken messages but the drop counters grew by %d" % (cases, grown))

    # Unprotected notifies and Deletes with the live SPIs, both ways, either I flag.
    ic, rc = live_ike_spis(lab)
    d0 = {r: v2_drops(r) for r in "AB"}
    cases = 0
    child = [int(x, 16) for x in spis("A")]
    for d, src, dst in ((AB, A_OUT, B_OUT), (BA, B_OUT, A_OUT)):
        for fl in (F_INIT, 0, F_INIT | F_RSP, F_RSP):
            for mid in range(0, 6):
                forged = [v2msg(ic, rc, 37, fl, mid, [delete(1)]),
                          v2msg(ic, rc, 37, fl, mid, [notify(N_INVALID_IKE_SPI)]),
                          v2msg(ic, rc, 37, fl, mid, [notify(N_INVALID_IKE_SPI),
                                                      notify(N_QCD, data=rnd.getrandbits(256).to_bytes(32, "big"))]),
                          v2msg(ic, rc, 36, fl, mid, [notify(16393, 3, struct.pack("!I", child[0]))])]
                for s in child:
                    forged += [v2msg(ic, rc, 37, fl, mid, [notify(N_INVALID_SPI, 3, data=struct.pack("!I", s))]),
                               v2msg(ic, rc, 37, fl, mid, [delete(3, [s])])]
                for b in forged:
                    lab.relay.inject(d, ike_dgram(src, dst, 500, 500, b))
                    cases += 1
        time.sleep(0.3)
        lab.same("unprotected INVALID_SPI/Delete/INVALID_IKE_SPI with the live SPIs (%s)" % d)
    grown = sum(v2_drops(r) - d0[r] for r in "AB")
    note("%d unprotected notifies/Deletes: drop counters grew by %d" % (cases, grown))
    if grown < cases:
        raise Fail("%d unprotected messages but the drop counters grew by %d" % (cases, grown))

    # The genuine messages from a stranger's address or port: no answer, no peer move.
    for n, d, p, ik in msgs:
        f = ip_fields(p)
        for src, sp, dp in (("10.1.1.99", 500, 500), ("192.0.2.7", 500, 500), (f["dst"], 500, 500),
                            (f["src"], 1234, 500), (f["src"], 4500, 4500), ("192.0.2.7", 4500, 4500)):
            lab.relay.inject(d, ike_dgram(src, f["dst"], sp, dp, ik))
        time.sleep(0.2)
        lab.same("%s (%s) from other addresses and ports" % (n, d))
    # A fresh, authentic request (the next liveness check) arriving from another port, then one
    # from another address: answered to port 500 / not at all; the peer does not move.
    moved = []

    def divert(d, p):
        k = ike2_of(p)
        if not k or moved or d != AB:
            return False
        h = hdr(k[2])
        if h["xchg"] != 37 or h["flags"] & F_RSP:
            return False
        moved.append(k[2])
        lab.relay._out(d, ike_dgram("192.0.2.7", B_OUT, 500, 500, k[2]))
        lab.relay._out(d, ike_dgram(A_OUT, B_OUT, 1234, 500, k[2]))
        return True
    m = lab.relay.mark()
    lab.relay.drop = divert
    # Both ends run `dpd 10`, and a check from the peer counts as hearing from it, so the two
    # take turns: A's own check comes every 2 intervals, 20 s and the event loop's slack.
    t0 = time.monotonic()
    try:
        wait_for(lambda: moved, 45, "A's next liveness check")
    except Fail:
        note("IKEv2 on the link while waiting: %s" % ["%s %s" % (d, name_of(b)) for d, b in emitted2(lab, m)])
        note("A: %s" % " | ".join(l.strip() for l in v2_stats("A").splitlines() if "iveness" in l or "DPD" in l))
        raise
    note("A's liveness check came %.1f s after the wait began" % (time.monotonic() - t0))
    time.sleep(0.5)
    lab.relay.drop = None
    got = answers_to(lab, m, AB, moved[0])
    if len(got) != 1:
        raise Fail("A's liveness check, delivered from port 1234 (and from 192.0.2.7): %d answers" % len(got))
    lab.same("a fresh request from another port and another address")
    no_storm2(lab, "after forgeries")


# ------------------------------------------------------------ ESP with unknown SPIs

def isr(r):
    return cli(r, "show", "crypto", "isakmp", "invalid-spi-recovery")


def isr_count(out, rx):
    m = re.search(rx, out)
    return int(m.group(1)) if m else 0


def sc_v2_esp_spi(lab):
    """ESP with unknown SPIs at a high rate from the peer's address (and a stranger's): the INVALID_SPI
    notifies stay within recovery's rate limit and nothing else changes; stale and broken ESP with
    the live SPIs is dropped."""
    lab.up()
    lab.base = lab.settle()
    m = lab.relay.mark()
    if ping("A", 5) < 5:
        raise Fail("ping")
    rec, _ = lab.relay.since(m)
    data = [(d, p) for t, d, p in rec if ip_fields(p)["proto"] == 50]
    if len(data) < 4:
        raise Fail("no ESP recorded (%d)" % len(data))
    for d, p in data:
        lab.relay.inject(d, p)
    time.sleep(0.3)
    lab.same("replayed ESP (stale sequence numbers)")
    for d, p in data[:4]:
        b = bytearray(p)
        b[-1] ^= 0xFF
        lab.relay.inject(d, bytes(b))
    time.sleep(0.3)
    lab.same("ESP with live SPIs and bad ICVs")
    i0, s0 = isr("B"), v2_stats("B")
    n, t0 = 600, time.time()
    for i in range(n):
        spi = rnd.getrandbits(32) | 0x1000
        src = A_OUT if i % 3 else "192.0.2.%d" % (1 + i % 200)
        lab.relay.inject(AB, ipv4(src, B_OUT, 50, struct.pack("!II", spi, 1) + b"e" * 64))
    secs = time.time() - t0
    time.sleep(2.5)         # the notifies queued behind the window of one go out
    i1, s1 = isr("B"), v2_stats("B")
    sent = isr_count(i1, r"INVALID_SPI notifies sent: (\d+)") - isr_count(i0, r"INVALID_SPI notifies sent: (\d+)")
    v2sent = (stat(s1, "INVALID_SPI sent") or 0) - (stat(s0, "INVALID_SPI sent") or 0)
    seen = isr_count(i1, r"ESP: (\d+)") - isr_count(i0, r"ESP: (\d+)")
    stranger = isr_count(i1, r"Ignored, source not a static peer: (\d+)") - \
        isr_count(i0, r"Ignored, source not a static peer: (\d+)")
    note("%d ESP with unknown SPIs in %.1f s: B counted %d, sent %d INVALID_SPI (%d IKEv2 INFORMATIONALs), "
         "%d from strangers ignored" % (n, secs, seen, sent, v2sent, stranger))
    if seen < n * 9 // 10:
        raise Fail("B counted %d of %d ESP datagrams with unknown SPIs" % (seen, n))
    limit = 5 * (int(secs + 2.5) + 2)         # ISR_NOTIFY_PER_PEER_SEC per second
    if sent > limit or v2sent > limit:
        raise Fail("INVALID_SPI notifies: %d (IKEv2 %d) for %.1f s of flood, more than %d" % (sent, v2sent, secs, limit))
    if v2sent < 1:
        raise Fail("B told A about no unknown SPI at all (INVALID_SPI sent 0)")
    a = v2_stats("A")
    note("A: INVALID_SPI for an unknown SPI %s" % stat(a, "INVALID_SPI for an unknown SPI"))
    lab.same("a flood of ESP with unknown SPIs")
    no_storm2(lab, "after the ESP flood", limit=6)


# ------------------------------------------------------------ half-open flood

def reset_v2():
    for r in "AB":
        cli(r, "clear", "crypto", "ikev2", "sa")
        cli(r, "clear", "crypto", "sa")
    time.sleep(1.2)


def one_tunnel_v2(what):
    """One READY IKE SA each side, one Child SA (4 SPIs) that both hold crosswise."""
    a, b = v2_sas("A"), v2_sas("B")
    rows = lambda s: [x for x in s if x.endswith("READY")]
    kids = lambda s: [x for x in s if x.startswith("ESP spi")]
    if len(rows(a)) != 1 or len(rows(b)) != 1:
        raise Fail("%s: READY IKE SAs A %r B %r" % (what, rows(a), rows(b)))
    if len(kids(a)) != 1 or len(kids(b)) != 1:
        raise Fail("%s: Child SAs A %r B %r (one expected)" % (what, kids(a), kids(b)))
    sa, sb = spis("A"), spis("B")
    if len(sa) != 2 or sa != sb:
        raise Fail("%s: SPIs A %r B %r (one Child SA, crosswise, expected)" % (what, sa, sb))


def negotiate_v2(lab, what, secs=30):
    end = time.time() + secs
    while time.time() < end:
        if ping("A", 2) >= 1:
            break
    else:
        last = ["%s%s" % (n, ">" if d == AB else "<") for n, d, p, b in msgs_of(lab.relay.rec)][-20:]
        raise Fail("%s: the tunnel did not come up in %d s; the link saw: %s" % (what, secs, " ".join(last)))
    lab.relay.drop = lab.relay.dup = None
    lab.relay.delay_ms = 0
    time.sleep(0.8)
    if ping("A", 3) < 3 or ping("B", 3) < 3:
        raise Fail("%s: traffic does not pass both ways" % what)
    one_tunnel_v2(what)


def forged_inits(ik, n, src=A_OUT):
    out = []
    for i in range(n):
        b = bytearray(ik)
        b[0:8] = rnd.getrandbits(64).to_bytes(8, "big")
        out.append(ike_dgram(src, B_OUT, 1024 + i, 500, bytes(b)))
    return out


def sc_v2_halfopen(lab):
    """100 forged IKE_SA_INIT from the real peer's address and many source ports, and 100 from
    strangers: half-open SAs stay within their limits and the live SA is untouched; then the real
    peers renegotiate, once after the burst and once while a slower flood goes on."""
    lab.up()
    lab.base = lab.settle()
    init = [b for n, d, p, b in msgs_of(lab.relay.rec) if n == "INIT-req#0"][0]
    s0 = v2_stats("B")
    for p in forged_inits(init, 100):
        lab.relay.inject(AB, p)
    for i in range(100):
        lab.relay.inject(AB, forged_inits(init, 1, src="198.51.100.%d" % (1 + i))[0])
    time.sleep(1.0)
    s1 = v2_stats("B")
    half = int(re.search(r"^SAs\s+\d+\s+\d+\s+\d+\s+(\d+)", s1, re.M).group(1))
    ev = (stat(s1, "half-open SAs evicted") or 0) - (stat(s0, "half-open SAs evicted") or 0)
    nc = (stat(s1, "no configuration for the peer") or 0) - (stat(s0, "no configuration for the peer") or 0)
    note("200 forged IKE_SA_INIT: B holds %d half-open, evicted %d, %d without configuration" % (half, ev, nc))
    if half > 4:
        raise Fail("B holds %d half-open SAs from one address (limit 4)" % half)
    if nc < 100:
        raise Fail("IKE_SA_INIT from 100 strangers: only %d counted as no configuration" % nc)
    lab.same("200 forged IKE_SA_INIT")
    reset_v2()
    negotiate_v2(lab, "a real negotiation after 100 forged IKE_SA_INIT")
    # A slower flood (20 a second, 5 s) while the peers negotiate again.
    reset_v2()
    flood = forged_inits(init, 100)
    stop = []

    def pump():
        for p in flood:
            if stop:
                return
            lab.relay.inject(AB, p)
            time.sleep(0.05)
    th = threading.Thread(target=pump, daemon=True)
    th.start()
    try:
        negotiate_v2(lab, "a real negotiation during a flood of forged IKE_SA_INIT")
    finally:
        stop.append(1)
        th.join(6)
    s2 = v2_stats("B")
    note("after both floods: half-open %s, evicted %d, half-open timed out %d" % (
        re.search(r"^SAs\s+\d+\s+\d+\s+\d+\s+(\d+)", s2, re.M).group(1),
        (stat(s2, "half-open SAs evicted") or 0), stat(s2, "half-open timed out (no IKE_AUTH)") or 0))


def sc_v2_cookie(lab):
    """`crypto ikev2 cookie-challenge 2` on both: 50 forged IKE_SA_INIT from the real peer's address
    leave B 2 half-open SAs and get COOKIE answers, nothing evicted; the real peer, which receives
    the cookie at its address, returns it and its tunnel comes up while the forged SAs still hold B
    above the threshold."""
    lab.up()
    lab.base = lab.settle()
    init = [b for n, d, p, b in msgs_of(lab.relay.rec) if n == "INIT-req#0"][0]
    reset_v2()
    s0, a0 = v2_stats("B"), v2_stats("A")
    d = lambda s1, s0, k: (stat(s1, k) or 0) - (stat(s0, k) or 0)
    for p in forged_inits(init, 50):
        lab.relay.inject(AB, p)
    time.sleep(1.0)
    s1 = v2_stats("B")
    half = int(re.search(r"^SAs\s+\d+\s+\d+\s+\d+\s+(\d+)", s1, re.M).group(1))
    sent, ev = d(s1, s0, "cookies sent"), d(s1, s0, "half-open SAs evicted")
    note("50 forged IKE_SA_INIT: B holds %d half-open, sent %d cookies, evicted %d" % (half, sent, ev))
    if half > 2 or sent < 48 or ev:
        raise Fail("cookie-challenge 2: %d half-open, %d cookies sent, %d evicted (want <= 2, >= 48, 0)"
                   % (half, sent, ev))
    if "challenging now" not in s1:
        raise Fail("show crypto ikev2 stats does not say the challenge is on:\n" + s1)
    negotiate_v2(lab, "a real negotiation while B challenges")
    s2, a2 = v2_stats("B"), v2_stats("A")
    ok, followed = d(s2, s0, "valid cookies received"), d(a2, a0, "COOKIE answers followed (as initiator)")
    note("the real peer followed %d COOKIE answer(s), B accepted %d valid cookie(s)" % (followed, ok))
    if ok < 1 or followed < 1:
        raise Fail("the real negotiation did not go through the cookie (B accepted %d, A followed %d)"
                   % (ok, followed))


# ------------------------------------------------------------ link faults

def sc_v2_link_faults(lab):
    """IKEv2 negotiation with every message lost once, every datagram duplicated, 300 ms delay,
    and the first burst each way reordered: it comes up with one IKE SA and one Child SA."""
    lab.up()
    seen = set()

    def drop_first(d, p):
        k = ike2_of(p)
        if k and k[2] not in seen:
            seen.add(k[2])
            return True
        return False
    cases = [("every datagram duplicated", lambda r: setattr(r, "dup", lambda d, p: True)),
             ("every datagram duplicated, 300 ms delay", lambda r: (setattr(r, "dup", lambda d, p: True),
                                                                    setattr(r, "delay_ms", 300))),
             ("every IKEv2 message lost once", lambda r: setattr(r, "drop", drop_first))]
    for what, setup in cases:
        reset_v2()
        setup(lab.relay)
        negotiate_v2(lab, what, secs=40)
        no_storm2(lab, what)
    # Reordering: hold A's first burst (and B's), release newest first.
    for d in (AB, BA):
        reset_v2()
        lab.relay.hold[d] = True
        cli("A", "ping", B_IN, "source", A_IN, "repeat", "1", "timeout", "1")
        time.sleep(1.5)
        lab.relay.release(d, reverse=True)
        negotiate_v2(lab, "reordered (%s)" % d, secs=40)
        no_storm2(lab, "reordered (%s)" % d)
    # Duplicated and reordered while a Child SA is rekeyed (CREATE_CHILD_SA then Delete).
    lab.relay.dup = lambda d, p: True
    r0 = count_stat("A", "Child SAs rekeyed")
    for _ in range(25):
        inside_flow(lab, 100)
        time.sleep(0.1)
        if count_stat("A", "Child SA rekeys started (soft lifetime)") >= 1:
            break
    wait_for(lambda: count_stat("A", "Child SAs rekeyed") > r0 and count_stat("A", "Child SA Deletes sent") >= 1,
             20, "a Child SA rekey over a duplicating link")
    time.sleep(1.0)
    lab.relay.dup = None
    if ping("A", 3) < 3 or ping("B", 3) < 3:
        raise Fail("after a rekey over a duplicating link: traffic does not pass both ways")
    one_tunnel_v2("a Child SA rekey with every datagram duplicated")


# ------------------------------------------------------------ cleartext

def leaks_now(lab, what):
    """Cleartext versions of the protected flows, both ways, to and through the routers."""
    leaks = []
    for d, src, to_router, through in ((AB, A_IN, B_IN, "10.0.2.5"), (BA, B_IN, A_IN, "10.0.0.5")):
        for label, dst in (("to the router", to_router), ("through it", through)):
            for name, pkt in cleartext_set(src, dst):
                m = lab.relay.mark()
                lab.relay.inject(d, pkt)
                time.sleep(0.05)
                rec, inside = lab.relay.since(m)
                inside = [p for t, who, p in inside if who == ("B" if d == AB else "A")]
                if inside:
                    leaks.append("%s: %s %s %s crossed the router in the clear" % (what, d, label, name))
    return leaks


def sc_v2_cleartext(lab):
    """Cleartext that access-list 150 protects never crosses a router: with the SAs up, while IKEv2
    negotiates (its IKE_AUTH held on the link), after a Child SA Delete and after
    `clear crypto ikev2 sa`; and Host 1's traffic leaves A only inside ESP."""
    lab.up()
    leaks = leaks_now(lab, "SAs up")
    # While negotiating: hold the link's IKEv2 from A after a clear, inject, then let it go.
    reset_v2()
    lab.relay.hold[AB] = True
    cli("A", "ping", B_IN, "source", A_IN, "repeat", "1", "timeout", "1")
    leaks += leaks_now(lab, "IKEv2 negotiating")
    lab.relay.release(AB)
    negotiate_v2(lab, "after the negotiation was held")
    cli("A", "clear", "crypto", "sa")               # Child SA Deletes
    time.sleep(0.3)
    leaks += leaks_now(lab, "after a Child SA Delete")
    lab.up()
    cli("A", "clear", "crypto", "ikev2", "sa")
    time.sleep(0.3)
    leaks += leaks_now(lab, "after clear crypto ikev2 sa")
    # What Host 1 sends leaves A only as ESP (or not at all), never as itself.
    m = lab.relay.mark()
    inside_flow(lab, 20, size=100)
    time.sleep(1.0)
    rec, _ = lab.relay.since(m)
    clear = [p for t, d, p in rec if d == AB and ip_fields(p)["proto"] == 17 and not ike2_of(p)]
    if clear:
        leaks.append("Host 1's datagrams left A in the clear (%d)" % len(clear))
    if leaks:
        raise Fail("cleartext of a protected flow:\n    " + "\n    ".join(leaks))
    negotiate_v2(lab, "after the cleartext")


# ------------------------------------------------------------ a second ACE

def sc_v2_second_ace(lab):
    """access-list 150 with the seed's host ACE and then a subnet ACE: traffic of the second ACE
    (10.0.0.5 -> 10.0.2.9) gets a Child SA with that ACE's selectors and reaches Host 2's side,
    and no two Child SAs share selectors."""
    lab.up()
    m = lab.relay.mark()
    for _ in range(6):
        inside_flow(lab, 3, size=64)
        time.sleep(1.1)
    time.sleep(1.0)
    _, inside = lab.relay.since(m)
    got = [p for t, who, p in inside if who == "B" and ip_fields(p)["src"] == "10.0.0.5"]
    sel = {r: [x for x in v2_sas(r) if x.startswith("Child sa:")] for r in "AB"}
    note("Child SAs: A %r B %r; %d of 18 datagrams of the second ACE reached B's inside" % (
        sel["A"], sel["B"], len(got)))
    bad = []
    for r in "AB":
        if len(sel[r]) != len(set(sel[r])):
            bad.append("%s holds two Child SAs with the same selectors" % r)
    if not any("10.0.0.0/0 - 10.0.0.255/65535" in x for x in sel["A"]):
        bad.append("A has no Child SA for 10.0.0.0/24 (the second ACE)")
    if len(got) < 9:
        bad.append("only %d of 18 datagrams of the second ACE crossed the tunnel" % len(got))
    if bad:
        raise Fail("; ".join(bad))


# ------------------------------------------------------------ after an IKE SA rekey

def sc_v2_replay_rekey(lab):
    """The IKE SA rekeys at 90% of its lifetime (SPIGOT_TEST_IKEV2_LIFE_MS) (CREATE_CHILD_SA with a new IKE SA); then
    every message of the old SA and of the rekey is replayed and duplicated: nothing answers but
    the last request's retransmission, nothing changes."""
    lab.up()
    wait_liveness(lab)
    before = snapshot2()
    old = current_spis()
    note("waiting for the IKE SA rekey (90% of its lifetime)")
    wait_for(lambda: count_stat("A", "IKE SAs rekeyed") + count_stat("B", "IKE SAs rekeyed") >= 1, 150,
             "an IKE SA rekey")
    time.sleep(2.0)
    lab.base = lab.settle()
    live = current_spis()
    if len(live) != 1 or live & old:
        raise Fail("after the rekey: IKE SAs %r (before %r): one new one expected" % (live, old))
    if lab.base["A"]["spis"] != before["A"]["spis"] or lab.base["B"]["spis"] != before["B"]["spis"]:
        raise Fail("the IKE SA rekey changed the Child SAs: %s" % diff(before, lab.base))
    msgs = msgs_of(lab.relay.rec)
    note("recorded: " + " ".join("%s(%s)" % (n, d) for n, d, p, b in msgs))
    replay_all(lab, msgs, live, " after the IKE SA rekey")
