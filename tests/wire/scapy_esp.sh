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

# Each check runs in three phases so that scapy is imported once (its import
# takes ~0.7 s) and tshark reads two merged captures (it takes ~0.6 s to start):
#   prepare XF ...   esp_tool encaps, and queues scapy's verify and build;
#   (scapy_esp.py batch runs every queued job)
#   finish XF        scapy's results, spigot decaps scapy's packets, tshark.
JOBS=$T/scapy.jobs
CHECKS=()
jobs_add() { local IFS=$'\t'; printf '%s\n' "$*" >>"$JOBS"; }
xfdir() { echo "$T/$(echo "$1" | tr ' ' _)"; }

prepare() {
	local xf=$1 enc_len=$2 auth_len=$3 ah_len=$4
	local ek=- ak=- hk=-
	[ "$enc_len" = 0 ] || ek=$(hexkey "$enc_len")
	[ "$auth_len" = 0 ] || ak=$(hexkey "$auth_len")
	[ "$ah_len" = 0 ] || hk=$(hexkey "$ah_len")
	local aspi=0x$(hexkey 4) espi=0x$(hexkey 4)
	local args=(-x "$xf" -s 10.1.1.1 -d 10.2.2.2)
	[ "$ah_len" = 0 ] || args+=(-a "$aspi:$hk")
	[[ "$enc_len$auth_len" = 00 ]] || args+=(-e "$espi:${ek/-/}:${ak/-/}")
	local d
	d=$(xfdir "$xf")
	mkdir -p "$d"
	declare -p args >"$d/args"
	"$TOOL" encap "${args[@]}" -n 12 -l var -o "$d/spigot.pcap" -i "$d/inner.pcap" 2>"$d/tool.err" ||
		{ cat "$d/tool.err" >&2; fail "$xf: esp_tool encap"; }
	jobs_add "$d/verify.out" verify "$d/spigot.pcap" "$d/inner.pcap" "$xf" "$aspi" "$hk" "$espi" "$ek" "$ak"
	jobs_add "$d/build.out" build "$d/scapy.pcap" "$d/inner.pcap" "$xf" "$aspi" "$hk" "$espi" "$ek" "$ak"
	CHECKS+=("$xf")
}

# job_ok OUT: the queued scapy job that wrote OUT exited 0.
job_ok() { [ "$(cat "$1.rc" 2>/dev/null)" = 0 ]; }

# tshark_clean FILE: tshark finds nothing malformed and no warning in FILE.
tshark_clean() {
	local bad
	bad=$(tshark -r "$1" -Y '_ws.malformed || _ws.expert.severity >= warning' 2>/dev/null)
	[ -z "$bad" ] || { echo "$bad" >&2; return 1; }
}

finish() {
	local xf=$1 d
	d=$(xfdir "$xf")
	local args
	. "$d/args"
	job_ok "$d/verify.out" || { cat "$d/verify.out" >&2; fail "$xf: scapy could not verify spigot's packets"; }
	job_ok "$d/build.out" || { cat "$d/build.out" >&2; fail "$xf: scapy could not build"; }
	"$TOOL" decap "${args[@]}" -r "$d/scapy.pcap" -i "$d/inner.pcap" >"$d/decap.out" 2>&1 ||
		{ cat "$d/decap.out" >&2; fail "$xf: spigot refused scapy's packets"; }
	[ -n "${MERGED_CLEAN:-}" ] && { note "ok $xf"; return; }
	local f
	for f in "$d/spigot.pcap" "$d/scapy.pcap"; do
		tshark_clean "$f" || fail "$xf: tshark flags $f"
	done
	note "ok $xf"
}

