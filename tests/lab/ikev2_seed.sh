#!/usr/bin/env bash
# The seed's two routers over IKEv2 (labs/seed-ikev2: `crypto ikev2
# proposal/policy/keyring/profile`, `set ikev2-profile` in the crypto map)
# as processes on loopback: the first ping from A's inside address to B's
# starts IKE_SA_INIT + IKE_AUTH and is held, not lost; `ping ... repeat 30`
# gets every reply; `show crypto ikev2 sa` says READY on both with A the
# initiator; `show crypto ipsec sa` counts the echoes in encaps and decaps
# and shows ESP SPIs matching crosswise; no IKEv1 was spoken; `clear crypto
# ikev2 sa` on A takes its Child SAs with it and the next ping brings both
# back.  LAB=dir runs another copy of the lab's configs.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
LAB=${LAB:-$TOP/labs/seed-ikev2}
[ -f "$LAB/router-a.cfg" ] || fail "no $LAB/router-a.cfg"
A2B=$(free_port); B2A=$(free_port); AIN=$(free_port); BIN=$(free_port); HA=$(free_port); HB=$(free_port)
cp "$LAB/router-a.cfg" "$T/a.cfg"
cp "$LAB/router-b.cfg" "$T/b.cfg"
IFA_OUT=$(awk '/^interface/ {i=$2} /crypto map testtag1$/ {print i; exit}' "$T/a.cfg")
IFB_OUT=$(awk '/^interface/ {i=$2} /crypto map testtag1$/ {print i; exit}' "$T/b.cfg")
IFA_IN=$(awk '/^interface/ {i=$2} /ip address 10\.0\.0\.1 / {print i; exit}' "$T/a.cfg")
IFB_IN=$(awk '/^interface/ {i=$2} /ip address 10\.0\.2\.2 / {print i; exit}' "$T/b.cfg")

router_start a "$T/a.cfg" --port "$IFA_OUT=udp:$A2B:127.0.0.1:$B2A" --port "$IFA_IN=udp:$AIN:127.0.0.1:$HA"
router_start b "$T/b.cfg" --port "$IFB_OUT=udp:$B2A:127.0.0.1:$A2B" --port "$IFB_IN=udp:$BIN:127.0.0.1:$HB"

rate() { printf '%s\n' "$1" | sed -n "s/.*Success rate is [0-9]* percent (\([0-9]*\)\/$2).*/\1/p"; }

# The first echo starts IKE and waits for the Child SA: none is lost.
out=$(cli a ping 10.0.2.2 source 10.0.0.1 repeat 5 timeout 2)
note "$out"
[ "$(rate "$out" 5)" = 5 ] || fail "first ping: $(rate "$out" 5)/5 replies"
out=$(cli a ping 10.0.2.2 source 10.0.0.1 repeat 30 timeout 2)
[ "$(rate "$out" 30)" = 30 ] || fail "only $(rate "$out" 30)/30 replies"

v2_a=$(cli a show crypto ikev2 sa detailed)
v2_b=$(cli b show crypto ikev2 sa)
note "$v2_a"
expect_in "$v2_a" '^ IPv4 Crypto IKEv2  SA' "A: no IKEv2 SA table"
expect_in "$v2_a" '^Tunnel-id +Local +Remote +fvrf/ivrf +Status$' "A: no IOS header"
expect_in "$v2_a" '^1 +10\.1\.1\.1/500 +10\.2\.2\.2/500 +none/none +READY$' "A: no READY row 10.1.1.1 -> 10.2.2.2"
expect_in "$v2_a" 'Encr: AES-CBC, keysize: 256, PRF: SHA256, Hash: SHA256, DH Grp:14, Auth sign: PSK, Auth verify: PSK' \
	"A: not the configured proposal"
expect_in "$v2_a" 'Initiator of SA : Yes' "A did not initiate"
expect_in "$v2_b" '^1 +10\.2\.2\.2/500 +10\.1\.1\.1/500 +none/none +READY$' "B: no READY row 10.2.2.2 -> 10.1.1.1"
isakmp=$(cli a show crypto isakmp sa)
expect_not_in "$isakmp" 'QM_IDLE|MM_' "A spoke IKEv1: $isakmp"

ips_a=$(cli a show crypto ipsec sa)
ips_b=$(cli b show crypto ipsec sa)
enc_a=$(printf '%s\n' "$ips_a" | sed -n 's/.*#pkts encaps: \([0-9]*\),.*/\1/p' | head -1)
dec_a=$(printf '%s\n' "$ips_a" | sed -n 's/.*#pkts decaps: \([0-9]*\),.*/\1/p' | head -1)
dec_b=$(printf '%s\n' "$ips_b" | sed -n 's/.*#pkts decaps: \([0-9]*\),.*/\1/p' | head -1)
[ "$enc_a" = 35 ] && [ "$dec_a" = 35 ] && [ "$dec_b" = 35 ] ||
	fail "A encaps $enc_a decaps $dec_a, B decaps $dec_b (want 35 each)"
spis() { printf '%s\n' "$1" | awk '/inbound esp sas:/ {s="ie"} /inbound ah sas:/ {s="ia"} /outbound esp sas:/ {s="oe"} /outbound ah sas:/ {s="oa"} /pcp sas:/ {s=""} /spi: 0x/ && s {sub(/\(.*/, "", $2); print s, $2}'; }
get() { printf '%s\n' "$1" | awk -v k="$2" '$1 == k {print $2; exit}'; }
a_spis=$(spis "$ips_a"); b_spis=$(spis "$ips_b")
for pair in "ie oe" "oe ie"; do
	set -- $pair
	va=$(get "$a_spis" "$1"); vb=$(get "$b_spis" "$2")
	[ -n "$va" ] && [ "$va" = "$vb" ] || fail "SPI mismatch: A $1=$va, B $2=$vb"
done
[ -z "$(get "$a_spis" ia)" ] || fail "A has an AH SA over IKEv2"
expect_in "$ips_a" 'transform: esp-256-aes esp-sha256-hmac' "A: not the configured transform"

# clear crypto ikev2 sa: the IKE SA and its Child SAs go; traffic brings them back.
cli a clear crypto ikev2 sa >/dev/null
v2_a=$(cli a show crypto ikev2 sa)
expect_not_in "$v2_a" 'READY' "A: IKEv2 SA still there after clear"
expect_not_in "$(cli a show crypto ipsec sa)" 'spi: 0x' "A: Child SAs outlived their IKE SA"
sleep 1.2	# the data plane asks for SAs once a second per flow
out=$(cli a ping 10.0.2.2 source 10.0.0.1 repeat 5 timeout 2)
[ "$(rate "$out" 5)" = 5 ] || fail "after clear: $(rate "$out" 5)/5 replies"
expect_in "$(cli a show crypto ikev2 sa)" '^2 +10\.1\.1\.1/500 +10\.2\.2\.2/500 +none/none +READY$' \
	"A: no new IKEv2 SA after clear"
stats=$(cli a show crypto ikev2 stats)
expect_in "$stats" 'Child SAs installed +2$' "A: stats do not count two Child SAs"
router_stop a
router_stop b
exit 0
