#!/usr/bin/env bash
# Quick Crash Detection (RFC 6290) with real spigotd processes: the seed's
# routers over IKEv2 (labs/seed-ikev2), each with its own --state-dir, A
# with `dpd 10 2 on-demand`.  Each router creates its secret (0600, 32
# bytes) on first start.  B is killed (-9: a crash, nothing said) and
# started again with the same state directory: A's next DPD check is
# answered with INVALID_IKE_SPI and the token, A drops the dead IKE SA in
# that one round trip (no DPD retransmission, no "peer dead") and starts a
# new one; the ping works again.  `spigot --json show crypto ikev2 sa
# detailed` and `... stats` validate against their schemas and agree with
# the text.  Then B's secret is made group-readable: B refuses it, says
# so, and runs with QCD off.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
LAB=$TOP/labs/seed-ikev2
PY=${PY:-python3}
SCHEMA=$TOP/tests/lab/json_schema.py
A2B=$(free_port); B2A=$(free_port); AIN=$(free_port); BIN=$(free_port); HA=$(free_port); HB=$(free_port)
cp "$LAB/router-a.cfg" "$T/a.cfg"
cp "$LAB/router-b.cfg" "$T/b.cfg"
sed -i '/^crypto ikev2 profile seed-v2/a\ dpd 10 2 on-demand' "$T/a.cfg"
IFA_OUT=$(awk '/^interface/ {i=$2} /crypto map testtag1$/ {print i; exit}' "$T/a.cfg")
IFB_OUT=$(awk '/^interface/ {i=$2} /crypto map testtag1$/ {print i; exit}' "$T/b.cfg")
IFA_IN=$(awk '/^interface/ {i=$2} /ip address 10\.0\.0\.1 / {print i; exit}' "$T/a.cfg")
IFB_IN=$(awk '/^interface/ {i=$2} /ip address 10\.0\.2\.2 / {print i; exit}' "$T/b.cfg")
mkdir -m 0700 "$T/state-a" "$T/state-b"

start_a() { router_start a "$T/a.cfg" --state-dir "$T/state-a" --port "$IFA_OUT=udp:$A2B:127.0.0.1:$B2A" --port "$IFA_IN=udp:$AIN:127.0.0.1:$HA"; }
start_b() { router_start b "$T/b.cfg" --state-dir "$T/state-b" --port "$IFB_OUT=udp:$B2A:127.0.0.1:$A2B" --port "$IFB_IN=udp:$BIN:127.0.0.1:$HB"; }
crash_b() { kill -9 "$PID_b"; wait "$PID_b" 2>/dev/null || true; rm -f "$T/b.sock"; }
rate() { printf '%s\n' "$1" | sed -n "s/.*Success rate is [0-9]* percent (\([0-9]*\)\/$2).*/\1/p"; }
stat_of() { printf '%s\n' "$1" | sed -n "s/^ *$2 *\([0-9]*\)$/\1/p" | head -1; }

start_a
start_b
for r in a b; do
	f=$T/state-$r/ikev2-qcd.key
	[ "$(stat -c '%a %s' "$f" 2>/dev/null)" = "600 32" ] || fail "$r: $f is $(stat -c '%a %s' "$f" 2>&1), not 0600 and 32 bytes"
done
grep -q 'IKEV2_QCD: Quick Crash Detection on: secret created in' "$T/b.log" || { cat "$T/b.log" >&2; fail "B did not say it created its secret"; }
key_b=$(od -An -tx1 "$T/state-b/ikev2-qcd.key")
grep -qF "$(printf '%s' "$key_b" | tr -d ' \n')" "$T/a.log" "$T/b.log" && fail "the secret is in a log"

out=$(cli a ping 10.0.2.2 source 10.0.0.1 repeat 5 timeout 2)
[ "$(rate "$out" 5)" = 5 ] || fail "first ping: $(rate "$out" 5)/5 replies"

