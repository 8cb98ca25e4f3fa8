#!/usr/bin/env bash
# Recovery never answers a source that is not a static peer (not named by
# `set peer`): ESP and AH packets with unknown SPIs from 10.9.9.9 and from
# random addresses, injected into B through its inside LAN, create no IKE SA,
# no IKE message, no packet toward them; they are counted as "Ignored,
# source not a static peer".  B gets a default route into that LAN, so any
# answer it tried to send would show up at the injector.  A control packet
# from the static peer 10.1.1.1 through the same path IS answered (over the
# existing IKE SA), so the silence is the policy, not a broken path.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/isr-lib.bash"
$PY -c 'import scapy' 2>/dev/null || skip "needs python3-scapy"

isr_lab_init
isr_cfg B 's/^ip route 10\.1\.1\.0 255\.255\.255\.0 Ethernet1\/0$/&\nip route 0.0.0.0 0.0.0.0 10.0.2.100/'
isr_up
expect_in "$(x B show ip route)" '0\.0\.0\.0/0 .*10\.0\.2\.100' "B has no default route into its inside LAN"
expect_in "$(isr B)" '^Invalid SPI recovery: enabled$' "the feature must be on for this test"
up_tunnel

ikemsgs() { num "$(x B show crypto isakmp stats)" 'Messages: [0-9]+ received, ([0-9]+) sent'; }
cb0=$(isr B) tx0=$(ikemsgs)
[ -n "$tx0" ] || fail "no 'Messages: N received, N sent' in show crypto isakmp stats"

# 300 packets over 1.5 s: half from 10.9.9.9, half from random sources; ESP and AH.
$PY "$INJECT" flood --far "$B_FAR" --port "$B_IN" --dst 10.2.2.2 --src 10.9.9.9 \
	--random-src-pct 50 --count 300 --seconds 1.5 --proto mix --linger 2.5 >"$T/flood.json" ||
	fail "injector failed"
read -r sent failed nback < <($PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["sent"], d["failed"], len(d["router_sent"]))' "$T/flood.json")
note "injected $sent packets ($failed failed); B sent $nback packets into the LAN"
[ "$sent" = 300 ] || fail "the injector sent only $sent of 300"
[ "$nback" = 0 ] || { cat "$T/flood.json" >&2; fail "B answered non-static sources: $nback packets left B toward them"; }

cb=$(isr B)
d_inv=$(( $(ctr "$cb" esp) + $(ctr "$cb" ah) - $(ctr "$cb0" esp) - $(ctr "$cb0" ah) ))
d_ns=$(( $(ctr "$cb" not_static) - $(ctr "$cb0" not_static) ))
note "B: +$d_inv invalid SPIs, +$d_ns ignored as not static"
[ "$d_inv" = 300 ] || { printf '%s\n' "$cb" >&2; fail "B counted $d_inv invalid SPIs, injected 300"; }
[ "$d_ns" = 300 ] || { printf '%s\n' "$cb" >&2; fail "B counted $d_ns as 'not a static peer', want 300"; }
[ "$(ctr "$cb" init)" = 0 ] || { printf '%s\n' "$cb" >&2; fail "B initiated an IKE SA"; }
[ "$(ctr "$cb" sent)" = 0 ] || { printf '%s\n' "$cb" >&2; fail "B sent an INVALID_SPI notify"; }
[ "$(ikemsgs)" = "$tx0" ] || fail "B sent IKE messages ($tx0 -> $(ikemsgs)) because of non-static sources"
out=$(x B show crypto isakmp sa)
expect_not_in "$out" '10\.9\.9\.9' "B has an IKE SA row for 10.9.9.9"
[ "$(printf '%s\n' "$out" | grep -cE '^/ ')" = 1 ] || { printf '%s\n' "$out" >&2; fail "B has IKE SAs besides the one with A"; }
# (the router's log file: the flood's invalid-SPI lines may have wrapped the 8 KB buffer)
grep -qE '%CRYPTO-6-ISR_NOT_STATIC_PEER: Invalid SPI recovery: [0-9.]+ is not a static peer, no IKE SA initiated' "$LAB/run/B.log" ||
	fail "B did not log ignoring a source as not a static peer"

# The control: the static peer's address through the same LAN is answered
# (IKE SA up: a notify to A, which knows no such SPI and says so).
ca0=$(isr A)
$PY "$INJECT" flood --far "$B_FAR" --port "$B_IN" --dst 10.2.2.2 --src 10.1.1.1 \
	--count 1 --proto esp --linger 1 >"$T/ctl.json" || fail "injector failed"
cb2=$(isr B)
[ "$(ctr "$cb2" sent)" = 1 ] || { printf '%s\n' "$cb2" >&2; fail "control: B did not notify the static peer"; }
wait_for 3 sh -c "'$SPIGOT' lab exec '$LAB' A show crypto isakmp invalid-spi-recovery | grep -q 'unknown SPI: $(( $(ctr "$ca0" unknown_spi) + 1 ))'" ||
	fail "control: A did not receive the notify for an SPI it does not have"

out=$(x A ping 10.0.2.2 source 10.0.0.1 repeat 10)
[ "$(ping_ok "$out")" = 10 ] || { printf '%s\n' "$out" >&2; fail "the real tunnel suffered"; }

isr_finish
exit 0
