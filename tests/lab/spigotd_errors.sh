#!/usr/bin/env bash
# spigotd refuses what it cannot run with an IOS-style message and a non-zero
# exit, and leaves nothing behind: the sanitizer build's leak checker runs at
# every one of these exits (a config that cannot be opened used to leak its
# error message).
. "${TOP:-$(dirname "$0")/../..}/tests/lib.sh"

# run_bad WANT_RC WANT_TEXT ARGS...: spigotd must exit WANT_RC, say WANT_TEXT
# on stderr, and the sanitizers must stay quiet.
run_bad() {
	local want_rc=$1 want=$2 rc=0
	shift 2
	timeout 10 "$SPIGOTD" "$@" >"$T/out" 2>&1 || rc=$?
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T/out"; then
		cat "$T/out" >&2
		fail "spigotd $*: sanitizer report"
	fi
	[ "$rc" = "$want_rc" ] || { cat "$T/out" >&2; fail "spigotd $*: exit $rc, want $want_rc"; }
	grep -qF -- "$want" "$T/out" || { cat "$T/out" >&2; fail "spigotd $*: no '$want'"; }
}

run_bad 1 "$T/none.cfg: % Cannot open the configuration: No such file or directory" \
	--config "$T/none.cfg" --control "$T/a.sock"
mkdir "$T/dir.cfg"
run_bad 1 "$T/dir.cfg: % Cannot read the configuration" --config "$T/dir.cfg" --control "$T/a.sock"

printf 'hostname r1\ninterface FastEthernet0/0\n ip address 10.1.1.300 255.0.0.0\n' >"$T/bad.cfg"
run_bad 1 "% Invalid input detected at '^' marker." --config "$T/bad.cfg" --control "$T/a.sock"

cp "$TOP/tests/unit/data/router-a.cfg" "$T/a.cfg"
run_bad 2 "spigotd: --port Ethernet9/9: no such interface in $T/a.cfg" \
	--config "$T/a.cfg" --control "$T/a.sock" --port Ethernet9/9=udp:1:127.0.0.1:2
run_bad 2 "spigotd: --port FastEthernet0/0: expected IFNAME=SPEC" \
	--config "$T/a.cfg" --control "$T/a.sock" --port FastEthernet0/0
# A port that cannot open, a control socket that cannot be made: the router
# was built, and is freed again.
run_bad 1 "spigotd: cannot start the router" \
	--config "$T/a.cfg" --control "$T/a.sock" --port FastEthernet0/0=udp:notaport:127.0.0.1:1
# packet:IFNAME takes one option, :noring; anything else is refused before a socket opens.
run_bad 1 "port packet:lo:ring: expected packet:IFNAME[:noring]" \
	--config "$T/a.cfg" --control "$T/a.sock" --port FastEthernet0/0=packet:lo:ring
run_bad 1 "spigotd: cannot open control socket $T/nodir/a.sock" \
	--config "$T/a.cfg" --control "$T/nodir/a.sock"
[ ! -e "$T/a.sock" ] || fail "a refused start left a control socket"
exit 0
