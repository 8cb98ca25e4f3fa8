#!/usr/bin/env bash
# scapy decrypts and verifies spigot's ESP/AH, spigot opens what scapy builds
# with the same keys, and tshark finds nothing malformed in either capture.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
TOOL=$TOP/build/asan/tools/esp_tool
PY=/usr/bin/python3
[ -x "$TOOL" ] || skip "build/asan/tools/esp_tool not built (make asan)"
$PY -c 'import scapy.layers.ipsec' 2>/dev/null || skip "needs python3-scapy"
need_cmd tshark

hexkey() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }

check() {
	local xf=$1 enc_len=$2 auth_len=$3 ah_len=$4
	local ek=- ak=- hk=-
	[ "$enc_len" = 0 ] || ek=$(hexkey "$enc_len")
	[ "$auth_len" = 0 ] || ak=$(hexkey "$auth_len")
	[ "$ah_len" = 0 ] || hk=$(hexkey "$ah_len")
	local aspi=0x$(hexkey 4) espi=0x$(hexkey 4)
	local args=(-x "$xf" -s 10.1.1.1 -d 10.2.2.2)
	[ "$ah_len" = 0 ] || args+=(-a "$aspi:$hk")
	[[ "$enc_len$auth_len" = 00 ]] || args+=(-e "$espi:${ek/-/}:${ak/-/}")
	local d="$T/$(echo "$xf" | tr ' ' _)"
	mkdir -p "$d"
	"$TOOL" encap "${args[@]}" -n 12 -l var -o "$d/spigot.pcap" -i "$d/inner.pcap" 2>"$d/tool.err" ||
		{ cat "$d/tool.err" >&2; fail "$xf: esp_tool encap"; }
	$PY "$TOP/tests/wire/scapy_esp.py" verify "$d/spigot.pcap" "$d/inner.pcap" "$xf" \
		"$aspi" "$hk" "$espi" "$ek" "$ak" >"$d/verify.out" 2>&1 ||
		{ cat "$d/verify.out" >&2; fail "$xf: scapy could not verify spigot's packets"; }
	$PY "$TOP/tests/wire/scapy_esp.py" build "$d/scapy.pcap" "$d/inner.pcap" "$xf" \
		"$aspi" "$hk" "$espi" "$ek" "$ak" >"$d/build.out" 2>&1 ||
		{ cat "$d/build.out" >&2; fail "$xf: scapy could not build"; }
	"$TOOL" decap "${args[@]}" -r "$d/scapy.pcap" -i "$d/inner.pcap" >"$d/decap.out" 2>&1 ||
		{ cat "$d/decap.out" >&2; fail "$xf: spigot refused scapy's packets"; }
	local f bad
	for f in "$d/spigot.pcap" "$d/scapy.pcap"; do
		bad=$(tshark -r "$f" -Y '_ws.malformed || _ws.expert.severity >= warning' 2>/dev/null)
		[ -z "$bad" ] || { echo "$bad" >&2; fail "$xf: tshark flags $f"; }
	done
	note "ok $xf"
}

check "esp-des esp-md5-hmac" 8 16 0
check "esp-des esp-sha-hmac" 8 20 0
check "esp-3des esp-sha-hmac" 24 20 0
check "esp-3des esp-sha256-hmac" 24 32 0
check "esp-aes esp-sha-hmac" 16 20 0
check "esp-aes esp-md5-hmac" 16 16 0
check "esp-aes 256 esp-sha256-hmac" 32 32 0
check "esp-aes 256 esp-sha-hmac" 32 20 0
check "esp-gcm" 20 0 0
check "esp-gcm 256" 36 0 0
check "esp-null esp-sha-hmac" 0 20 0
check "ah-sha-hmac" 0 0 20
check "ah-md5-hmac" 0 0 16
check "ah-sha256-hmac" 0 0 32
check "ah-sha-hmac esp-des esp-sha-hmac" 8 20 20
check "ah-sha256-hmac esp-aes esp-sha256-hmac" 16 32 32
check "ah-md5-hmac esp-gcm" 20 0 16

# The checker itself must be able to fail: a wrong key is caught, both ways.
d="$T/neg"
mkdir -p "$d"
k1=$(hexkey 20) k2=$(hexkey 20) ek=$(hexkey 16)
"$TOOL" encap -x "ah-sha-hmac esp-aes esp-sha-hmac" -s 10.1.1.1 -d 10.2.2.2 -a "0x1000:$k1" \
	-e "0x2000:$ek:$k1" -n 3 -o "$d/s.pcap" -i "$d/i.pcap" 2>/dev/null || fail "encap"
if $PY "$TOP/tests/wire/scapy_esp.py" verify "$d/s.pcap" "$d/i.pcap" "ah-sha-hmac esp-aes esp-sha-hmac" \
	0x1000 "$k2" 0x2000 "$ek" "$k1" >/dev/null 2>&1; then
	fail "scapy accepted AH with the wrong key"
fi
$PY "$TOP/tests/wire/scapy_esp.py" build "$d/b.pcap" "$d/i.pcap" "esp-aes esp-sha-hmac" \
	- - 0x2000 "$ek" "$k2" >/dev/null 2>&1 || fail "build"
if "$TOOL" decap -x "esp-aes esp-sha-hmac" -s 10.1.1.1 -d 10.2.2.2 -e "0x2000:$ek:$k1" \
	-r "$d/b.pcap" >/dev/null 2>&1; then
	fail "spigot accepted ESP with the wrong key"
fi
note "ok wrong keys refused"
exit 0
