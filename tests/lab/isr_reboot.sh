#!/usr/bin/env bash
# A real reboot: while A pings B's inside address, B's spigotd dies by
# SIGKILL (no Delete, nothing saved) and starts again from its config.  A
# keeps sending on SAs B no longer has; B logs the invalid SPI, brings up an
# IKE SA toward its static peer and tells A; the tunnel comes back by itself
# within a bounded time.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/isr-lib.bash"

isr_lab_init
isr_up
up_tunnel
old_esp=$(spi_of "$(spis A)" out_esp) old_ah=$(spi_of "$(spis A)" out_ah)
pid0=$(cat "$LAB/run/B.pid")

# A pings continuously in the background: rounds of 5, 1 s timeout.
pinger() {
	while :; do
		x A ping 10.0.2.2 source 10.0.0.1 repeat 5 timeout 1 | grep -E '^Success rate' || sleep 0.2
	done
}
pinger >"$T/pings.out" 2>&1 &
pinger_pid=$!
on_cleanup "kill $pinger_pid"
sleep 1

isr_stop "$LAB" KILL B	# (then lab kill finds B stopped, without waiting for PID 1 to reap it)
timeout -k 5 30 "$SPIGOT" lab kill "$LAB" B >/dev/null || fail "lab kill B"
isr_exited "$pid0" || fail "B's spigotd $pid0 survived SIGKILL"
sleep 1
t0=$SECONDS
timeout -k 5 30 "$SPIGOT" lab start "$LAB" B >"$T/start.out" 2>&1 || { cat "$T/start.out" >&2; fail "lab start B"; }
[ "$(cat "$LAB/run/B.pid")" != "$pid0" ] || fail "B was not restarted"
# A pings throughout: recovery and phase-2 restore may already have brought
# new SAs up; none may be the pre-reboot ones.
[ "$(spi_of "$(spis B)" in_esp)" != "$old_esp" ] || fail "the restarted B has its old IPsec SAs"

# The tunnel comes back by itself: a round of 5 with >= 4 replies, within 30 s.
recovered() { tail -n +"$1" "$T/pings.out" | grep -qE '^Success rate is [0-9]+ percent \([45]/5\)'; }
n0=$(( $(wc -l <"$T/pings.out") + 1 ))
wait_for 30 recovered "$n0" || { cat "$T/pings.out" >&2; fail "the tunnel did not come back within 30 s of B's restart"; }
note "the tunnel came back within $((SECONDS - t0)) s of the restart"
kill $pinger_pid 2>/dev/null
wait $pinger_pid 2>/dev/null

out=$(x A ping 10.0.2.2 source 10.0.0.1 repeat 10)
[ "$(ping_ok "$out")" -ge 9 ] || { printf '%s\n' "$out" >&2; fail "no steady traffic after recovery"; }
sa_a=$(spis A) sa_b=$(spis B)
[ "$(spi_of "$sa_a" out_esp)" != "$old_esp" ] || fail "A still uses its pre-reboot SA"
[ "$(spi_of "$sa_a" out_esp)" = "$(spi_of "$sa_b" in_esp)" ] || fail "SAs not crosswise after recovery"
[ "$(printf '%s\n' "$sa_a" | grep -c '^out_esp ')" = 1 ] || { printf '%s\n' "$sa_a" >&2; fail "A kept more than one outbound ESP SA"; }
qm_idle A || fail "A has no QM_IDLE IKE SA"
qm_idle B || fail "B has no QM_IDLE IKE SA"

# The rebooted B saw A's old SPI and said so, in its own (new) log buffer.
out=$(x B show logging)
expect_in "$out" "%CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid spi for destaddr=10\.2\.2\.2, prot=(51, spi=0x$old_ah|50, spi=0x$old_esp)\([0-9]+\), srcaddr=10\.1\.1\.1" \
	"the rebooted B did not log A's old SPI as invalid"
cb=$(isr B)
[ "$(ctr "$cb" init)" -ge 1 ] || { printf '%s\n' "$cb" >&2; fail "the rebooted B initiated no recovery IKE SA"; }

isr_finish
exit 0
