#!/usr/bin/env bash
# The CLI against a live router: show version, a piped `configure terminal`
# session, `no` forms, `?` help, filters, debug, write memory + reload, IOS
# errors with the caret, and the control socket's permissions.
. "${TOP:-$(dirname "$0")/../..}/tests/lib.sh"

cp "$TOP/tests/unit/data/router-a.cfg" "$T/a.cfg"
router_start a "$T/a.cfg"

# The control socket is the router's console: owner only.
mode=$(stat -c %a "$T/a.sock")
[ "$mode" = 600 ] || fail "control socket mode is $mode, want 600"

out=$(cli a show version) || fail "show version failed"
expect_in "$out" '^Cisco IOS Software, spigot Software .*Version ' "show version: no banner"
expect_in "$out" '^ipseca-71a uptime is [0-9]+ minutes?' "show version: no uptime line"
expect_in "$out" 'processor with [0-9]+K bytes of memory\.$' "show version: no memory line"
expect_in "$out" '^2 FastEthernet interfaces$' "show version: FastEthernet count"
expect_in "$out" '^4 Serial interfaces$' "show version: Serial count"
expect_in "$out" '^Configuration register is 0x2102$' "show version: config register"
expect_in "$out" 'OpenSSL 3' "show version: OpenSSL version"

# Abbreviations and a filter, evaluated by the router.
out=$(cli a sh run '|' inc '^hostname') || fail "sh run | inc failed"
[ "$out" = "hostname ipseca-71a" ] || fail "sh run | include ^hostname gave: $out"
out=$(cli a show running-config '|' count '^interface')
expect_in "$out" '^Number of lines which match regexp = 6$' "| count"

# One piped session: conf t carries over lines, the prompt modes follow.
out=$(printf '%s\n' 'configure terminal' 'interface fa0/1' ' ip address 172.16.1.1 255.255.255.0' \
	' description lab uplink' ' shutdown' ' ip mtu 1400' 'exit' 'interface Loopback0' \
	' ip address 192.168.255.1 255.255.255.255' 'end' | "$SPIGOT" --control "$T/a.sock") ||
	fail "piped config session failed: $out"
expect_in "$out" 'Enter configuration commands, one per line\.  End with CNTL/Z\.' "conf t banner"
run=$(cli a show running-config)
expect_in "$run" 'Current configuration : [0-9]+ bytes' "running-config header"
blk=$(printf '%s\n' "$run" | sed -n '/^interface FastEthernet0\/1$/,/^!$/p')
want=$(printf '%s\n' 'interface FastEthernet0/1' ' description lab uplink' \
	' ip address 172.16.1.1 255.255.255.0' ' ip mtu 1400' ' no ip route-cache cef' ' shutdown' \
	' duplex auto' ' speed auto' '!')
[ "$blk" = "$want" ] || { printf 'got:\n%s\nwant:\n%s\n' "$blk" "$want" >&2; fail "FastEthernet0/1 block"; }
# a new interface lands after the last one, before "ip classless"
printf '%s\n' "$run" | grep -A3 '^interface Loopback0$' | grep -q '^ip classless$' ||
	fail "Loopback0 not placed after the other interfaces"

# The no forms undo it.
printf '%s\n' 'conf t' 'int fa0/1' 'no shutdown' 'no description' 'no ip mtu' 'exit' \
	'no interface Loopback0' 'end' | "$SPIGOT" --control "$T/a.sock" >/dev/null || fail "no forms failed"
run=$(cli a show running-config)
blk=$(printf '%s\n' "$run" | sed -n '/^interface FastEthernet0\/1$/,/^!$/p')
expect_not_in "$blk" 'shutdown|description|mtu' "no forms left lines behind"
expect_in "$blk" '^ ip address 172\.16\.1\.1 255\.255\.255\.0$' "no forms removed the address"
expect_not_in "$run" 'Loopback0' "no interface Loopback0"

