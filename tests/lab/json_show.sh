#!/usr/bin/env bash
# `spigot --json show ...` as a script uses it, on the seed lab after the
# seed's recovery scenario: each of the five shows prints a document that
# validates against its schema (tests/lab/json_schema.py, docs/JSON.md) and
# says what the IOS text of the same show says (SPIs, counters, peers,
# states); a show without a JSON rendering is refused, never answered in
# text.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/isr-lib.bash"
SCHEMA=$TOP/tests/lab/json_schema.py
$PY "$SCHEMA" selftest || fail "the schema validator does not catch bad documents"

isr_lab_init
isr_cfg B '/^hostname/a logging host 10.0.2.50'
isr_up
up_tunnel
x B clear crypto isakmp >/dev/null
x B clear crypto sa >/dev/null
out=$(x A ping 10.0.2.2 source 10.0.0.1 repeat 10)
[ "$(ping_ok "$out")" -ge 8 ] || { printf '%s\n' "$out" >&2; fail "no recovery"; }
wait_for 5 qm_idle B || fail "B has no QM_IDLE IKE SA"

check() {	# check ROUTER SCHEMA COMMAND...
	local rt=$1 name=$2
	shift 2
	local f=$T/$rt-$name
	x "$rt" --json "$@" >"$f.json" || { cat "$f.json" >&2; fail "$rt: --json $*: failed"; }
	x "$rt" "$@" >"$f.txt" || fail "$rt: $*: failed"
	$PY "$SCHEMA" validate "$name" "$f.json" || { cat "$f.json" >&2; fail "$rt: --json $*: schema"; }
	$PY "$SCHEMA" agree "$name" "$f.json" "$f.txt" || { cat "$f.txt" "$f.json" >&2; fail "$rt: --json $*: differs from the text"; }
}
for rt in A B; do
	check $rt isakmp_sa show crypto isakmp sa
	check $rt ipsec_sa show crypto ipsec sa
	check $rt isr show crypto isakmp invalid-spi-recovery
	check $rt interfaces show interfaces
	check $rt logging show logging
	# IKEv1 lab: the IKEv2 documents are empty but whole (tests/lab/ikev2_qcd.sh has them with SAs).
	check $rt ikev2_sa show crypto ikev2 sa detailed
	check $rt ikev2_stats show crypto ikev2 stats
done
# The scenario is in the documents: B counted the invalid SPI and sent the notify,
# A acted on it; B sends its log to the collector address.
$PY - "$T/B-isr.json" "$T/A-isr.json" "$T/B-logging.json" "$T/A-ipsec_sa.json" "$T/B-ipsec_sa.json" <<'PY' || fail "the documents do not tell the scenario"
import json, sys
b, a, lg, sa_a, sa_b = (json.load(open(f)) for f in sys.argv[1:])
assert b["counters"]["invalid_esp"] + b["counters"]["invalid_ah"] >= 1, b
assert b["counters"]["notifies_sent"] >= 1 and a["counters"]["notifies_acted"] == 1, (a, b)
assert [h["address"] for h in lg["hosts"]] == ["10.0.2.50"], lg["hosts"]
assert any("RECVD_PKT_INV_SPI" in l for l in lg["buffer_lines"])
fa = sa_a["interfaces"][0]["flows"][0]; fb = sa_b["interfaces"][0]["flows"][0]
assert [s["spi"] for s in fa["outbound_esp_sas"]] == [s["spi"] for s in fb["inbound_esp_sas"]], (fa, fb)
PY

out=$(x A --json show version 2>&1) && fail "--json show version succeeded"
[ "$out" = "% JSON output is not available for this command" ] || fail "--json show version printed: $out"
out=$($SPIGOT --json --control "$LAB/run/A.sock" show crypto isakmp sa) || fail "spigot --json --control"
$PY -c 'import json,sys; assert json.loads(sys.argv[1])["schema_version"] == 1' "$out" || fail "spigot --json: not JSON"
isr_finish
exit 0
