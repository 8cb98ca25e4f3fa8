#!/usr/bin/env bash
# spigot lab gives each router its own state directory, DIR/run/NAME.state
# (spigotd --state-dir, mode 0700), so the IKEv2 Quick Crash Detection secret
# is made on the first start and read back when the router is killed and
# started again: the labs and `make demo-ikev2` run with QCD on.
. "${TOP:-$(dirname "$0")/../..}/tests/lib.sh"

lab=$T/lab
mkdir -p "$lab"
cp "$TOP/labs/seed-ikev2/router-a.cfg" "$TOP/labs/seed-ikev2/router-b.cfg" "$lab/"
base=$(/usr/bin/python3 -c 'import random; print(random.randrange(46000, 48000, 8))')
sed "s/^baseport .*/baseport $base/" "$TOP/labs/seed-ikev2/lab.conf" >"$lab/lab.conf"
on_cleanup "'$SPIGOT' lab down '$lab'"
"$SPIGOT" lab up "$lab" >"$T/up.out" 2>&1 || { cat "$T/up.out" >&2; fail "lab up"; }

for r in A B; do
	d=$lab/run/$r.state
	[ "$(stat -c %a "$d" 2>/dev/null)" = 700 ] || fail "$d: not a 0700 directory"
	[ "$(stat -c %a:%s "$d/ikev2-qcd.key" 2>/dev/null)" = 600:32 ] || fail "$d/ikev2-qcd.key: not a 0600 32-byte secret"
	out=$("$SPIGOT" lab exec "$lab" $r show crypto ikev2 stats) || fail "$r: show crypto ikev2 stats"
	expect_in "$out" "^Quick Crash Detection \\(RFC 6290\\): on, secret in $d/ikev2-qcd.key\$" "$r: QCD not on with its state dir"
done
key=$(od -An -tx1 "$lab/run/B.state/ikev2-qcd.key")
"$SPIGOT" lab kill "$lab" B >/dev/null || fail "lab kill B"
"$SPIGOT" lab start "$lab" B >/dev/null || fail "lab start B"
[ "$(od -An -tx1 "$lab/run/B.state/ikev2-qcd.key")" = "$key" ] || fail "B's secret changed across a restart"
out=$("$SPIGOT" lab exec "$lab" B show logging '|' include IKEV2_QCD) || fail "B: show logging"
expect_in "$out" "Quick Crash Detection on: secret read from $lab/run/B.state/ikev2-qcd.key" "B did not read its secret back"
exit 0
