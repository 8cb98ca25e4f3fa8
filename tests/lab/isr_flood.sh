#!/usr/bin/env bash
# A bounded flood of ESP/AH packets with random unknown SPIs (20000 packets
# over about 5 s), half claiming the static peer 10.1.1.1, half random
# sources, injected into B through its inside LAN, while A pings through the
# real tunnel.  B has no IKE SA when it starts (clear crypto isakmp), so the
# static-peer half asks for recovery IKE SAs.  The DoS guard must hold:
#   - recovery IKE SAs toward 10.1.1.1 <= ceil(duration / hold-down) + 1,
#     none toward anybody else;
#   - INVALID_SPI notifies <= 5 per second per peer;
#   - the invalid-SPI log stays rate-limited (not one line per forged packet);
#   - the real tunnel keeps passing traffic (>= 90% of echoes);
#   - B's memory stays bounded (RSS growth < 20 MB).
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/isr-lib.bash"

COUNT=${ISR_FLOOD_COUNT:-20000} SECS=${ISR_FLOOD_SECONDS:-5}

isr_lab_init
isr_up
up_tunnel
x B clear crypto isakmp >/dev/null
expect_not_in "$(x B show crypto isakmp sa)" 'QM_IDLE' "B kept its IKE SA"
out=$(x A ping 10.0.2.2 source 10.0.0.1 repeat 5)
[ "$(ping_ok "$out")" = 5 ] || { printf '%s\n' "$out" >&2; fail "the IPsec SAs did not survive clear crypto isakmp"; }

cb0=$(isr B) ca0=$(isr A)
holddown=$(num "$cb0" 'hold-down per peer: ([0-9]+) seconds')
[ -n "$holddown" ] || fail "no hold-down in show crypto isakmp invalid-spi-recovery"
bpid=$(cat "$LAB/run/B.pid")
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$bpid/status"; }
rss0=$(rss)
log0=$(grep -c 'RECVD_PKT_INV_SPI' "$LAB/run/B.log")

$PY "$INJECT" flood --far "$B_FAR" --port "$B_IN" --dst 10.2.2.2 --src 10.1.1.1 --random-src-pct 50 \
	--count "$COUNT" --seconds "$SECS" --proto mix --linger 1 >"$T/flood.json" 2>"$T/flood.err" &
flood_pid=$!
on_cleanup "kill $flood_pid"

# A's echoes through the tunnel for as long as the flood lasts (bounded).
ok=0 tot=0
end=$((SECONDS + SECS + 20))
while kill -0 $flood_pid 2>/dev/null && [ $SECONDS -lt $end ]; do
	out=$(x A ping 10.0.2.2 source 10.0.0.1 repeat 10 timeout 1)
	ok=$((ok + $(ping_ok "$out"))) tot=$((tot + 10))
done
wait $flood_pid || { cat "$T/flood.err" >&2; fail "the flood did not finish cleanly"; }
read -r sent dur nback < <($PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["sent"], d["seconds"], len(d["router_sent"]))' "$T/flood.json")
note "flood: $sent packets in $dur s; A's echoes during it: $ok/$tot"
[ "$sent" -ge $((COUNT * 99 / 100)) ] || fail "the injector sent only $sent of $COUNT"
[ "$tot" -ge 20 ] || fail "only $tot echoes ran during the flood"
[ $((ok * 100)) -ge $((tot * 90)) ] || fail "the real tunnel passed only $ok/$tot echoes during the flood"
[ "$nback" = 0 ] || fail "B sent $nback packets toward the forged sources on its inside LAN"

cb=$(isr B) ca=$(isr A)
secs=$($PY -c "import math; print(math.ceil($dur))")
inv=$(( $(ctr "$cb" esp) + $(ctr "$cb" ah) - $(ctr "$cb0" esp) - $(ctr "$cb0" ah) ))
init=$(( $(ctr "$cb" init) - $(ctr "$cb0" init) ))
sentn=$(( $(ctr "$cb" sent) - $(ctr "$cb0" sent) ))
ns=$(( $(ctr "$cb" not_static) - $(ctr "$cb0" not_static) ))
note "B: $inv invalid SPIs, $init recovery IKE SAs, $sentn notifies, $ns not static; suppressed: hold-down $(ctr "$cb" holddown), notify rate $(ctr "$cb" notify_rate), joined $(ctr "$cb" joined)"
[ "$inv" -ge $((sent / 2)) ] || { printf '%s\n' "$cb" >&2; fail "B counted only $inv of $sent invalid SPIs: the flood did not reach it"; }
[ "$ns" -ge $((sent / 4)) ] || fail "B counted only $ns non-static sources"
max_init=$(( (secs + 1 + holddown - 1) / holddown + 1 ))
[ "$init" -ge 1 ] || { printf '%s\n' "$cb" >&2; fail "B initiated no recovery IKE SA toward the static peer"; }
[ "$init" -le "$max_init" ] || { printf '%s\n' "$cb" >&2; fail "B initiated $init recovery IKE SAs in ${dur}s, hold-down allows $max_init"; }
max_notify=$(( 5 * (secs + 2) ))
[ "$sentn" -le "$max_notify" ] || { printf '%s\n' "$cb" >&2; fail "B sent $sentn notifies in ${dur}s: over 5 per second"; }
out=$(x B show crypto isakmp sa)
bad=$(printf '%s\n' "$out" | awk '/^\// && !(($2 == "10.1.1.1" && $3 == "10.2.2.2") || ($2 == "10.2.2.2" && $3 == "10.1.1.1"))')
[ -z "$bad" ] || { printf '%s\n' "$out" >&2; fail "B has IKE SAs with peers other than 10.1.1.1"; }
[ "$(printf '%s\n' "$out" | grep -c ' QM_IDLE ')" -le "$max_init" ] || { printf '%s\n' "$out" >&2; fail "too many established IKE SAs on B"; }
# A heard at most what B sent, and none of the random SPIs is one of its own.
[ $(( $(ctr "$ca" received) - $(ctr "$ca0" received) )) -le "$sentn" ] || fail "A received more notifies than B sent"
[ "$(ctr "$ca" acted)" = "$(ctr "$ca0" acted)" ] || fail "A deleted SAs because of random SPIs"

