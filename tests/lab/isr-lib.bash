# Helpers for the Invalid SPI Recovery lab tests (tests/lab/isr_*.sh,
# tests/wire/isr_*.sh).  Source it after nothing else:
#     . "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/isr-lib.bash"
# Named .bash so tests/run.sh does not run it as a test.
#
# Each test gets a private copy of the seed lab ($LAB under $T) on a random
# free block of UDP ports, so tests never collide with each other or with a
# running demo.  Port numbering (src/cmd/lab.c: links then stubs, in lab.conf
# order, two ports each, the router's first):
#     BASE+0 A Fa0/0 <-> BASE+1 B Et1/0      the A-B cable
#     BASE+2 A Fa0/1  -> BASE+3              A's inside LAN (far end: nobody)
#     BASE+4 B Et1/1  -> BASE+5              B's inside LAN (far end: nobody)
# The far ends of the stubs are where tests inject packets (tests/lab/isr-inject.py).

: "${TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
. "$TOP/tests/lib.sh"
export SPIGOTD SPIGOT
PY=/usr/bin/python3
INJECT=$TOP/tests/lab/isr-inject.py
LAB=$T/lab

[ -x "$SPIGOTD" ] || skip "$SPIGOTD not built (make asan)"
"$SPIGOT" --help 2>&1 | grep -q "CLI not built yet" && skip "the spigot CLI has not landed yet"

# A failing test shows the end of both routers' logs: what a reviewer needs first.
fail() {
	echo "FAIL: $*" >&2
	local f
	for f in "$LAB"/run/*.log; do
		[ -e "$f" ] || continue
		echo "--- last lines of $f" >&2
		tail -25 "$f" >&2
	done
	exit 1
}

# A block of 8 UDP ports on loopback, all free now (BASE..BASE+7).
isr_free_base() {
	$PY - <<'PY'
import random, socket, sys
for _ in range(50):
    base = random.randrange(20000, 40000, 8)
    socks = []
    try:
        for p in range(base, base + 8):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            socks.append(s)
            s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        for s in socks:
            s.close()
    print(base)
    sys.exit(0)
sys.exit("no free port block")
PY
}

# isr_lab_init [DIR]: copies the seed configs into DIR (default $LAB) and
# writes its lab.conf on a free port block.  Edit the configs before isr_up.
# ISR_SEED=seed-ikev2 takes labs/seed-ikev2 instead of labs/seed.
isr_lab_init() {
	local dir=${1:-$LAB} src=$TOP/labs/${ISR_SEED:-seed}
	mkdir -p "$dir"
	cp "$src/router-a.cfg" "$src/router-b.cfg" "$dir/"
	local base
	base=$(isr_free_base) || fail "no free UDP port block"
	sed "s/^baseport .*/baseport $base/" "$src/lab.conf" >"$dir/lab.conf"
	grep -q "^baseport $base$" "$dir/lab.conf" || fail "lab.conf has no baseport line to replace"
	BASE=$base
	A_FAR=$((base + 3)) A_IN=$((base + 2)) B_FAR=$((base + 5)) B_IN=$((base + 4))
}

# isr_cfg ROUTER SED-EXPR: edits a router's config in $LAB before isr_up.
isr_cfg() {
	local f=$LAB/router-$(echo "$1" | tr AB ab).cfg
	sed -i "$2" "$f"
}

# Starts the lab; `lab down` and the sanitizer check run at exit whatever happens.
isr_up() {
	local dir=${1:-$LAB}
	on_cleanup "timeout -k 5 30 '$SPIGOT' lab down '$dir'"
	timeout -k 5 60 "$SPIGOT" lab up "$dir" >"$T/lab-up.out" 2>&1 || { cat "$T/lab-up.out" >&2; fail "lab up $dir"; }
}

# x ROUTER COMMAND...: one CLI command on a router of $LAB (bounded).
x() {
	local rt=$1
	shift
	timeout -k 5 120 "$SPIGOT" lab exec "$LAB" "$rt" "$@"
}

# conf ROUTER LINE...: configure terminal on a running router.
conf() {
	local rt=$1
	shift
	local out
	out=$(printf 'configure terminal\n%s\nend\n' "$(printf '%s\n' "$@")" |
		timeout -k 5 30 "$SPIGOT" --control "$LAB/run/$rt.sock" 2>&1)
	if printf '%s\n' "$out" | grep -q '^%'; then
		printf '%s\n' "$out" >&2
		fail "configure terminal on $rt: $*"
	fi
}

# num TEXT ERE: the first capture group of ERE in TEXT (a number), or "".
num() {
	local d=$'\001'
	printf '%s\n' "$1" | sed -nE "s${d}.*$2.*${d}\1${d}p" | head -1
}

# ping_ok TEXT: the number of replies in a ping's "Success rate" line.
ping_ok() {
	local n
	n=$(num "$1" 'Success rate is [0-9]+ percent \(([0-9]+)/[0-9]+\)')
	echo "${n:-0}"
}

