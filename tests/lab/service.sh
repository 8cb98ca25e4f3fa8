#!/usr/bin/env bash
# spigotd as systemd runs it (spigotd@.service), without systemd: a ports
# file, sd_notify READY/RELOADING/STOPPING to an abstract $NOTIFY_SOCKET,
# SIGHUP reloads (a good file applies, a bad one applies nothing and logs
# FILE:LINE), write memory replaces the file atomically keeping FILE.bak,
# SIGTERM exits 0, and journal mode prefixes <severity>.
. "${TOP:-$(dirname "$0")/../..}/tests/lib.sh"

p1=$(free_port)
p2=$(free_port)
cp "$TOP/labs/seed/router-a.cfg" "$T/a.cfg"
chmod 0640 "$T/a.cfg"
cat >"$T/a.ports" <<PORTS
# A's link, as /etc/spigot/NAME.ports holds it
FastEthernet0/0=udp:$p1:127.0.0.1:$p2   # trailing comment

PORTS

# A datagram listener standing in for systemd's notify socket.
sock="@spigot-notify-$$-$RANDOM"
/usr/bin/python3 - "$sock" "$T/notify.log" <<'PY' &
import socket, sys, time
name, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + name[1:])
s.settimeout(0.5)
end = time.time() + 60
with open(out, "a") as f:
    while time.time() < end:
        try:
            m = s.recv(4096).decode()
        except socket.timeout:
            continue
        f.write(m.replace("\n", " ") + "\n")
        f.flush()
PY
_pids+=($!)
touch "$T/notify.log"
sleep 0.3

NOTIFY_SOCKET=$sock router_start a "$T/a.cfg" --ports-file "$T/a.ports"
wait_for 5 grep -q '^READY=1' "$T/notify.log" || fail "no READY=1 on \$NOTIFY_SOCKET"
expect_in "$(cat "$T/notify.log")" '^READY=1 STATUS=router ipseca-71a running' "READY carries a STATUS"
out=$(cli a show ip interface brief)
expect_in "$out" "^FastEthernet0/0 +10.1.1.1 +YES +[A-Za-z]+ +up +up" "the ports file bound Fa0/0"

# SIGHUP with a good file: applied, logged, RELOADING then READY.
sed -i 's/^hostname .*/hostname reloaded-a/' "$T/a.cfg"
kill -HUP "$PID_a"
wait_for 5 grep -q 'SYS-5-CONFIG_I' "$T/a.log" || fail "no %SYS-5-CONFIG_I after SIGHUP"
expect_in "$(cli a show running-config)" '^hostname reloaded-a$' "SIGHUP applied the new hostname"
wait_for 5 test "$(grep -c '^READY=1' "$T/notify.log")" = 2 || fail "no second READY=1 after the reload"
expect_in "$(cat "$T/notify.log")" '^RELOADING=1 MONOTONIC_USEC=[0-9]+$' "RELOADING=1 with MONOTONIC_USEC"

# SIGHUP with a bad file: a good change above a bad line; nothing applies.
before=$(cli a show running-config)
sed -i 's/^hostname .*/hostname must-not-apply/' "$T/a.cfg"
badline=$(($(grep -n '^crypto isakmp policy' "$T/a.cfg" | head -1 | cut -d: -f1) + 1))
sed -i "${badline}i\\ encr bogus-cipher" "$T/a.cfg"
cp "$T/a.cfg" "$T/bad.cfg"
kill -HUP "$PID_a"
wait_for 5 grep -q 'PARSER-3-BADCFG' "$T/a.log" || fail "no %PARSER-3-BADCFG after a bad SIGHUP"
expect_in "$(cat "$T/a.log")" "%PARSER-3-BADCFG: $T/a.cfg:$badline: % Invalid input detected at '\\^' marker. \\(encr bogus-cipher\\) Reload ignored, nothing applied." "the error names FILE:LINE and the line"
[ "$(cli a show running-config)" = "$before" ] || fail "a bad file changed the running-config"
kill -0 "$PID_a" || fail "the router died on a bad reload"

# write memory: the file becomes the running-config, the bad file is kept
# as .bak, the mode stays, no temporary file is left.
run=$(cli a show running-config)
out=$(cli a write memory) || fail "write memory failed: $out"
[ "$(cat "$T/a.cfg")" = "$run" ] || fail "the saved file is not the running-config"
cmp -s "$T/a.cfg.bak" "$T/bad.cfg" || fail "the previous version was not kept as a.cfg.bak"
[ "$(stat -c %a "$T/a.cfg")" = 640 ] || fail "write memory changed the file's mode to $(stat -c %a "$T/a.cfg")"
ls "$T" | grep -q 'tmp' && fail "write memory left a temporary file"
cp "$T/a.cfg" "$T/first-save.cfg"
cli a configure terminal ';' hostname second-save ';' end >/dev/null || fail "conf t"
out=$(cli a copy running-config startup-config) || fail "copy run start: $out"
cmp -s "$T/a.cfg.bak" "$T/first-save.cfg" || fail ".bak is not the first save after the second"
expect_in "$(cat "$T/a.cfg")" '^hostname second-save$' "the second save"

# SIGTERM: STOPPING=1, exit status 0.
kill -TERM "$PID_a"
rc=0
wait "$PID_a" || rc=$?
[ "$rc" = 0 ] || fail "spigotd exited $rc on SIGTERM"
wait_for 5 grep -q '^STOPPING=1' "$T/notify.log" || fail "no STOPPING=1"
router_stop a

# Journal mode: detected from JOURNAL_STREAM when it names our stderr.
: >"$T/j.log"
js=$(stat -c '%d:%i' "$T/j.log")
JOURNAL_STREAM=$js router_start j "$T/a.cfg" --port "FastEthernet0/0=udp:$p1:127.0.0.1:$p2"
wait_for 5 grep -q 'RESTART' "$T/j.log" || fail "no restart line"
expect_in "$(cat "$T/j.log")" '^<5>%SYS-5-RESTART: System restarted' "journal line: <5> + the IOS message, no timestamp"
expect_in "$(cat "$T/j.log")" '^<5>%LINEPROTO-5-UPDOWN: ' "LINEPROTO at priority 5"
router_stop j
# ...and not when JOURNAL_STREAM names another file (stderr redirected).
JOURNAL_STREAM=$js router_start k "$T/a.cfg" --port "FastEthernet0/0=udp:$p1:127.0.0.1:$p2"
wait_for 5 grep -q 'RESTART' "$T/k.log" || fail "no restart line"
expect_not_in "$(cat "$T/k.log")" '^<[0-7]>' "journal prefixes on a stderr that is not the journal"
router_stop k

# A malformed ports file is refused with its line number, exit 2.
printf 'FastEthernet0/0 udp:1:127.0.0.1:2\n' >"$T/bad.ports"
rc=0
"$SPIGOTD" --config "$T/a.cfg" --ports-file "$T/bad.ports" >"$T/badports.out" 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "a bad ports file exited $rc, not 2"
expect_in "$(cat "$T/badports.out")" "bad.ports:1: expected IFNAME=SPEC" "ports file error with its line"
exit 0