rss1=$(rss)
note "B's RSS: $rss0 kB -> $rss1 kB"
[ $((rss1 - rss0)) -lt 20480 ] || fail "B's RSS grew by $(( (rss1 - rss0) / 1024 )) MB during the flood"

out=$(x A ping 10.0.2.2 source 10.0.0.1 repeat 10)
[ "$(ping_ok "$out")" -ge 9 ] || { printf '%s\n' "$out" >&2; fail "the tunnel does not work after the flood"; }

# Phase 2: the static peer is down (A stopped) and B has no IKE SA, so every
# forged packet from 10.1.1.1 asks for a recovery IKE SA that never comes up.
# Main Mode toward A starts once; the rest join it or meet the hold-down.
isr_stop "$LAB" TERM A	# (then lab stop finds A stopped, without waiting for PID 1 to reap it)
timeout -k 5 30 "$SPIGOT" lab stop "$LAB" A >/dev/null || fail "lab stop A"
x B clear crypto isakmp >/dev/null
cb1=$(isr B)
ikemsgs() { num "$(x B show crypto isakmp stats)" 'Messages: [0-9]+ received, ([0-9]+) sent'; }
tx1=$(ikemsgs)
$PY "$INJECT" flood --far "$B_FAR" --port "$B_IN" --dst 10.2.2.2 --src 10.1.1.1 \
	--count $((COUNT / 2)) --seconds "$SECS" --proto esp --linger 0.5 >"$T/flood2.json" || fail "injector failed"
read -r sent2 dur2 < <($PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["sent"], d["seconds"])' "$T/flood2.json")
secs2=$($PY -c "import math; print(math.ceil($dur2))")
cb2=$(isr B)
init2=$(( $(ctr "$cb2" init) - $(ctr "$cb1" init) ))
inv2=$(( $(ctr "$cb2" esp) - $(ctr "$cb1" esp) ))
tx2=$(( $(ikemsgs) - tx1 ))
max_init2=$(( (secs2 + holddown - 1) / holddown + 1 ))
note "peer down: $sent2 packets in $dur2 s; B: $inv2 invalid SPIs, $init2 recovery IKE SAs (max $max_init2), $tx2 IKE messages sent; joined $(( $(ctr "$cb2" joined) - $(ctr "$cb1" joined) )), hold-down $(( $(ctr "$cb2" holddown) - $(ctr "$cb1" holddown) ))"
[ "$inv2" -ge $((sent2 / 2)) ] || fail "peer down: B counted only $inv2 of $sent2"
[ "$init2" -ge 1 ] && [ "$init2" -le "$max_init2" ] || { printf '%s\n' "$cb2" >&2; fail "peer down: $init2 recovery IKE SAs in ${dur2}s (allowed 1..$max_init2)"; }
[ "$(ctr "$cb2" sent)" = "$(ctr "$cb1" sent)" ] || fail "peer down: B sent notifies without an IKE SA"
[ "$tx2" -le 12 ] || fail "peer down: B sent $tx2 IKE messages for one Main Mode and its retransmissions"
out=$(x B show crypto isakmp sa)
[ "$(printf '%s\n' "$out" | grep -E '^/ ' | grep -vc '(deleted)')" -le "$max_init2" ] ||
	{ printf '%s\n' "$out" >&2; fail "peer down: B holds more IKE SAs under way than initiations allowed"; }
rss2=$(rss)
note "B's RSS after phase 2: $rss2 kB"
[ $((rss2 - rss0)) -lt 20480 ] || fail "B's RSS grew by $(( (rss2 - rss0) / 1024 )) MB"

isr_finish

# The log stays rate-limited: at most one line per second for each of the
# 64 per-source slots, not one per forged packet.
logn=$(( $(grep -c 'RECVD_PKT_INV_SPI' "$LAB/run/B.log") - log0 ))
max_log=$(( 64 * (secs + 2) ))
note "B logged $logn RECVD_PKT_INV_SPI lines (bound $max_log)"
[ "$logn" -le "$max_log" ] || fail "B logged $logn RECVD_PKT_INV_SPI lines for $sent forged packets in ${dur}s: the log is not rate-limited against random sources (bound $max_log)"

exit 0