# ? help, IOS layout: keyword column, help text, <cr> where the command may end.
out=$(cli a 'show ?')
expect_in "$out" '^  running-config +Current operating configuration$' "show ? lists running-config"
expect_in "$out" '^  version +System hardware and software status$' "show ? lists version"
out=$(printf '%s\n' 'conf t' 'crypto isakmp ?' 'logging buffered ?' | "$SPIGOT" --control "$T/a.sock")
expect_in "$out" '^  invalid-spi-recovery +Initiate IKE and send Invalid SPI Notify$' "crypto isakmp ? help"
expect_in "$out" '^  policy +Set policy for an ISAKMP protection suite$' "crypto isakmp ? policy"
expect_in "$out" '^  <4096-2147483647> +Logging buffer size$' "logging buffered ? range"
expect_in "$out" '^  <cr>$' "logging buffered ? <cr>"

# Invalid input: the caret under the offending character, a non-zero exit.
rc=0
out=$(cli a show runnning-config) || rc=$?
[ $rc != 0 ] || fail "an invalid command exited 0"
want=$(printf '%s\n' 'show runnning-config' '         ^' "% Invalid input detected at '^' marker.")
[ "$(printf '%s\n' "$out" | head -3)" = "$want" ] || { printf '%s\n' "$out" >&2; fail "caret error layout"; }
rc=0
out=$(cli a show) || rc=$?
[ $rc != 0 ] && [ "$out" = "% Incomplete command." ] || fail "incomplete: rc=$rc out=$out"
rc=0
out=$(cli a c) || rc=$?
[ $rc != 0 ] && [ "$out" = '% Ambiguous command:  "c"' ] || fail "ambiguous: rc=$rc out=$out"
# a failed config line changes nothing
before=$(cli a show running-config)
rc=0
printf '%s\n' 'conf t' 'interface fa0/0' 'ip address 10.1.1.300 255.0.0.0' 'end' |
	"$SPIGOT" --control "$T/a.sock" >/dev/null || rc=$?
[ $rc != 0 ] || fail "a piped session with a bad line exited 0"
[ "$(cli a show running-config)" = "$before" ] || fail "a bad line changed the config"

# debug flags
out=$(cli a debug crypto isakmp)
[ "$out" = "Crypto ISAKMP debugging is on" ] || fail "debug crypto isakmp: $out"
out=$(cli a show debugging)
expect_in "$out" '^  Crypto ISAKMP debugging is on$' "show debugging"
out=$(cli a undebug all)
[ "$out" = "All possible debugging has been turned off" ] || fail "undebug all: $out"
[ -z "$(cli a show debugging)" ] || fail "debugging still on after undebug all"

# the log buffer, the clock, terminal settings
out=$(cli a show logging)
expect_in "$out" '%SYS-5-RESTART: System restarted' "show logging lacks the restart message"
cli a clear logging >/dev/null || fail "clear logging failed"
expect_not_in "$(cli a show logging)" 'RESTART' "clear logging left the buffer"
expect_in "$(cli a show clock)" '^\*[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} [A-Z]+ [A-Z][a-z]{2} [A-Z][a-z]{2} +[0-9]+ [0-9]{4}$' "show clock"
cli a terminal length 0 >/dev/null || fail "terminal length 0"
out=$(printf '%s\n' 'show clock' 'show history' | "$SPIGOT" --control "$T/a.sock")
expect_in "$out" '^  show clock$' "show history"

# write memory writes the file; the router reloads it identically.
run=$(cli a show running-config)
out=$(cli a write memory) || fail "write memory failed"
[ "$out" = "$(printf 'Building configuration...\n[OK]')" ] || fail "write memory said: $out"
[ "$(cat "$T/a.cfg")" = "$run" ] || fail "the saved file is not the running-config"
[ "$(cli a show startup-config)" = "$run" ] || fail "show startup-config differs"
ls "$T" | grep -q 'tmp' && fail "write memory left a temp file"
router_stop a
router_start a2 "$T/a.cfg"
[ "$(cli a2 show running-config)" = "$run" ] || fail "the saved config does not reload identically"
out=$(cli a2 copy running-config startup-config) || fail "copy run start failed"
expect_in "$out" '^\[OK\]$' "copy running-config startup-config"
router_stop a2
exit 0
