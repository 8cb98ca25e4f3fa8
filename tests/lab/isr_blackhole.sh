#!/usr/bin/env bash
# The IOS default (feature off) with no IKE SA: the black hole.  B drops A's
# packets and tells nobody (counted as "Dropped, no IKE SA and recovery
# disabled"; no IKE SA initiated), until `crypto isakmp invalid-spi-recovery`
# is configured from configure terminal: it takes effect at once and the next
# pings recover.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/isr-lib.bash"

isr_lab_init
isr_cfg B 's/^crypto isakmp invalid-spi-recovery$/no crypto isakmp invalid-spi-recovery/'
isr_up
expect_in "$(isr B)" '^Invalid SPI recovery: disabled$' "B does not show the feature disabled"

up_tunnel
old_esp=$(spi_of "$(spis A)" out_esp)
x B clear crypto isakmp >/dev/null
x B clear crypto sa >/dev/null
expect_not_in "$(x B show crypto isakmp sa)" 'QM_IDLE' "B still has an IKE SA"

# The black hole: nothing gets through, and it stays that way.
for round in 1 2; do
	out=$(x A ping 10.0.2.2 source 10.0.0.1 repeat 5 timeout 1)
	expect_in "$out" '^Success rate is 0 percent \(0/5\)$' "round $round: packets got through the black hole"
done
cb=$(isr B)
drops=$(ctr "$cb" disabled)
[ "$drops" -ge 10 ] || { printf '%s\n' "$cb" >&2; fail "B counted $drops drops as 'recovery disabled', want >= 10"; }
[ "$(( $(ctr "$cb" esp) + $(ctr "$cb" ah) ))" -ge 10 ] || fail "B counted fewer than 10 invalid SPIs"
[ "$(ctr "$cb" init)" = 0 ] || { printf '%s\n' "$cb" >&2; fail "B initiated an IKE SA with the feature off"; }
[ "$(ctr "$cb" sent)" = 0 ] || fail "B sent a notify without an IKE SA"
expect_not_in "$(x B show crypto isakmp sa | grep -v '(deleted)')" 'MM_|QM_' "B started an IKE SA with the feature off"
[ "$(spi_of "$(spis A)" out_esp)" = "$old_esp" ] || fail "A's SA changed during the black hole"
expect_in "$(x B show logging)" 'RECVD_PKT_INV_SPI' "B did not log the invalid SPI"

# Turn it on: the very next packets start recovery.
conf B "crypto isakmp invalid-spi-recovery"
expect_in "$(isr B)" '^Invalid SPI recovery: enabled$' "configure terminal did not enable the feature"
expect_in "$(x B show running-config)" '^crypto isakmp invalid-spi-recovery$' "running-config lacks the feature"
out=$(x A ping 10.0.2.2 source 10.0.0.1 repeat 10)
ok=$(ping_ok "$out")
[ "$ok" -ge 8 ] || { printf '%s\n' "$out" >&2; fail "only $ok/10 replies after enabling recovery"; }
note "after enabling: $ok/10 replies"
cb=$(isr B)
[ "$(ctr "$cb" init)" = 1 ] || { printf '%s\n' "$cb" >&2; fail "B did not initiate exactly one recovery IKE SA"; }
[ "$(ctr "$cb" sent)" -ge 1 ] || fail "B sent no notify after enabling"
[ "$(ctr "$cb" disabled)" = "$drops" ] || fail "B still counted drops as disabled after enabling"
[ "$(ctr "$(isr A)" acted)" = 1 ] || fail "A did not act on the notify"
[ "$(spi_of "$(spis A)" out_esp)" != "$old_esp" ] || fail "A still uses the dead SPI"

isr_finish
exit 0
