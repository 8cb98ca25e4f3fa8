#!/usr/bin/env bash
# `logging host` as a network engineer checks it: router B of the seed lab
# sends its log to a collector on its inside LAN (the far end of Ethernet1/1,
# tests/lab/syslog-collector.py), from its source-interface address, to UDP
# 514, in IOS's BSD syslog format; after the seed's recovery scenario the
# collector has B's %CRYPTO-4-RECVD_PKT_INV_SPI line with PRI <188> (local7,
# warnings), `logging trap warnings` kept informational lines off the wire,
# and `show logging` counts what was sent.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/isr-lib.bash"

isr_lab_init
isr_cfg B '/^hostname/a logging host 10.0.2.50\nlogging trap warnings\nlogging source-interface Ethernet1/1'
OUT=$T/syslog.jsonl
$PY "$TOP/tests/lab/syslog-collector.py" --far "$B_FAR" --out "$OUT" --seconds 120 &
on_cleanup "touch '$OUT.stop'"
isr_up

out=$(x B show running-config)
expect_in "$out" '^logging trap warnings$' "running-config lacks logging trap"
expect_in "$out" '^logging source-interface Ethernet1/1$' "running-config lacks logging source-interface"
expect_in "$out" '^logging host 10\.0\.2\.50$' "running-config lacks logging host"

# The seed's scenario: tunnel up, B forgets its SAs, A's next packets hit dead SPIs.
up_tunnel
x B clear crypto isakmp >/dev/null
x B clear crypto sa >/dev/null
out=$(x A ping 10.0.2.2 source 10.0.0.1 repeat 10)
[ "$(ping_ok "$out")" -ge 8 ] || { printf '%s\n' "$out" >&2; fail "no recovery"; }

for _ in $(seq 50); do grep -q RECVD_PKT_INV_SPI "$OUT" 2>/dev/null && break; sleep 0.1; done
touch "$OUT.stop"
line=$(grep -m1 RECVD_PKT_INV_SPI "$OUT") || { cat "$OUT" >&2; fail "the collector got no RECVD_PKT_INV_SPI"; }
note "collector: $line"
read -r src sport dst dport payload < <($PY -c '
import json, sys
m = json.loads(sys.argv[1])
print(m["src"], m["sport"], m["dst"], m["dport"], m["payload"])' "$line")
[ "$src" = 10.0.2.2 ] || fail "syslog sourced from $src, not Ethernet1/1's 10.0.2.2"
[ "$dst" = 10.0.2.50 ] && [ "$dport" = 514 ] || fail "syslog sent to $dst:$dport, not 10.0.2.50:514"
# <188> = local7 (23) * 8 + warnings (4); then IOS's sequence number and timestamp.
re='^<188>[0-9]+: \*[A-Z][a-z]{2} +[0-9]+ [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}: %CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec.d IPSEC packet has invalid spi for destaddr=10\.2\.2\.2, prot=(50|51), spi=0x[0-9A-F]+\([0-9]+\), srcaddr=10\.1\.1\.1$'
[[ $payload =~ $re ]] || fail "not IOS's syslog format: $payload"
# The same line, with the same timestamp, is in B's buffer.
body=${payload#*>}
body=${body#*: }
x B show logging | grep -qxF -- "$body" || fail "the syslog line is not in show logging: $body"

# logging trap warnings: nothing of severity 5..7 went out.
if grep -qE '"payload": "<(189|19[01])>' "$OUT"; then
	cat "$OUT" >&2
	fail "messages above the trap level reached the collector"
fi
n=$(wc -l <"$OUT")
out=$(x B show logging)
expect_in "$out" '^    Trap logging: level warnings, [0-9]+ message lines logged$' "show logging: trap level"
expect_in "$out" '^        Logging to 10\.0\.2\.50  \(udp port 514, audit disabled,$' "show logging: no host block"
logged=$(num "$out" '^ +([0-9]+) message lines logged')
[ "$logged" -ge "$n" ] || { printf '%s\n' "$out" >&2; fail "show logging counts $logged lines sent, the collector got $n"; }
note "B sent $logged syslog lines, the collector got $n"

isr_finish
exit 0
