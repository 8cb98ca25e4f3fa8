#!/usr/bin/env bash
# The seed's verification steps ("Verifying an Invalid Security Parameter
# Index Recovery Configuration") on the seed lab, as a network engineer would
# check them: SAs up and crosswise, clear on B, A's ping recovers with new
# SPIs, B logged the invalid SPI in IOS's format, and the recovery counters
# on both routers tell the story.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/isr-lib.bash"

isr_lab_init
isr_up

# Step 1: initiate the IKE and IPsec SAs between Host 1 and Host 2.
up_tunnel
sa_a=$(spis A) sa_b=$(spis B)
for k in in_esp in_ah out_esp out_ah; do
	[ -n "$(spi_of "$sa_a" $k)" ] || { printf '%s\n' "$sa_a" >&2; fail "step 1: A has no $k SA"; }
	[ -n "$(spi_of "$sa_b" $k)" ] || { printf '%s\n' "$sa_b" >&2; fail "step 1: B has no $k SA"; }
done
# A's outbound SAs are B's inbound ones and the other way round.
[ "$(spi_of "$sa_a" out_esp)" = "$(spi_of "$sa_b" in_esp)" ] || fail "ESP SPIs not crosswise (A out, B in)"
[ "$(spi_of "$sa_a" out_ah)" = "$(spi_of "$sa_b" in_ah)" ] || fail "AH SPIs not crosswise (A out, B in)"
[ "$(spi_of "$sa_a" in_esp)" = "$(spi_of "$sa_b" out_esp)" ] || fail "ESP SPIs not crosswise (A in, B out)"
[ "$(spi_of "$sa_a" in_ah)" = "$(spi_of "$sa_b" out_ah)" ] || fail "AH SPIs not crosswise (A in, B out)"
out=$(x A show crypto ipsec sa)
expect_in "$out" "current outbound spi: $(spi_of "$sa_a" out_esp)\$" "A's current outbound spi is not its outbound ESP SPI"
expect_in "$out" 'transform: ah-sha-hmac ,' "A: no ah-sha-hmac SA"
expect_in "$out" 'transform: esp-des esp-sha-hmac ,' "A: no esp-des esp-sha-hmac SA"
enc_a1=$(ipsec_ctr "$out" encaps) dec_a1=$(ipsec_ctr "$out" decaps)
[ "$enc_a1" -ge 9 ] || fail "step 1: A encapsulated fewer than 9 packets"
old_out_esp=$(spi_of "$sa_a" out_esp) old_out_ah=$(spi_of "$sa_a" out_ah)

# Step 2: clear the IKE and IPsec SAs on Router B (A is not told about the IPsec SAs).
x B clear crypto isakmp >/dev/null
x B clear crypto sa >/dev/null
out=$(x B show crypto isakmp sa)
expect_not_in "$out" 'QM_IDLE' "B still has an established IKE SA after clear crypto isakmp"
[ -z "$(spis B)" ] || fail "B still has IPsec SAs after clear crypto sa"
[ "$(spi_of "$(spis A)" out_esp)" = "$old_out_esp" ] || fail "A lost its SAs: the test would not exercise recovery"