# spis ROUTER: "in_esp X", "in_ah X", "out_esp X", "out_ah X" lines (hex,
# upper case, no 0x) from `show crypto ipsec sa`.
spis() {
	x "$1" show crypto ipsec sa | awk '
		/^ +inbound esp sas:/ { s = "in_esp"; next }
		/^ +inbound ah sas:/ { s = "in_ah"; next }
		/^ +outbound esp sas:/ { s = "out_esp"; next }
		/^ +outbound ah sas:/ { s = "out_ah"; next }
		/^ +(inbound|outbound) pcp sas:/ { s = ""; next }
		/^interface:/ { s = "" }
		s != "" && /^ +spi: 0x[0-9A-F]+\([0-9]+\)$/ {
			v = $2; sub(/^0x/, "", v); sub(/\(.*/, "", v); print s, v
		}'
}

# spi_of LIST KIND: the SPI of KIND (in_esp ...) in a spis listing.
spi_of() { printf '%s\n' "$1" | awk -v k="$2" '$1 == k { print $2; exit }'; }

# isr ROUTER: `show crypto isakmp invalid-spi-recovery`; ctr TEXT NAME picks a counter.
isr() { x "$1" show crypto isakmp invalid-spi-recovery; }
ctr() {
	local re
	case $2 in
	esp) re='^  ESP: ([0-9]+), AH' ;;
	ah) re='^  ESP: [0-9]+, AH: ([0-9]+)' ;;
	sent) re='INVALID_SPI notifies sent: ([0-9]+)' ;;
	send_fail) re='INVALID_SPI notifies sent: [0-9]+ \(send failures: ([0-9]+)\)' ;;
	init) re='IKE SAs initiated for recovery: ([0-9]+)' ;;
	init_fail) re='IKE SAs initiated for recovery: [0-9]+ \(failed: ([0-9]+)' ;;
	joined) re='joined a pending one: ([0-9]+)' ;;
	holddown) re='Suppressed by peer hold-down: ([0-9]+)' ;;
	notify_holddown) re='by notify hold-down: ([0-9]+)' ;;
	notify_rate) re='by per-peer notify rate: ([0-9]+)' ;;
	budget) re='Suppressed by budget: ([0-9]+)' ;;
	pending_full) re='pending table full: ([0-9]+)' ;;
	not_static) re='Ignored, source not a static peer: ([0-9]+)' ;;
	disabled) re='Dropped, no IKE SA and recovery disabled: ([0-9]+)' ;;
	received) re='^INVALID_SPI notifies received: ([0-9]+)' ;;
	acted) re='Acted on \(SAs deleted\): ([0-9]+)' ;;
	unauth) re='Ignored, unauthenticated: ([0-9]+)' ;;
	unknown_spi) re='unknown SPI: ([0-9]+)' ;;
	wrong_peer) re='wrong peer: ([0-9]+)' ;;
	*) fail "ctr: unknown counter $2" ;;
	esac
	local v
	v=$(num "$1" "$re")
	[ -n "$v" ] || { printf '%s\n' "$1" >&2; fail "counter '$2' not in the output above"; }
	echo "$v"
}

# ipsec_ctr TEXT WHAT: "#pkts encaps" etc. of the first SA block of `show crypto ipsec sa`.
ipsec_ctr() { num "$1" "#pkts $2: ([0-9]+)"; }

# up_tunnel: the seed's step 1 (10 echoes bring the SAs up); fails unless >= 9/10.
up_tunnel() {
	local out
	out=$(x A ping 10.0.2.2 source 10.0.0.1 repeat 10)
	[ "$(ping_ok "$out")" -ge 9 ] || { printf '%s\n' "$out" >&2; fail "step 1: the tunnel did not come up"; }
	wait_for 5 qm_idle A || fail "A has no QM_IDLE IKE SA"
	wait_for 5 qm_idle B || fail "B has no QM_IDLE IKE SA"
}
qm_idle() { x "$1" show crypto isakmp sa | grep -qE '^/ +10\.[0-9.]+ +10\.[0-9.]+ +QM_IDLE '; }

# isr_exited PID: the process has exited: gone, or a zombie nobody reaped yet.
isr_exited() {
	local st=
	read -r _ _ st _ <"/proc/$1/stat" 2>/dev/null || return 0
	[ "$st" = Z ]
}

# isr_stop DIR SIG NAME...: sends SIG to the lab's routers NAME... at once and
# waits (5 s at most, as `spigot lab` does) until each has exited; one that
# has loses its pid and socket files, as `spigot lab` removes them, so a
# `spigot lab down|stop|kill` after this sees it stopped.  Why: lab routers
# are daemons that PID 1 adopts, and `spigot lab` waits until kill(pid, 0)
# fails, which a zombie passes; where PID 1 reaps late (this CI container:
# ~2 s) every stop waited for that, one router after the other.
isr_stop() {
	local dir=$1 sig=$2 n pid i
	shift 2
	local -A pids=()
	for n in "$@"; do
		pid=$(cat "$dir/run/$n.pid" 2>/dev/null) || continue
		[ -n "$pid" ] && kill "-$sig" "$pid" 2>/dev/null && pids[$n]=$pid
	done
	for i in $(seq 100); do
		for n in "${!pids[@]}"; do
			isr_exited "${pids[$n]}" || continue
			rm -f "$dir/run/$n.pid" "$dir/run/$n.sock"
			unset "pids[$n]"
		done
		[ ${#pids[@]} -gt 0 ] || return 0
		sleep 0.05
	done
	return 0
}

# isr_finish: stops the lab and fails on any sanitizer report in the routers' logs.
isr_finish() {
	local dir=${1:-$LAB} f names=()
	for f in "$dir"/run/*.pid; do
		[ -e "$f" ] && names+=("$(basename "$f" .pid)")
	done
	[ ${#names[@]} -eq 0 ] || isr_stop "$dir" TERM "${names[@]}"
	timeout -k 5 30 "$SPIGOT" lab down "$dir" >/dev/null 2>&1
	for f in "$dir"/run/*.log; do
		[ -e "$f" ] || continue
		if grep -qE 'ERROR: AddressSanitizer|runtime error:|LeakSanitizer' "$f"; then
			grep -nE -A30 'ERROR: AddressSanitizer|runtime error:|LeakSanitizer' "$f" | head -60 >&2
			fail "sanitizer report in $f"
		fi
	done
}