# JSON: each document validates and agrees with the text of the same show.
check() {	# check ROUTER SCHEMA COMMAND...
	local rt=$1 name=$2
	shift 2
	local f=$T/$rt-$name
	cli "$rt" --json "$@" >"$f.json" || { cat "$f.json" >&2; fail "$rt: --json $*: failed"; }
	cli "$rt" "$@" >"$f.txt" || fail "$rt: $*: failed"
	$PY "$SCHEMA" validate "$name" "$f.json" || { cat "$f.json" >&2; fail "$rt: --json $*: schema"; }
	$PY "$SCHEMA" agree "$name" "$f.json" "$f.txt" || { cat "$f.txt" "$f.json" >&2; fail "$rt: --json $*: differs from the text"; }
}
for rt in a b; do
	check $rt ikev2_sa show crypto ikev2 sa detailed
	check $rt ikev2_sa_brief show crypto ikev2 sa
	check $rt ikev2_stats show crypto ikev2 stats
done
$PY - "$T/a-ikev2_sa.json" "$T/b-ikev2_sa.json" "$T/a-ikev2_stats.json" <<'PY' || fail "the IKEv2 documents do not tell the scenario"
import json, sys
a, b, st = (json.load(open(f)) for f in sys.argv[1:])
sa, sb = a["sas"][0], b["sas"][0]
assert sa["initiator"] and not sb["initiator"] and sa["status"] == sb["status"] == "READY", (sa, sb)
assert sa["local_spi"] == sb["remote_spi"] and sa["qcd_token_held"] and sb["qcd_token_held"]
ca, cb = sa["child_sas"][0], sb["child_sas"][0]
assert ca["esp_spi_in"] == cb["esp_spi_out"] and ca["esp_spi_out"] == cb["esp_spi_in"], (ca, cb)
assert st["qcd"]["enabled"] and st["qcd"]["secret_file"].endswith("/state-a/ikev2-qcd.key"), st["qcd"]
assert st["qcd"]["qcd_token_rx"] == 1 and st["sa_count"]["ready"] == 1, st
PY

# B crashes and comes back with the same state directory.
crash_b
start_b
grep -q 'IKEV2_QCD: Quick Crash Detection on: secret read from' "$T/b.log" || { cat "$T/b.log" >&2; fail "B did not read its secret back"; }
[ "$(od -An -tx1 "$T/state-b/ikev2-qcd.key")" = "$key_b" ] || fail "B's secret changed over the restart"
# A hears nothing for 10 s, checks, and learns at once (DPD alone would take 10 more seconds).
accepted() { [ "$(stat_of "$(cli a show crypto ikev2 stats)" 'tokens accepted (peer lost the SA)')" = 1 ]; }
wait_for 14 accepted || { cli a show crypto ikev2 stats >&2; fail "A never accepted B's token"; }
sa=$(cli a show crypto ikev2 stats)
[ "$(stat_of "$sa" 'retransmissions sent')" = 0 ] || fail "A retransmitted its DPD check: $(stat_of "$sa" 'retransmissions sent')"
[ "$(stat_of "$sa" 'peers declared dead (DPD)')" = 0 ] || fail "A waited for DPD"
[ "$(stat_of "$(cli b show crypto ikev2 stats)" 'tokens sent (INVALID_IKE_SPI)')" = 1 ] || fail "B did not count its token"
up() { cli a show crypto ikev2 sa | grep -qE '^2 +10\.1\.1\.1/500 +10\.2\.2\.2/500 +none/none +READY$'; }
wait_for 5 up || { cli a show crypto ikev2 sa >&2; fail "A did not start a new IKE SA"; }
out=$(cli a ping 10.0.2.2 source 10.0.0.1 repeat 5 timeout 2)
[ "$(rate "$out" 5)" = 5 ] || fail "after B's restart: $(rate "$out" 5)/5 replies"
grep -q 'IKEV2_QCD_PEER_LOST' "$T/a.log" || fail "A did not log the lost SA"

# A secret others can read is refused, and said so; B runs without QCD.
crash_b
chmod 0644 "$T/state-b/ikev2-qcd.key"
start_b
grep -q 'IKEV2_QCD_SECRET: Quick Crash Detection off: .*ikev2-qcd.key: mode 0644' "$T/b.log" || { cat "$T/b.log" >&2; fail "B did not refuse a 0644 secret"; }
expect_in "$(cli b show crypto ikev2 stats)" '^Quick Crash Detection \(RFC 6290\): off' "B: QCD not off"
[ "$(stat -c %a "$T/state-b/ikev2-qcd.key")" = 644 ] || fail "B replaced the refused file"
router_stop a
router_stop b
exit 0
