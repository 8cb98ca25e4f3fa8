# Helpers for scripted tests.  Source it:  . "$TOP/tests/lib.sh"
# Provides a private temp dir ($T), router start/stop, CLI calls, and cleanup.
set -u
: "${TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${SPIGOTD:=$TOP/build/asan/spigotd}"
: "${SPIGOT:=$TOP/build/asan/spigot}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=23}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

T=$(mktemp -d /tmp/spigot-test.XXXXXX)
_pids=()
_cleanups=()

t_cleanup() {
	local c
	for c in "${_cleanups[@]}"; do eval "$c" >/dev/null 2>&1 || true; done
	local p
	for p in "${_pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${_pids[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null || true
	done
	if [ -z "${KEEP:-}" ]; then rm -rf "$T"; else echo "kept $T" >&2; fi
}
trap t_cleanup EXIT

# Registers a shell command to run at cleanup (e.g. deleting a netns).
on_cleanup() { _cleanups+=("$1"); }

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }
note() { echo "  $*" >&2; }

# A free UDP port on loopback, well away from the ephemeral range collisions.
free_port() {
	/usr/bin/python3 - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
PY
}

# router_start NAME CONFIG [--port IF=SPEC ...]   -> control socket at $T/NAME.sock
# The router's stderr goes to $T/NAME.log: with --debug-log it carries every
# line, whatever the config's `logging console` says (the seeds say no).
router_start() {
	local name=$1 cfg=$2
	shift 2
	"$SPIGOTD" --debug-log --config "$cfg" --control "$T/$name.sock" "$@" >"$T/$name.log" 2>&1 &
	local pid=$!
	_pids+=("$pid")
	eval "PID_${name//[^A-Za-z0-9_]/_}=$pid"
	local i
	for i in $(seq 100); do
		[ -S "$T/$name.sock" ] && return 0
		kill -0 "$pid" 2>/dev/null || { cat "$T/$name.log" >&2; fail "router $name exited at start"; }
		sleep 0.05
	done
	cat "$T/$name.log" >&2
	fail "router $name: no control socket after 5 s"
}

# router_stop NAME: SIGTERM and wait; fails if the sanitizer complained.
router_stop() {
	local name=$1 var="PID_${1//[^A-Za-z0-9_]/_}"
	local pid=${!var}
	kill "$pid" 2>/dev/null || true
	local rc=0
	wait "$pid" 2>/dev/null || rc=$?
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T/$name.log"; then
		cat "$T/$name.log" >&2
		fail "router $name: sanitizer report"
	fi
	return 0
}

# cli NAME COMMAND...  runs one command on router NAME and prints its output.
cli() {
	local name=$1
	shift
	"$SPIGOT" --control "$T/$name.sock" "$@"
}

# expect_in TEXT PATTERN MESSAGE: grep -E PATTERN in TEXT or fail.
expect_in() {
	printf '%s\n' "$1" | grep -qE -- "$2" || { printf '%s\n' "$1" >&2; fail "$3"; }
}
expect_not_in() {
	if printf '%s\n' "$1" | grep -qE -- "$2"; then printf '%s\n' "$1" >&2; fail "$3"; fi
}

# wait_for SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds.
wait_for() {
	local secs=$1
	shift
	local end=$((SECONDS + secs))
	while [ $SECONDS -le $end ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

need_root() { [ "$(id -u)" = 0 ] || skip "needs root"; }
need_cmd() { command -v "$1" >/dev/null 2>&1 || skip "needs $1"; }