CASES=(
	"esp-des esp-md5-hmac" 8 16 0
	"esp-des esp-sha-hmac" 8 20 0
	"esp-3des esp-sha-hmac" 24 20 0
	"esp-3des esp-sha256-hmac" 24 32 0
	"esp-aes esp-sha-hmac" 16 20 0
	"esp-aes esp-md5-hmac" 16 16 0
	"esp-aes 256 esp-sha256-hmac" 32 32 0
	"esp-aes 256 esp-sha-hmac" 32 20 0
	"esp-gcm" 20 0 0
	"esp-gcm 256" 36 0 0
	"esp-null esp-sha-hmac" 0 20 0
	"ah-sha-hmac" 0 0 20
	"ah-md5-hmac" 0 0 16
	"ah-sha256-hmac" 0 0 32
	"ah-sha-hmac esp-des esp-sha-hmac" 8 20 20
	"ah-sha256-hmac esp-aes esp-sha256-hmac" 16 32 32
	"ah-md5-hmac esp-gcm" 20 0 16
)
: >"$JOBS"
for ((i = 0; i < ${#CASES[@]}; i += 4)); do
	prepare "${CASES[@]:i:4}"
done

# The checker itself must be able to fail: a wrong key is caught, both ways
# (queued with the checks: the batch must report a failing job as failed).
d="$T/neg"
mkdir -p "$d"
k1=$(hexkey 20) k2=$(hexkey 20) ek=$(hexkey 16)
"$TOOL" encap -x "ah-sha-hmac esp-aes esp-sha-hmac" -s 10.1.1.1 -d 10.2.2.2 -a "0x1000:$k1" \
	-e "0x2000:$ek:$k1" -n 3 -o "$d/s.pcap" -i "$d/i.pcap" 2>/dev/null || fail "encap"
jobs_add "$d/verify.out" verify "$d/s.pcap" "$d/i.pcap" "ah-sha-hmac esp-aes esp-sha-hmac" \
	0x1000 "$k2" 0x2000 "$ek" "$k1"
jobs_add "$d/build.out" build "$d/b.pcap" "$d/i.pcap" "esp-aes esp-sha-hmac" - - 0x2000 "$ek" "$k2"

$PY "$TOP/tests/wire/scapy_esp.py" batch "$JOBS" >"$T/batch.out" 2>&1 || { cat "$T/batch.out" >&2; fail "scapy_esp.py batch"; }

# tshark on the checks' captures merged (distinct random SPIs, so each packet
# dissects as it does alone: ESP sequence analysis is per SPI); if it flags
# anything, every file is checked alone and that verdict stands, as before.
MERGED_CLEAN=
spig=() scap=()
for xf in "${CHECKS[@]}"; do
	spig+=("$(xfdir "$xf")/spigot.pcap") scap+=("$(xfdir "$xf")/scapy.pcap")
done
if mergecap -a -w "$T/all-spigot.pcap" "${spig[@]}" 2>/dev/null &&
	mergecap -a -w "$T/all-scapy.pcap" "${scap[@]}" 2>/dev/null &&
	[ "$(capinfos -Mc "$T/all-spigot.pcap" | awk '/Number of packets/ {print $NF}')" = $((12 * ${#CHECKS[@]})) ] &&
	[ "$(capinfos -Mc "$T/all-scapy.pcap" | awk '/Number of packets/ {print $NF}')" = $((12 * ${#CHECKS[@]})) ] &&
	tshark_clean "$T/all-spigot.pcap" 2>/dev/null && tshark_clean "$T/all-scapy.pcap" 2>/dev/null; then
	MERGED_CLEAN=1
fi
for xf in "${CHECKS[@]}"; do finish "$xf"; done

job_ok "$d/verify.out" && fail "scapy accepted AH with the wrong key"
[ "$(cat "$d/verify.out.rc")" = 1 ] || fail "scapy's verify with the wrong key did not run"
job_ok "$d/build.out" || { cat "$d/build.out" >&2; fail "build"; }
if "$TOOL" decap -x "esp-aes esp-sha-hmac" -s 10.1.1.1 -d 10.2.2.2 -e "0x2000:$ek:$k1" \
	-r "$d/b.pcap" >/dev/null 2>&1; then
	fail "spigot accepted ESP with the wrong key"
fi
note "ok wrong keys refused"
exit 0
