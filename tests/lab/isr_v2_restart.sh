#!/usr/bin/env bash
# Invalid SPI Recovery toward an IKEv2 peer (labs/seed-ikev2, where B has
# `crypto isakmp invalid-spi-recovery`), routers on loopback.
#
# 1. The tunnel comes up over IKEv2 from A's ping.
# 2. B's spigotd dies by SIGKILL and starts again from its config: no IKE
#    SA, no Child SA.  A pings on its old Child SA; B logs the invalid SPI,
#    opens an IKEv2 SA to A (IKE_SA_INIT + IKE_AUTH with the map entry's
#    Child SA and INITIAL_CONTACT), says INVALID_SPI over it, and the next
#    echo rides new SAs: one echo lost at most, B's log puts the invalid SPI
#    and the notify milliseconds apart.  No IKEv1 is spoken.
# 3. The same restart with the feature off (removed from B's config), with
#    `dpd 10 2 periodic` entered on the running A: every echo is lost until A's DPD declares B
#    dead (10 s of silence, 5 checks 2 s apart); only then does A's traffic
#    open a new IKE SA.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/isr-lib.bash"

ISR_SEED=seed-ikev2 isr_lab_init
grep -q '^crypto isakmp invalid-spi-recovery$' "$LAB/router-b.cfg" || fail "labs/seed-ikev2: B has no invalid-spi-recovery"
isr_up

