#!/usr/bin/python3
# Independent computation of RFC 2409 keying (hashlib/hmac) for the inputs
# used by tests/unit/test_ike_keys.c; prints the expected values it embeds.
import hashlib, hmac

def prf(k, d): return hmac.new(k, d, hashlib.sha1).digest()

psk = b"1234"
ni = bytes(range(1, 21))
nr = bytes(range(101, 121))
gxy = bytes((i * 7 + 3) & 255 for i in range(96))
gxi = bytes((i * 5 + 1) & 255 for i in range(96))
gxr = bytes((i * 11 + 9) & 255 for i in range(96))
ci = bytes.fromhex("0102030405060708")
cr = bytes.fromhex("1112131415161718")

skeyid = prf(psk, ni + nr)
d = prf(skeyid, gxy + ci + cr + b"\0")
a = prf(skeyid, d + gxy + ci + cr + b"\1")
e = prf(skeyid, a + gxy + ci + cr + b"\2")
k1 = prf(e, b"\0"); k2 = prf(e, k1)
enc = (k1 + k2)[:24]             # 3DES: longer than SKEYID_e, expanded
iv = hashlib.sha1(gxi + gxr).digest()[:8]
msgid = (0x11223344).to_bytes(4, "big")
# phase-1 final IV stand-in: the IV above
p2iv = hashlib.sha1(iv + msgid).digest()[:8]
spi = (0xF9205CED).to_bytes(4, "big")
seed = bytes([3]) + spi + ni + nr  # ESP, no PFS
km1 = prf(d, seed); km2 = prf(d, km1 + seed); km3 = prf(d, km2 + seed)
keymat = (km1 + km2 + km3)[:44]  # esp-3des (24) + esp-sha-hmac (20)
for n, v in [("skeyid", skeyid), ("skeyid_d", d), ("skeyid_a", a), ("skeyid_e", e),
             ("enckey", enc), ("iv", iv), ("p2iv", p2iv), ("keymat", keymat)]:
    print(n, v.hex())
