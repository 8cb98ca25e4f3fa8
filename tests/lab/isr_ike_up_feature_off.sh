#!/usr/bin/env bash
# IOS behaviour: with an IKE SA up, the receiver of an unknown SPI sends the
# INVALID-SPI notify whatever the configuration.  B runs WITHOUT
# `crypto isakmp invalid-spi-recovery`, keeps its IKE SA, and loses its IPsec
# SAs silently (test crypto ipsec lose-sas: no Delete reaches A): B still
# tells A over the IKE SA, initiates nothing, and the tunnel recovers.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/isr-lib.bash"

isr_lab_init
isr_cfg B 's/^crypto isakmp invalid-spi-recovery$/no crypto isakmp invalid-spi-recovery/'
isr_up
out=$(x B show running-config)
expect_not_in "$out" '^crypto isakmp invalid-spi-recovery' "B's running-config still has the feature on"
expect_in "$(isr B)" '^Invalid SPI recovery: disabled$' "B does not show the feature disabled"

up_tunnel
old_a=$(spis A)
old_esp=$(spi_of "$old_a" out_esp) old_ah=$(spi_of "$old_a" out_ah)
ike_b=$(x B show crypto isakmp sa | grep -c QM_IDLE)

out=$(x B test crypto ipsec lose-sas)
expect_in "$out" '^1 IPsec SA bundle forgotten; the peer was not told\.$' "lose-sas did not forget exactly 1 bundle"
[ -z "$(spis B)" ] || fail "B still has IPsec SAs after lose-sas"
qm_idle B || fail "lose-sas took B's IKE SA down: the case under test needs it up"
[ "$(spi_of "$(spis A)" out_esp)" = "$old_esp" ] || fail "A heard of the loss: lose-sas must not send a Delete"

out=$(x A ping 10.0.2.2 source 10.0.0.1 repeat 30)
ok=$(ping_ok "$out")
[ "$ok" -ge 28 ] || { printf '%s\n' "$out" >&2; fail "only $ok/30 replies: the tunnel did not recover"; }
note "$ok/30 replies"

cb=$(isr B) ca=$(isr A)
[ "$(ctr "$cb" sent)" -ge 1 ] || { printf '%s\n' "$cb" >&2; fail "B sent no INVALID_SPI notify over its IKE SA"; }
[ "$(ctr "$cb" init)" = 0 ] || { printf '%s\n' "$cb" >&2; fail "B initiated a recovery IKE SA with the feature off"; }
[ "$(ctr "$cb" disabled)" = 0 ] || { printf '%s\n' "$cb" >&2; fail "B dropped as 'recovery disabled' although its IKE SA was up"; }
[ "$(ctr "$ca" acted)" = 1 ] || { printf '%s\n' "$ca" >&2; fail "A did not act on exactly one notify"; }
# No new Main Mode: the notify rode the existing IKE SA, and the new Quick Mode too.
[ "$(x B show crypto isakmp sa | grep -c QM_IDLE)" = "$ike_b" ] || fail "B's IKE SAs changed: a new Main Mode ran"
new_a=$(spis A)
[ "$(spi_of "$new_a" out_esp)" != "$old_esp" ] && [ -n "$(spi_of "$new_a" out_esp)" ] || fail "A still uses ESP SPI $old_esp"
[ "$(spi_of "$new_a" out_ah)" != "$old_ah" ] || fail "A still uses AH SPI $old_ah"
[ "$(spi_of "$new_a" out_esp)" = "$(spi_of "$(spis B)" in_esp)" ] || fail "new SAs not crosswise"
out=$(x B show logging)
expect_in "$out" "%CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid spi for destaddr=10\.2\.2\.2, prot=(51, spi=0x$old_ah|50, spi=0x$old_esp)\(" "B did not log the invalid SPI of A's old SA"

isr_finish
exit 0
