#!/usr/bin/env bash
# `spigot lab exec DIR ROUTER` is `spigot --control` on that router's socket:
# several commands split by ";" words, commands from standard input when none
# is given (one session, so `configure terminal` carries over lines), a
# non-zero exit when a command fails; and one usage text, a line per form.
. "${TOP:-$(dirname "$0")/../..}/tests/lib.sh"

# The usage: every form on its own line, nothing run together.
out=$("$SPIGOT" --help) || fail "spigot --help exited non-zero"
expect_in "$out" '^usage: spigot \[--json\] --control SOCKET \[COMMAND \[; COMMAND\]\.\.\.\]$' "usage: --control form"
expect_in "$out" '^       spigot lab exec DIR ROUTER \[--json\] \[COMMAND \[; COMMAND\]\.\.\.\]$' "usage: lab exec form"
expect_not_in "$out" '[a-z.]usage:' "usage: two lines run together"
rc=0
lout=$("$SPIGOT" lab 2>&1) || rc=$?
[ "$rc" = 2 ] || fail "spigot lab without a verb exited $rc, want 2"
[ "$lout" = "$out" ] || { printf '%s\n' "$lout" >&2; fail "spigot lab prints another usage text"; }

lab=$T/lab
mkdir -p "$lab"
cp "$TOP/tests/unit/data/router-a.cfg" "$lab/a.cfg"
base=$(/usr/bin/python3 -c 'import random; print(random.randrange(46000, 48000, 8))')
printf 'baseport %s\nrouter A a.cfg\nstub A:FastEthernet0/1\n' "$base" >"$lab/lab.conf"
on_cleanup "'$SPIGOT' lab down '$lab'"

rc=0
"$SPIGOT" lab exec "$lab" A show clock </dev/null >/dev/null 2>"$T/err" || rc=$?
[ "$rc" = 1 ] && grep -q "A is not running" "$T/err" || fail "exec on a stopped router: rc=$rc $(cat "$T/err")"

"$SPIGOT" lab up "$lab" >"$T/up.out" 2>&1 || { cat "$T/up.out" >&2; fail "lab up"; }

# ";"-separated commands, in order, as with --control.
out=$("$SPIGOT" lab exec "$lab" A show running-config '|' include '^hostname' ';' show version) ||
	fail "exec with ';' failed: $out"
expect_in "$out" '^hostname ipseca-71a$' "first of the ';' commands"
expect_in "$out" '^ipseca-71a uptime is ' "second of the ';' commands"
[ "$(printf '%s\n' "$out" | head -1)" = "hostname ipseca-71a" ] || fail "';' commands out of order"
want=$("$SPIGOT" --control "$lab/run/A.sock" show running-config '|' include '^hostname' ';' show clock '|' count .)
got=$("$SPIGOT" lab exec "$lab" A show running-config '|' include '^hostname' ';' show clock '|' count .)
[ "$got" = "$want" ] || fail "lab exec and --control differ: '$got' vs '$want'"
# A failing command stops the list and the exit says so.
rc=0
out=$("$SPIGOT" lab exec "$lab" A show bogus ';' show version 2>&1) || rc=$?
[ "$rc" != 0 ] || fail "a failed ';' command exited 0"
expect_not_in "$out" 'uptime is' "commands after a failed one ran"

# No command: lines from standard input, one session.
out=$(printf '%s\n' 'configure terminal' 'hostname lab-exec-stdin' 'end' 'show running-config | include ^hostname' |
	"$SPIGOT" lab exec "$lab" A) || fail "exec from stdin failed: $out"
expect_in "$out" '^hostname lab-exec-stdin$' "conf t from stdin carried over lines"
[ "$("$SPIGOT" lab exec "$lab" A show running-config '|' include '^hostname')" = "hostname lab-exec-stdin" ] ||
	fail "the stdin session's change did not stick"
rc=0
printf '%s\n' 'show clock' 'show bogus' | "$SPIGOT" lab exec "$lab" A >/dev/null 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "a failed command from stdin exited 0"

"$SPIGOT" lab down "$lab" >/dev/null
if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$lab/run/A.log"; then
	cat "$lab/run/A.log" >&2
	fail "A: sanitizer report"
fi
exit 0
