#!/usr/bin/python3
# Independent computations for tests/unit/test_ikev2*.c: RFC 7296 keying with
# hashlib/hmac, the Encrypted payload with python3-cryptography, and IKEv2
# messages built by scapy's IKEv2 layer.  Prints the values the tests embed.
import hashlib, hmac, struct
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

H = hashlib.sha256
def prf(k, d): return hmac.new(k, d, H).digest()
def prfplus(k, s, n):
    out, t, i = b"", b"", 1
    while len(out) < n:
        t = prf(k, t + s + bytes([i])); out += t; i += 1
    return out[:n]

ni = bytes(range(1, 33)); nr = bytes(range(101, 133))
gir = bytes((i * 7 + 3) & 255 for i in range(256))
spii = bytes.fromhex("0102030405060708"); spir = bytes.fromhex("1112131415161718")
print("prfplus", prfplus(b"key", b"seed", 100).hex())
seed = prf(ni + nr, gir)
km = prfplus(seed, ni + nr + spii + spir, 3 * 32 + 2 * 32 + 2 * 16)
names = ["sk_d", "sk_ai", "sk_ar", "sk_ei", "sk_er", "sk_pi", "sk_pr"]
lens = [32, 32, 32, 16, 16, 32, 32]
keys, o = {}, 0
for n, l in zip(names, lens):
    keys[n] = km[o:o + l]; o += l
    print(n, keys[n].hex())
# Rekey (§2.18) with the SA above as the old one, new g^ir and nonces reversed.
seed2 = prf(keys["sk_d"], gir[::-1] + nr + ni)
km2 = prfplus(seed2, nr + ni + spir + spii, 32)
print("rekey_sk_d", km2.hex())
print("child", prfplus(keys["sk_d"], ni + nr, 72).hex())
print("child_pfs", prfplus(keys["sk_d"], gir + ni + nr, 72).hex())
msg1 = bytes(range(200)); idb = bytes([1, 0, 0, 0, 10, 1, 1, 1])
print("psk_auth", prf(prf(b"cisco123", b"Key Pad for IKEv2"), msg1 + nr + prf(keys["sk_pi"], idb)).hex())

# The Encrypted payload: header, SK carrying N(INITIAL_CONTACT), from the initiator.
def hdr(np, length, msgid=1, exch=35, flags=0x08):
    return spii + spir + bytes([np, 0x20, exch, flags]) + struct.pack("!II", msgid, length)
inner = bytes([0, 0, 0, 8, 1, 0]) + struct.pack("!H", 16384)   # N, proto IKE, no SPI
iv = bytes(range(0x40, 0x50))
pad = (16 - (len(inner) + 1) % 16) % 16
pt = inner + bytes(pad) + bytes([pad])
ct = Cipher(algorithms.AES(keys["sk_ei"]), modes.CBC(iv)).encryptor().update(pt)
sklen = 4 + 16 + len(ct) + 16
m = hdr(46, 28 + sklen) + bytes([41, 0]) + struct.pack("!H", sklen) + iv + ct
m += hmac.new(keys["sk_ai"], m, H).digest()[:16]
print("sk_cbc", m.hex())
# AES-128-GCM-16: 16-byte key + 4-byte salt from SK_ei, IV = counter 1.
gk = km[:20]                 # any 20 bytes will do: the test keys GCM with these
iv8 = (1).to_bytes(8, "big")
pt = inner + bytes([0])
sklen = 4 + 8 + len(pt) + 16
aad = hdr(46, 28 + sklen) + bytes([41, 0]) + struct.pack("!H", sklen)
ctag = AESGCM(gk[:16]).encrypt(gk[16:] + iv8, pt, aad)
print("gcm_key", gk.hex())
print("sk_gcm", (aad + iv8 + ctag).hex())

# IKE_SA_INIT request, built by scapy (which chains payloads only when told).
from scapy.contrib.ikev2 import *
x = [IKEv2_payload_Transform(transform_type=1, transform_id=12, length=12, key_length=256),
     IKEv2_payload_Transform(transform_type=3, transform_id=12),
     IKEv2_payload_Transform(transform_type=2, transform_id=5),
     IKEv2_payload_Transform(transform_type=4, transform_id=14)]
for i, t in enumerate(x):
    t.next_payload = 0 if i == len(x) - 1 else 3
trans = x[0] / x[1] / x[2] / x[3]
p = (IKEv2(init_SPI=spii, resp_SPI=bytes(8), exch_type=34, flags=0x08, id=0) /
     IKEv2_payload_SA(next_payload=34, prop=IKEv2_payload_Proposal(proposal=1, proto=1, trans_nb=4, trans=trans)) /
     IKEv2_payload_KE(next_payload=40, group=14, load=gir) / IKEv2_payload_Nonce(next_payload=41, load=ni) /
     IKEv2_payload_Notify(next_payload=41, type=16388, load=bytes(range(20))) /
     IKEv2_payload_Notify(type=16389, load=bytes(range(20, 40))))
print("sa_init", bytes(p).hex())
ts = (IKEv2(init_SPI=spii, resp_SPI=spir, exch_type=35, flags=0x08, id=1) /
      IKEv2_payload_TSi(next_payload=45, traffic_selector=[IPv4TrafficSelector(IP_protocol_ID=0, start_port=0, end_port=65535,
                         starting_address_v4="10.0.0.0", ending_address_v4="10.0.0.255")]) /
      IKEv2_payload_TSr(traffic_selector=[IPv4TrafficSelector(IP_protocol_ID=17, start_port=500, end_port=500,
                         starting_address_v4="10.0.2.2", ending_address_v4="10.0.2.2")]))
print("ts", bytes(ts).hex())
