#!/usr/bin/python3
"""scapy's view of a capture of the seed lab's emulated link (driven by
tests/wire/lab_capture.sh).

  lab_capture.py check PCAP PORT_A PORT_B
      Every datagram between the two loopback UDP ports is one emulated IPv4
      packet.  For each ISAKMP message inside: the header's length field
      equals the UDP datagram's payload length; unencrypted messages have a
      payload chain (next payload / payload length) that ends exactly at the
      end, with SA payloads whose proposals and transforms add up; encrypted
      bodies are whole DES blocks.  MM SA payloads carry the seed's policy
      (scapy's own transform dissection: DES, SHA, pre-shared key, group 1,
      lifetime 180 s).  Every AH header has the length of HMAC-SHA1-96 and
      protects ESP (the seed's ah-sha-hmac esp-des esp-sha-hmac bundle).
      Prints counts; exits 1 listing what is wrong.
  lab_capture.py selftest PCAP PORT_A PORT_B
      The checker must be able to fail: damages copies of the captured
      messages (a header length, a payload length, a truncated encrypted
      body, an AH length) and exits 1 unless every damage is reported.
"""
import struct
import sys
import warnings

warnings.filterwarnings("ignore")
from scapy.all import IP, UDP, Raw, rdpcap  # noqa: E402
from scapy.layers.isakmp import ISAKMP, ISAKMP_payload_Transform  # noqa: E402

HDR = 28
SA_PAYLOAD = 1
EXCH = {2: "main", 32: "quick", 5: "info"}
# What scapy names the seed's policy 1: authentication pre-share, lifetime 180,
# IOS defaults otherwise (des, sha, group 1).
SEED_POLICY = {
    "Encryption": "DES-CBC",
    "Hash": "SHA",
    "Authentication": "PSK",
    "GroupDesc": "768MODPgr",
    "LifeType": "Seconds",
    "LifeDuration": 180,
}


def attrs_ok(b):
    """ISAKMP data attributes (RFC 2408 3.3): TV or TLV, exactly filling b."""
    off = 0
    while off < len(b):
        if off + 4 > len(b):
            return False
        t, v = struct.unpack_from("!HH", b, off)
        off += 4 if t & 0x8000 else 4 + v
    return off == len(b)


def sa_errors(body):
    """An SA payload's body (after the 4-byte generic header)."""
    if len(body) < 8:
        return ["SA payload shorter than DOI + situation"]
    off, np, errs = 8, 2, []
    while np != 0:
        if np != 2:
            return errs + ["SA payload: proposal chain continues with payload type %d" % np]
        if off + 8 > len(body):
            return errs + ["proposal header runs past the SA payload"]
        np, _, plen, _pnum, _proto, spisz, ntrans = struct.unpack_from("!BBHBBBB", body, off)
        if plen < 8 + spisz or off + plen > len(body):
            return errs + ["proposal length %d does not fit the SA payload" % plen]
        toff, tend, tnp, seen = off + 8 + spisz, off + plen, 3, 0
        while tnp != 0:
            if tnp != 3:
                return errs + ["transform chain continues with payload type %d" % tnp]
            if toff + 8 > tend:
                return errs + ["transform header runs past its proposal"]
            tnp, _, tlen = struct.unpack_from("!BBH", body, toff)
            if tlen < 8 or toff + tlen > tend:
                return errs + ["transform length %d does not fit its proposal" % tlen]
            if not attrs_ok(body[toff + 8:toff + tlen]):
                errs.append("transform attributes do not fill the transform")
            toff += tlen
            seen += 1
        if toff != tend:
            errs.append("proposal has %d bytes after its last transform" % (tend - toff))
        if seen != ntrans:
            errs.append("proposal says %d transforms, carries %d" % (ntrans, seen))
        off += plen
    if off != len(body):
        errs.append("SA payload has %d bytes after its last proposal" % (len(body) - off))
    return errs


def isakmp_errors(msg):
    """Everything wrong with one ISAKMP message (the whole UDP payload)."""
    if len(msg) < HDR:
        return ["%d bytes, shorter than the ISAKMP header" % len(msg)]
    np, ver, _exch, flags, _mid, length = struct.unpack_from("!BBBBII", msg, 16)
    errs = []
    if ver != 0x10:
        errs.append("version %#x, not 1.0" % ver)
    if length != len(msg):
        errs.append("header length %d, datagram carries %d" % (length, len(msg)))
    if flags & 1:
        body = len(msg) - HDR
        if body <= 0 or body % 8:
            errs.append("encrypted body of %d bytes is not whole DES blocks" % body)
        return errs
    off = HDR
    while np != 0:
        if off + 4 > len(msg):
            return errs + ["payload chain runs past the end (next payload %d at %d)" % (np, off)]
        nxt, _, plen = struct.unpack_from("!BBH", msg, off)
        if plen < 4 or off + plen > len(msg):
            return errs + ["payload %d at %d has length %d, %d bytes left" % (np, off, plen, len(msg) - off)]
        if np == SA_PAYLOAD:
            errs += sa_errors(msg[off + 4:off + plen])
        np, off = nxt, off + plen
    if off != len(msg):
        errs.append("payload chain ends at %d of %d bytes" % (off, len(msg)))
    return errs


def policy_errors(msg):
    """scapy's dissection of an unencrypted MM SA payload against the seed's policy."""
    p = ISAKMP(msg)
    if ISAKMP_payload_Transform not in p:
        return ["scapy finds no transform in the SA payload"]
    got = dict(p[ISAKMP_payload_Transform].transforms)
    return ["transform %s = %r, the seed's policy says %r" % (k, got.get(k), v)
            for k, v in SEED_POLICY.items() if got.get(k) != v]


