#!/usr/bin/env bash
# The IKE datagrams spigot sends decode cleanly in tshark (no malformed
# packets, no expert warnings), with the exchanges a network engineer
# expects; unprotected Delete/Notify forged with scapy change nothing.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
TOOL=$TOP/build/asan/tools/ike_pcap
command -v tshark >/dev/null || skip "tshark not installed"
[ -x "$TOOL" ] || skip "build/asan/tools/ike_pcap not built (make asan)"
/usr/bin/python3 -c 'import scapy.layers.isakmp' 2>/dev/null || skip "python3-scapy not installed"

# The forger: reads COOKIES, sends unprotected Delete and Notify with B's cookies.
cat >"$T/forge.py" <<'PY'
import sys, subprocess, struct
from scapy.layers.isakmp import ISAKMP, ISAKMP_payload
p = subprocess.Popen([sys.argv[1], sys.argv[2]], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
first = p.stdout.readline().split()
assert first[0] == "COOKIES", first
ic, rc, spi = bytes.fromhex(first[1]), bytes.fromhex(first[2]), int(first[4], 16)
# scapy 2.5 has no Delete/Notify classes: their bodies (RFC 2408 3.14, 3.15) by hand.
dbody = struct.pack("!IBBHI", 1, 3, 4, 1, spi)
nbody = struct.pack("!IBBHI", 1, 3, 4, 11, spi)
d = ISAKMP(init_cookie=ic, resp_cookie=rc, exch_type=5, id=1234, next_payload=12) / ISAKMP_payload(load=dbody)
n = ISAKMP(init_cookie=ic, resp_cookie=rc, exch_type=5, id=1235, next_payload=11) / ISAKMP_payload(load=nbody)
for m in (d, n):
    p.stdin.write(bytes(m).hex() + "\n")
p.stdin.close()
out = p.stdout.read()
print(out, end="")
sys.exit(p.wait())
PY
out=$(/usr/bin/python3 "$T/forge.py" "$TOOL" "$T/ike.pcap") || fail "ike_pcap failed: $out"
note "$out"
echo "$out" | grep -q '^RECORDS 1 UNPROTECTED 2 BADHASH 0$' || fail "forged unprotected Delete/Notify changed something: $out"
echo "$out" | grep -q '^AFTER_DELETE 0$' || fail "the genuine protected Delete did not act: $out"

bad=$(tshark -r "$T/ike.pcap" -Y '_ws.malformed || _ws.expert.severity >= warning' 2>/dev/null)
[ -z "$bad" ] || fail "tshark objects: $bad"
n=$(tshark -r "$T/ike.pcap" -Y isakmp 2>/dev/null | wc -l)
[ "$n" -ge 12 ] || fail "expected at least 12 ISAKMP packets, got $n"
# Main Mode (2) in clear with SA/KE/Nonce, Quick Mode (32) and Informational (5) encrypted.
fields=$(tshark -r "$T/ike.pcap" -Y isakmp -T fields -e isakmp.exchangetype -e isakmp.nextpayload 2>/dev/null)
echo "$fields" | grep -qP '^2\t1,' || fail "no Main Mode SA message: $fields"
echo "$fields" | grep -qP '^2\t4,' || fail "no Main Mode KE message"
echo "$fields" | grep -qP '^32\t8' || fail "no Quick Mode message"
echo "$fields" | grep -qP '^5\t8' || fail "no Informational message"
tshark -r "$T/ike.pcap" -Y 'isakmp.vid_bytes == af:ca:d7:13:68:a1:f1:c9:6b:86:96:fc:77:57:01:00' 2>/dev/null | grep -q . \
	|| fail "DPD vendor ID not decoded"
exit 0