v2_ready() { x "$1" show crypto ikev2 sa | grep -qE '^[0-9]+ +10\.[0-9.]+/500 +10\.[0-9.]+/500 +none/none +READY$'; }
restart_b() {
	local pid0
	pid0=$(cat "$LAB/run/B.pid")
	isr_stop "$LAB" KILL B		# (then lab kill finds B stopped, without waiting for PID 1 to reap it)
	timeout -k 5 30 "$SPIGOT" lab kill "$LAB" B >/dev/null || fail "lab kill B"
	isr_exited "$pid0" || fail "B's spigotd $pid0 survived SIGKILL"
	timeout -k 5 30 "$SPIGOT" lab start "$LAB" B >"$T/start.out" 2>&1 || { cat "$T/start.out" >&2; fail "lab start B"; }
	[ "$(cat "$LAB/run/B.pid")" != "$pid0" ] || fail "B was not restarted"
	v2_ready B && fail "the restarted B has an IKEv2 SA before any traffic"
	[ -z "$(spis B)" ] || fail "the restarted B has IPsec SAs"
}
# ms TIMESTAMP: "*Dec  1 02:48:36.354" -> milliseconds of the day.
ms() { local t=${1##* }; IFS=:. read -r h m s f <<<"$t"; echo $(( ((10#$h * 60 + 10#$m) * 60 + 10#$s) * 1000 + 10#$f )); }

# 1. Up over IKEv2.
out=$(x A ping 10.0.2.2 source 10.0.0.1 repeat 10)
[ "$(ping_ok "$out")" -ge 9 ] || { printf '%s\n' "$out" >&2; fail "step 1: the tunnel did not come up"; }
wait_for 5 v2_ready A || fail "step 1: A has no READY IKEv2 SA"
old_esp=$(spi_of "$(spis A)" out_esp)
[ -n "$old_esp" ] || fail "step 1: A has no outbound ESP SA"

# 2. B restarts, A keeps sending.
restart_b
out=$(x A ping 10.0.2.2 source 10.0.0.1 repeat 20 timeout 1)
ok=$(ping_ok "$out")
note "step 2: $ok/20 replies after B's restart"
[ "$ok" -ge 19 ] || { printf '%s\n' "$out" >&2; fail "step 2: only $ok/20 replies: recovery took more than one echo"; }
wait_for 5 v2_ready B || fail "step 2: B has no READY IKEv2 SA"
sa_a=$(spis A) sa_b=$(spis B)
new_esp=$(spi_of "$sa_a" out_esp)
[ -n "$new_esp" ] && [ "$new_esp" != "$old_esp" ] || { printf '%s\n' "$sa_a" >&2; fail "step 2: A still sends on 0x$old_esp"; }
[ "$(printf '%s\n' "$sa_a" | grep -c '^out_esp ')" = 1 ] || { printf '%s\n' "$sa_a" >&2; fail "step 2: A kept more than one outbound ESP SA"; }
[ "$new_esp" = "$(spi_of "$sa_b" in_esp)" ] || fail "step 2: new ESP SPIs not crosswise"
expect_not_in "$(x B show crypto isakmp sa)" 'QM_IDLE|MM_' "step 2: B spoke IKEv1"
cb=$(isr B)
[ "$(ctr "$cb" init)" = 1 ] || { printf '%s\n' "$cb" >&2; fail "step 2: B did not initiate exactly 1 recovery IKE SA"; }
[ "$(ctr "$cb" init_fail)" = 0 ] || fail "step 2: the recovery IKE SA failed"
expect_in "$cb" '^  IKEv2 peers: IKE SAs initiated 1, INVALID_SPI notifies sent [1-9]' "step 2: B's IKEv2 share is not counted"
log=$(x B show logging)
first=$(printf '%s\n' "$log" | grep -m1 "RECVD_PKT_INV_SPI: .*spi=0x$old_esp(" | sed 's/: %.*//')
sent=$(printf '%s\n' "$log" | grep -m1 'ISR_NOTIFY_SENT' | sed 's/: %.*//')
[ -n "$first" ] || { printf '%s\n' "$log" >&2; fail "step 2: B did not log A's old SPI 0x$old_esp as invalid"; }
[ -n "$sent" ] || { printf '%s\n' "$log" >&2; fail "step 2: B did not log the INVALID_SPI notify"; }
dt=$(( $(ms "$sent") - $(ms "$first") ))
note "step 2: B's log: invalid SPI at ${first##* }, IKEv2 SA up and INVALID_SPI sent at ${sent##* } ($dt ms)"
[ "$dt" -ge 0 ] && [ "$dt" -lt 1000 ] || fail "step 2: $dt ms from the invalid SPI to the notify"
expect_in "$(x A show crypto ikev2 stats)" "IKE SAs replaced \(peer's INITIAL_CONTACT\) +1$" \
	"step 2: A did not drop its stale IKE SA on B's INITIAL_CONTACT"

# 3. Feature off: the black hole lasts until A's DPD gives B up.
conf A 'crypto ikev2 profile seed-v2' 'dpd 10 2 periodic'
isr_cfg B '/^crypto isakmp invalid-spi-recovery$/d'
# DPD alone: without this, B's Quick Crash Detection (on in labs, which give each
# router a state directory) would end the black hole at A's first check.
isr_cfg B '/^hostname/a no crypto ikev2 quick-crash-detection'
old_esp=$new_esp
restart_b
expect_in "$(isr B)" '^Invalid SPI recovery: disabled$' "step 3: B still has the feature on"
t0=$SECONDS lost=0 back=
while [ $((SECONDS - t0)) -lt 45 ]; do
	out=$(x A ping 10.0.2.2 source 10.0.0.1 repeat 1 timeout 1)
	if [ "$(ping_ok "$out")" = 1 ]; then back=$((SECONDS - t0)); break; fi
	lost=$((lost + 1))
done
[ -n "$back" ] || fail "step 3: no reply within 45 s (DPD should have ended the black hole)"
note "step 3: feature off: $lost echoes lost, traffic back after ~$back s (A's DPD)"
# How long depends on when A last heard B (up to 10 s before the restart);
# that it was DPD, not B, that ended it is in A's stats below.
[ "$lost" -ge 1 ] || fail "step 3: no echo lost: not a black hole"
cb=$(isr B)
[ "$(ctr "$cb" init)" = 0 ] || fail "step 3: B initiated a recovery with the feature off"
[ "$(ctr "$cb" disabled)" -ge 5 ] || { printf '%s\n' "$cb" >&2; fail "step 3: B did not count the drops"; }
expect_in "$(x A show crypto ikev2 stats)" 'peers declared dead \(DPD\) +1$' "step 3: A's DPD did not end it"

isr_finish
exit 0
