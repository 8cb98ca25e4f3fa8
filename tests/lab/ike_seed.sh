#!/usr/bin/env bash
# The seed's two routers as processes on loopback: the first ping from A's
# inside address to B's brings IKE and IPsec up (as on IOS), then
# `ping ... repeat 30` gets at least 29 replies, both routers show QM_IDLE,
# and AH and ESP SAs with matching SPIs crosswise.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
A2B=$(free_port); B2A=$(free_port); AIN=$(free_port); BIN=$(free_port); HA=$(free_port); HB=$(free_port)
cp "$TOP/labs/seed/router-a.cfg" "$T/a.cfg"
cp "$TOP/labs/seed/router-b.cfg" "$T/b.cfg"
IFA_OUT=$(awk '/^interface/ {i=$2} /crypto map testtag1$/ {print i; exit}' "$T/a.cfg")
IFB_OUT=$(awk '/^interface/ {i=$2} /crypto map testtag1$/ {print i; exit}' "$T/b.cfg")
IFA_IN=$(awk '/^interface/ {i=$2} /ip address 10\.0\.0\.1 / {print i; exit}' "$T/a.cfg")
IFB_IN=$(awk '/^interface/ {i=$2} /ip address 10\.0\.2\.2 / {print i; exit}' "$T/b.cfg")

router_start a "$T/a.cfg" --port "$IFA_OUT=udp:$A2B:127.0.0.1:$B2A" --port "$IFA_IN=udp:$AIN:127.0.0.1:$HA"
router_start b "$T/b.cfg" --port "$IFB_OUT=udp:$B2A:127.0.0.1:$A2B" --port "$IFB_IN=udp:$BIN:127.0.0.1:$HB"

# The first ping brings the SAs up (its first packets may be lost, as on IOS).
cli a ping 10.0.2.2 source 10.0.0.1 repeat 5 timeout 2 >/dev/null || true
wait_for 15 bash -c "'$SPIGOT' --control '$T/a.sock' show crypto isakmp sa | grep -q QM_IDLE" \
	|| fail "no QM_IDLE on A after the first ping"
out=$(cli a ping 10.0.2.2 source 10.0.0.1 repeat 30 timeout 2)
note "$out"
ok=$(printf '%s\n' "$out" | sed -n 's/.*Success rate is [0-9]* percent (\([0-9]*\)\/30).*/\1/p')
[ -n "$ok" ] && [ "$ok" -ge 29 ] || fail "only ${ok:-0}/30 replies"

sa_a=$(cli a show crypto isakmp sa)
sa_b=$(cli b show crypto isakmp sa)
expect_in "$sa_a" '^/ +10\.2\.2\.2 +10\.1\.1\.1 +QM_IDLE +[0-9]+ +0 ACTIVE$' "A: no QM_IDLE row dst 10.2.2.2 src 10.1.1.1"
expect_in "$sa_b" '^/ +10\.1\.1\.1 +10\.2\.2\.2 +QM_IDLE +[0-9]+ +0 ACTIVE$' "B: no QM_IDLE row dst 10.1.1.1 src 10.2.2.2 (the seed's Router B)"

ips_a=$(cli a show crypto ipsec sa)
ips_b=$(cli b show crypto ipsec sa)
# SPIs: the "spi: 0x..." lines in order inbound esp, inbound ah, outbound esp, outbound ah.
spis() { printf '%s\n' "$1" | awk '/inbound esp sas:/ {s="ie"} /inbound ah sas:/ {s="ia"} /outbound esp sas:/ {s="oe"} /outbound ah sas:/ {s="oa"} /pcp sas:/ {s=""} /spi: 0x/ && s {sub(/\(.*/, "", $2); print s, $2}'; }
a_spis=$(spis "$ips_a"); b_spis=$(spis "$ips_b")
get() { printf '%s\n' "$1" | awk -v k="$2" '$1 == k {print $2; exit}'; }
for pair in "ie oe" "ia oa" "oe ie" "oa ia"; do
	set -- $pair
	va=$(get "$a_spis" "$1"); vb=$(get "$b_spis" "$2")
	[ -n "$va" ] && [ "$va" = "$vb" ] || fail "SPI mismatch: A $1=$va, B $2=$vb"
done
expect_in "$ips_a" 'transform: ah-sha-hmac' "A: no AH SA"
expect_in "$ips_a" 'transform: esp-des esp-sha-hmac' "A: no ESP SA"
router_stop a
router_stop b
exit 0