def ah_errors(ip):
    """The seed bundle: AH (HMAC-SHA1-96: 12 + 12 bytes, length field 4) over ESP."""
    b = bytes(ip.payload)
    if len(b) < 24:
        return ["AH of %d bytes" % len(b)]
    nh, plen = b[0], b[1]
    errs = []
    if (plen + 2) * 4 != 24:
        errs.append("AH length field %d (%d bytes), HMAC-SHA1-96 AH is 24" % (plen, (plen + 2) * 4))
    if nh != 50:
        errs.append("AH protects protocol %d, the seed's bundle puts ESP under AH" % nh)
    return errs


def emulated(pcap, ports):
    """(index, inner IPv4 packet, outer UDP payload length) for each link datagram."""
    for i, p in enumerate(rdpcap(pcap), 1):
        if UDP not in p or {p[UDP].sport, p[UDP].dport} != ports:
            continue
        raw = bytes(p[UDP].payload)
        if p[UDP].len != len(raw) + 8:
            raise SystemExit("frame %d: outer UDP length %d for %d bytes" % (i, p[UDP].len, len(raw)))
        yield i, IP(raw), raw


def isakmp_of(ip):
    """The inner UDP payload if ip carries ISAKMP (UDP 500), else None."""
    if ip.proto != 17 or UDP not in ip or 500 not in (ip[UDP].sport, ip[UDP].dport):
        return None
    return bytes(ip[UDP].payload)


def check(pcap, ports):
    errs, count = [], {"main": 0, "quick": 0, "info": 0, "other": 0, "ah": 0, "esp": 0, "sa": 0}
    for i, ip, raw in emulated(pcap, ports):
        where = "frame %d (%s -> %s)" % (i, ip.src, ip.dst)
        if ip.len != len(raw):
            errs.append("%s: IPv4 total length %d, datagram %d" % (where, ip.len, len(raw)))
            continue
        if ip.proto == 51:
            count["ah"] += 1
            count["esp"] += bytes(ip.payload)[:1] == b"\x32"
            errs += ["%s: %s" % (where, e) for e in ah_errors(ip)]
            continue
        if ip.proto == 50:
            count["esp"] += 1
            continue
        msg = isakmp_of(ip)
        if msg is None:
            continue
        if ip[UDP].len != len(msg) + 8:
            errs.append("%s: UDP length %d for %d bytes" % (where, ip[UDP].len, len(msg)))
        # scapy's header and ours must agree on the length field.
        hdr = ISAKMP(msg)
        e = isakmp_errors(msg)
        if len(msg) >= HDR and hdr.length != struct.unpack_from("!I", msg, 24)[0]:
            e.append("scapy reads length %d" % hdr.length)
        count[EXCH.get(hdr.exch_type, "other")] += 1
        if not e and hdr.exch_type == 2 and not (hdr.flags & 1) and hdr.next_payload == SA_PAYLOAD:
            count["sa"] += 1
            e += policy_errors(msg)
        errs += ["%s: ISAKMP %s: %s" % (where, EXCH.get(hdr.exch_type, hdr.exch_type), x) for x in e]
    return errs, count


def selftest(pcap, ports):
    """Damage copies of real messages; every damage must be caught."""
    mm = enc = ah = None
    for _i, ip, _raw in emulated(pcap, ports):
        msg = isakmp_of(ip)
        if msg and not (msg[19] & 1) and msg[16] == SA_PAYLOAD and mm is None:
            mm = msg
        elif msg and msg[19] & 1 and enc is None:
            enc = msg
        elif ip.proto == 51 and ah is None:
            ah = ip
    if mm is None or enc is None or ah is None:
        raise SystemExit("selftest: the capture lacks an MM SA message, an encrypted message or AH")
    if isakmp_errors(mm) or isakmp_errors(enc) or ah_errors(ah):
        raise SystemExit("selftest: undamaged messages already fail")
    damaged = {
        "header length + 4": mm[:24] + struct.pack("!I", len(mm) + 4) + mm[28:],
        "first payload length - 4": mm[:30] + struct.pack("!H", struct.unpack_from("!H", mm, 30)[0] - 4) + mm[32:],
        "trailing byte": mm[:24] + struct.pack("!I", len(mm) + 1) + mm[28:] + b"\0",
        "transform count + 1": mm[:HDR + 4 + 8 + 7] + bytes([mm[HDR + 4 + 8 + 7] + 1]) + mm[HDR + 4 + 8 + 8:],
        "encrypted body - 3": enc[:24] + struct.pack("!I", len(enc) - 3) + enc[28:-3],
    }
    missed = [k for k, m in damaged.items() if not isakmp_errors(m)]
    bad = ah.copy()
    bad.payload = Raw(bytes([bytes(ah.payload)[0], 5]) + bytes(ah.payload)[2:])
    if not ah_errors(bad):
        missed.append("AH length field 5")
    wrong = mm
    if not policy_errors(wrong.replace(bytes.fromhex("800c00b4"), bytes.fromhex("800c0e10"))):
        missed.append("lifetime 3600 instead of 180")
    if missed:
        raise SystemExit("selftest: not caught: " + ", ".join(missed))
    print("selftest: %d damages caught" % (len(damaged) + 2))


def main():
    if len(sys.argv) != 5 or sys.argv[1] not in ("check", "selftest"):
        raise SystemExit(__doc__)
    pcap, ports = sys.argv[2], {int(sys.argv[3]), int(sys.argv[4])}
    if sys.argv[1] == "selftest":
        selftest(pcap, ports)
        return
    errs, count = check(pcap, ports)
    print(" ".join("%s=%d" % kv for kv in count.items()))
    for e in errs:
        print(e)
    sys.exit(1 if errs else 0)


if __name__ == "__main__":
    main()