# Step 3: traffic from Host 1's side; new SAs come up.
out=$(x A ping 10.0.2.2 source 10.0.0.1 repeat 30)
ok=$(ping_ok "$out")
[ "$ok" -ge 28 ] || { printf '%s\n' "$out" >&2; fail "step 3: only $ok/30 replies after recovery"; }
note "step 3: $ok/30 replies"
wait_for 5 qm_idle A || fail "step 3: A has no QM_IDLE IKE SA"
wait_for 5 qm_idle B || fail "step 3: B has no QM_IDLE IKE SA"
sa_a2=$(spis A) sa_b2=$(spis B)
new_out_esp=$(spi_of "$sa_a2" out_esp) new_out_ah=$(spi_of "$sa_a2" out_ah)
[ -n "$new_out_esp" ] && [ -n "$new_out_ah" ] || { printf '%s\n' "$sa_a2" >&2; fail "step 3: A has no new outbound SAs"; }
[ "$new_out_esp" != "$old_out_esp" ] || fail "step 3: A still uses the dead ESP SPI $old_out_esp"
[ "$new_out_ah" != "$old_out_ah" ] || fail "step 3: A still uses the dead AH SPI $old_out_ah"
[ "$(printf '%s\n' "$sa_a2" | grep -c '^out_esp ')" = 1 ] || fail "step 3: A has more than one outbound ESP SA"
[ "$new_out_esp" = "$(spi_of "$sa_b2" in_esp)" ] || fail "step 3: new ESP SPIs not crosswise"
[ "$new_out_ah" = "$(spi_of "$sa_b2" in_ah)" ] || fail "step 3: new AH SPIs not crosswise"
[ "$(spi_of "$sa_a2" in_esp)" = "$(spi_of "$sa_b2" out_esp)" ] || fail "step 3: new ESP SPIs not crosswise (B out)"
# B's counters restarted with its new SAs (clear crypto sa reset them, as in
# the seed's output: 28, not 38); A's are per flow (the crypto map ident) and
# grew by exactly what crossed the new SAs.
out_a=$(x A show crypto ipsec sa) out_b=$(x B show crypto ipsec sa)
enc_a=$(( $(ipsec_ctr "$out_a" encaps) - enc_a1 )) dec_a=$(( $(ipsec_ctr "$out_a" decaps) - dec_a1 ))
dec_b=$(ipsec_ctr "$out_b" decaps) enc_b=$(ipsec_ctr "$out_b" encaps)
note "step 3: A encaps +$enc_a decaps +$dec_a; B decaps $dec_b encaps $enc_b"
[ "$enc_a" -ge "$ok" ] && [ "$enc_a" -le 30 ] || fail "step 3: A encapsulated $enc_a echoes, not in [$ok, 30]"
[ "$dec_a" = "$ok" ] || fail "step 3: A decapsulated $dec_a replies but ping counted $ok"
[ "$dec_b" = "$ok" ] || fail "step 3: B's counters did not restart: decaps $dec_b for $ok echoes through"
[ "$enc_b" = "$dec_b" ] || fail "step 3: B answered $enc_b of $dec_b echoes"
[ "$(ipsec_ctr "$out_b" verify)" = "$dec_b" ] || fail "step 3: B verified a different number than it decapsulated"

# Step 4: the invalid SPI message on Router B, in IOS's words.
out=$(x B show logging)
line=$(printf '%s\n' "$out" | grep 'RECVD_PKT_INV_SPI' | head -1)
[ -n "$line" ] || { printf '%s\n' "$out" >&2; fail "step 4: B logged no %CRYPTO-4-RECVD_PKT_INV_SPI"; }
note "B: $line"
re="^\*[A-Z][a-z]{2} +[0-9]+ [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}: %CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid spi for destaddr=10\.2\.2\.2, prot=(50|51), spi=0x([0-9A-F]+)\(([0-9]+)\), srcaddr=10\.1\.1\.1$"
[[ $line =~ $re ]] || fail "step 4: RECVD_PKT_INV_SPI line not in IOS's format: $line"
prot=${BASH_REMATCH[1]} hex=${BASH_REMATCH[2]} dec=${BASH_REMATCH[3]}
[ "$((16#$hex))" = "$dec" ] || fail "step 4: spi=0x$hex($dec): hex and decimal differ"
[[ $hex != 0* ]] || fail "step 4: spi printed with leading zeros (IOS prints 0x%X)"
if [ "$prot" = 51 ]; then want=$old_out_ah; else want=$old_out_esp; fi
[ "$hex" = "$want" ] || fail "step 4: logged spi 0x$hex (prot $prot) is not the SPI A used before (0x$want)"

# The recovery counters: B initiated one IKE SA and sent the notify; A acted on it.
cb=$(isr B) ca=$(isr A)
expect_in "$cb" '^Invalid SPI recovery: enabled$' "B: feature not shown enabled"
[ "$(ctr "$cb" init)" = 1 ] || { printf '%s\n' "$cb" >&2; fail "B: not exactly 1 recovery IKE SA initiated"; }
[ "$(ctr "$cb" init_fail)" = 0 ] || fail "B: a recovery initiation failed"
[ "$(ctr "$cb" sent)" -ge 1 ] || { printf '%s\n' "$cb" >&2; fail "B: no INVALID_SPI notify sent"; }
[ "$(( $(ctr "$cb" esp) + $(ctr "$cb" ah) ))" -ge 1 ] || fail "B: no invalid SPI counted"
[ "$(ctr "$ca" received)" = 1 ] || { printf '%s\n' "$ca" >&2; fail "A: not exactly 1 INVALID_SPI notify received"; }
[ "$(ctr "$ca" acted)" = 1 ] || { printf '%s\n' "$ca" >&2; fail "A: the notify was not acted on"; }
out=$(x A show logging)
expect_in "$out" "%CRYPTO-5-ISR_SA_DELETED: .*10\.2\.2\.2.*spi=0x($old_out_ah|$old_out_esp)\(" "A did not log deleting the dead SA"

isr_finish
exit 0
