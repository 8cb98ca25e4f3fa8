#!/usr/bin/python3
"""scapy's view of spigot's ESP/AH (driven by tests/wire/scapy_esp.sh).

  scapy_esp.py verify OUTER.pcap INNER.pcap XF AH_SPI AH_KEY ESP_SPI ENC_KEY AUTH_KEY
      decrypts/verifies every packet spigot wrote and compares the inner ones.
  scapy_esp.py build OUT.pcap INNER.pcap XF AH_SPI AH_KEY ESP_SPI ENC_KEY AUTH_KEY
      builds packets with scapy from INNER.pcap for spigot to open.
  scapy_esp.py batch JOBS
      runs many of the above in one process (scapy's import costs ~0.7 s): each
      line of JOBS is OUTPUT<TAB>verify|build<TAB>the arguments above, tab-separated;
      what the job prints (or why it failed) goes to OUTPUT, its exit status
      (0 ok, 1 failed, as a single run's) to OUTPUT.rc.
Keys are hex ('-' for none).  AH over ESP: scapy takes AH's payload for ESP
when signing or verifying, so AH is handled with its payload kept opaque.
"""
import sys
import warnings

warnings.filterwarnings("ignore")
from scapy.all import IP, Raw, bind_layers, conf, rdpcap, split_layers, wrpcap  # noqa: E402
from scapy.layers.ipsec import AH, ESP, SecurityAssociation  # noqa: E402

CRYPT = {"esp-des": "DES", "esp-3des": "3DES", "esp-aes": "AES-CBC", "esp-gcm": "AES-GCM",
         "esp-null": "NULL"}
AUTH = {"md5": "HMAC-MD5-96", "sha": "HMAC-SHA1-96", "sha256": "SHA2-256-128",
        "sha384": "SHA2-384-192", "sha512": "SHA2-512-256"}


def parse(xf):
    ah = crypt = auth = None
    for w in xf.split():
        if w.startswith("ah-"):
            ah = AUTH[w[3:-5]]
        elif w.startswith("esp-") and w.endswith("-hmac"):
            auth = AUTH[w[4:-5]]
        elif w in CRYPT:
            crypt = CRYPT[w]
    return ah, crypt, auth


def key(h):
    return b"" if h == "-" else bytes.fromhex(h)


def sas(argv):
    xf, ah_spi, ah_key, esp_spi, enc_key, auth_key = argv
    ah, crypt, auth = parse(xf)
    tunnel = IP(src="10.1.1.1", dst="10.2.2.2")
    ah_sa = esp_sa = None
    if ah:
        ah_sa = SecurityAssociation(AH, spi=int(ah_spi, 0), auth_algo=ah, auth_key=key(ah_key),
                                    tunnel_header=None)
    if crypt or auth:
        esp_sa = SecurityAssociation(ESP, spi=int(esp_spi, 0), crypt_algo=crypt or "NULL",
                                     crypt_key=key(enc_key), auth_algo=auth or "NULL",
                                     auth_key=key(auth_key), tunnel_header=tunnel)
    return ah_sa, esp_sa


def opaque_ah(pkt):
    """Re-dissects pkt with AH's payload as Raw bytes."""
    ah = pkt[AH]
    payload = bytes(ah.payload)
    ah.remove_payload()
    ah.add_payload(Raw(payload))
    return pkt


def verify(outer, inner, argv):
    ah_sa, esp_sa = sas(argv)
    want = [bytes(p) for p in rdpcap(inner)]
    got = rdpcap(outer)
    if len(got) != len(want) or not got:
        sys.exit("packet count %d, expected %d" % (len(got), len(want)))
    for i, raw in enumerate(got):
        pkt = IP(bytes(raw))
        assert pkt.ttl == 255, "outer TTL %d" % pkt.ttl
        if ah_sa:
            assert pkt.proto == 51, "outer protocol %d, expected AH" % pkt.proto
            pkt = opaque_ah(pkt)
            nh = pkt[AH].nh
            # transport-mode view: verify ICV over the outer header, strip AH.
            pkt = ah_sa.decrypt(pkt)
            pkt = IP(bytes(pkt))
            if esp_sa:
                assert nh == 50, "AH next header %d, expected ESP" % nh
            else:
                assert nh == 4, "AH next header %d, expected IPv4" % nh
                pkt = IP(bytes(pkt.payload))
        if esp_sa:
            assert pkt.haslayer(ESP), "no ESP layer"
            pkt = esp_sa.decrypt(pkt)
        if bytes(pkt) != want[i]:
            sys.exit("packet %d: inner differs\n%r\n%r" % (i + 1, bytes(pkt), want[i]))
    print("scapy verified %d packets" % len(got))


def build(out, inner, argv):
    ah_sa, esp_sa = sas(argv)
    pkts = []
    for p in rdpcap(inner):
        p = IP(bytes(p))
        if esp_sa:
            outer = esp_sa.encrypt(p)
            if ah_sa:
                outer = IP(src="10.1.1.1", dst="10.2.2.2", proto=50) / Raw(bytes(outer[ESP]))
        else:
            outer = IP(src="10.1.1.1", dst="10.2.2.2", proto=4) / Raw(bytes(p))
        if ah_sa:
            # split_for_transport re-dissects the packet, and sign() then takes
            # an ESP payload for the thing to sign: keep ESP undissected.
            split_layers(IP, ESP, proto=50)
            try:
                outer = ah_sa.encrypt(outer)
                outer = IP(bytes(outer))
            finally:
                bind_layers(IP, ESP, proto=50)
        outer = IP(bytes(outer))
        outer.ttl = 255
        del outer.chksum
        pkts.append(IP(bytes(outer)))
    conf.l3types  # noqa: B018 (keeps linters quiet about the import)
    wrpcap(out, pkts, linktype=228)
    print("scapy built %d packets" % len(pkts))


def run(argv):
    mode, a, b = argv[0:3]
    (verify if mode == "verify" else build)(a, b, argv[3:])


def batch(jobs):
    """One job after another; a job that fails (sys.exit, an assertion, any error) is
    recorded exactly as a single run's exit status and message would be."""
    import contextlib
    import traceback
    for line in open(jobs):
        out, *argv = line.rstrip("\n").split("\t")
        rc = 0
        with open(out, "w") as f, contextlib.redirect_stdout(f):
            try:
                run(argv)
            except SystemExit as e:
                if e.code not in (None, 0):
                    rc = 1
                    print(e.code if isinstance(e.code, str) else "exit %r" % e.code, file=f)
            except BaseException:  # noqa: B036 (a job's crash is its failure, the batch goes on)
                rc = 1
                traceback.print_exc(file=f)
        with open(out + ".rc", "w") as f:
            print(rc, file=f)


if __name__ == "__main__":
    if sys.argv[1] == "batch":
        batch(sys.argv[2])
    else:
        run(sys.argv[1:])
