#!/usr/bin/env bash
# The console and the timestamps as a network engineer checks them on one
# router (the seed's A, spigotd started by hand so its stderr is the console,
# no --debug-log):
#  - `logging console warnings`: an informational line (%IP-6-NOROUTE from a
#    ping to nowhere) stays off the console, a warning (%IP-4-BADPKT, a
#    packet with a bad header checksum) is on it; `show logging` says
#    "Console logging: level warnings, N messages logged" with N the lines the
#    console got; `logging console notifications` lets notices through and
#    `no logging console` silences it ("Console logging: disabled");
#  - `service timestamps log uptime`, `... datetime msec year show-timezone`
#    and `no service timestamps log` change the stamp of the next line in the
#    buffer and in the syslog datagram alike (an interface shutdown logs one);
#  - `logging source-interface FastEthernet0/1` sources the syslog datagrams
#    from 10.0.0.1 although they leave by FastEthernet0/0 (10.1.1.1);
#  - running-config renders all of it;
#  - under systemd (journal on stderr) the same level filters the journal.
. "${TOP:-$(dirname "$0")/../..}/tests/lib.sh"
PY=/usr/bin/python3

p1=$(free_port); p2=$(free_port); p3=$(free_port); p4=$(free_port)
sed -e 's/^no logging console$/logging console warnings/' \
	-e '/^hostname/a logging host 10.1.1.2\nlogging source-interface FastEthernet0/1' \
	"$TOP/labs/seed/router-a.cfg" >"$T/a.cfg"
grep -qx 'logging console warnings' "$T/a.cfg" || fail "the seed has no 'no logging console' line to change"

OUT=$T/syslog.jsonl
$PY "$TOP/tests/lab/syslog-collector.py" --far "$p2" --out "$OUT" --seconds 60 &
_pids+=($!)
on_cleanup "touch '$OUT.stop'"

# Started by hand: stderr ($T/a.log) is the console, as under a terminal.
"$SPIGOTD" --config "$T/a.cfg" --control "$T/a.sock" \
	--port "FastEthernet0/0=udp:$p1:127.0.0.1:$p2" --port "FastEthernet0/1=udp:$p3:127.0.0.1:$p4" \
	>"$T/a.log" 2>&1 </dev/null &
PID_a=$!
_pids+=("$PID_a")
wait_for 5 test -S "$T/a.sock" || { cat "$T/a.log" >&2; fail "no control socket"; }
wait_for 5 grep -q 'SYS-5-RESTART' <(cli a show logging) || fail "no %SYS-5-RESTART in the buffer"

# Informational: a ping to an address A has no route to.
cli a ping 192.0.2.1 repeat 1 timeout 1 >/dev/null
# Warning: an IPv4 packet with a bad header checksum on FastEthernet0/1.
$PY - "$p4" "$p3" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.sendto(bytes([0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0xde, 0xad, 10, 0, 0, 9, 10, 0, 0, 1]) + bytes(8),
         ("127.0.0.1", int(sys.argv[2])))
PY
wait_for 5 grep -q '%IP-4-BADPKT' "$T/a.log" || { cat "$T/a.log" >&2; fail "the warning is not on the console"; }
buf=$(cli a show logging)
expect_in "$buf" '%IP-6-NOROUTE: No route to 192\.0\.2\.1' "the informational line is not in the buffer"
con=$(grep '%' "$T/a.log" | grep -v '% Not supported')
expect_not_in "$con" '%[A-Z_]+-[5-7]-' "logging console warnings let a notice/informational line through"
expect_in "$con" '^ipseca-71a \*?[A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8}\.[0-9]{3}: %IP-4-BADPKT: ' "console line format"
n=$(grep -c '%[A-Z_]*-[0-4]-' <<<"$con")
expect_in "$buf" "^    Console logging: level warnings, $n messages logged, xml disabled$" "show logging: console level and count ($n lines on the console)"
note "console: $n lines; buffer: $(grep -c '%' <<<"$buf") lines"

# Timestamps: each change stamps the next line (Serial1/0 going up or down).
ser() { cli a configure terminal ';' "$@" ';' interface Serial1/0 ';' "$1" ';' end >/dev/null ||
	fail "conf t $*"; }
last_link() { cli a show logging | grep 'LINK-5-UPDOWN: Interface Serial1/0' | tail -1; }
sent_link() { grep 'LINK-5-UPDOWN: Interface Serial1/0' "$OUT" | tail -1; }
cli a configure terminal ';' service timestamps log uptime ';' interface Serial1/0 ';' no shutdown ';' end >/dev/null
l=$(last_link)
[[ $l =~ ^[0-9]{2}:[0-9]{2}:[0-9]{2}:\ %LINK-5-UPDOWN:\ Interface\ Serial1/0,\ changed\ state\ to\ up$ ]] ||
	fail "service timestamps log uptime: buffer line '$l'"
wait_for 5 grep -q 'Serial1/0, changed state to up' "$OUT" || { cat "$OUT" >&2; fail "no syslog datagram for Serial1/0 up"; }
s=$(sent_link)
expect_in "$s" '"payload": "<189>[0-9]+: [0-9]{2}:[0-9]{2}:[0-9]{2}: %LINK-5-UPDOWN: Interface Serial1/0, changed state to up"' "syslog with an uptime stamp"
expect_in "$s" '"src": "10\.0\.0\.1", "dst": "10\.1\.1\.2", "sport": 514, "dport": 514' "syslog sourced from the source-interface (FastEthernet0/1), not the egress"

cli a configure terminal ';' service timestamps log datetime msec year show-timezone ';' interface Serial1/0 ';' shutdown ';' end >/dev/null
l=$(last_link)
[[ $l =~ ^\*?[A-Z][a-z]{2}\ [\ 0-9]{2}\ 20[0-9]{2}\ [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}\ UTC:\ %LINK-5-UPDOWN:\ Interface\ Serial1/0,\ changed\ state\ to\ administratively\ down$ ]] ||
	fail "datetime msec year show-timezone: buffer line '$l'"

cli a configure terminal ';' no service timestamps log ';' interface Serial1/0 ';' no shutdown ';' end >/dev/null
l=$(last_link)
[ "$l" = "%LINK-5-UPDOWN: Interface Serial1/0, changed state to up" ] || fail "no service timestamps log: buffer line '$l'"
wait_for 5 test "$(grep -c 'Serial1/0, changed state to up' "$OUT")" = 2 || fail "no second syslog datagram"
expect_in "$(sent_link)" '"payload": "<189>[0-9]+: %LINK-5-UPDOWN: Interface Serial1/0, changed state to up"' "syslog without a stamp"
expect_not_in "$(cat "$T/a.log")" 'Serial1/0' "notices reached the console at level warnings"

run=$(cli a show running-config)
expect_in "$run" '^no service timestamps log$' "running-config: no service timestamps log"
expect_in "$run" '^service timestamps debug datetime msec localtime$' "running-config: the seed's debug stamp"
expect_in "$run" '^logging console warnings$' "running-config: logging console warnings"

# logging console notifications: the next notice is on the console...
cli a configure terminal ';' logging console notifications ';' interface Serial1/0 ';' shutdown ';' end >/dev/null
wait_for 5 grep -q 'Serial1/0, changed state to administratively down' "$T/a.log" ||
	fail "logging console notifications: the notice is not on the console"
# ...and `no logging console` keeps everything off it.
cli a configure terminal ';' no logging console ';' interface Serial1/0 ';' no shutdown ';' end >/dev/null
[ "$(last_link)" = "%LINK-5-UPDOWN: Interface Serial1/0, changed state to up" ] || fail "no line logged"
expect_not_in "$(cat "$T/a.log")" 'Serial1/0, changed state to up' "no logging console: a line reached the console"
out=$(cli a show logging)
expect_in "$out" '^    Console logging: disabled$' "show logging: console disabled"
expect_in "$(cli a show running-config)" '^no logging console$' "running-config: no logging console"
router_stop a

# Under systemd the journal is the console: the same filter applies to the
# "<SEV>" lines (JOURNAL_STREAM names stderr, as systemd sets it).
sed 's/^no logging console$/logging console errors/' "$TOP/labs/seed/router-a.cfg" >"$T/j.cfg"
: >"$T/j.log"
JOURNAL_STREAM=$(stat -c '%d:%i' "$T/j.log") "$SPIGOTD" --config "$T/j.cfg" --control "$T/j.sock" \
	--port "FastEthernet0/0=udp:$p1:127.0.0.1:$p2" >>"$T/j.log" 2>&1 </dev/null &
PID_j=$!
_pids+=("$PID_j")
wait_for 5 test -S "$T/j.sock" || { cat "$T/j.log" >&2; fail "journal router: no control socket"; }
wait_for 5 grep -q 'SYS-5-RESTART' <(cli j show logging) || fail "journal router: no restart"
router_stop j
expect_in "$(cat "$T/j.log")" '^<3>%LINK-3-UPDOWN: Interface FastEthernet0/0, changed state to up$' "journal: an error line at <3>"
expect_not_in "$(cat "$T/j.log")" '^<[4-7]>' "journal: logging console errors let a lower severity through"
exit 0
