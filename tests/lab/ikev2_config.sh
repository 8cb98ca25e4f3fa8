#!/usr/bin/env bash
# labs/seed-ikev2 in the daemon: Router A starts from its IKEv2 config, shows
# its profile, policy and proposal as IOS lays them out, takes crypto ikev2
# commands over the control socket (sub-modes, `no` forms, a refused
# removal), saves them, and starts again from what it saved.  A file naming
# a proposal it never defines is refused with FILE:LINE.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
cp "$TOP/labs/seed-ikev2/router-a.cfg" "$T/a.cfg"
router_start a "$T/a.cfg"

out=$(cli a show crypto ikev2 profile)
expect_in "$out" '^IKEv2 profile: seed-v2$' "no profile seed-v2"
expect_in "$out" '^ Ref Count: 1$' "the crypto map's reference is not counted"
expect_in "$out" '^   address 10\.2\.2\.2 255\.255\.255\.255$' "no match identity line"
expect_in "$out" '^ Keyring: seed-v2$' "no keyring"
expect_in "$out" '^ Lifetime: 180 seconds$' "lifetime not 180"
out=$(cli a show crypto ikev2 policy)
expect_in "$out" '^ IKEv2 policy : seed-v2$' "no policy seed-v2"
expect_in "$out" '^      Proposal    : seed-v2$' "policy without its proposal"
out=$(cli a show crypto ikev2 proposal seed-v2)
expect_in "$out" '^     Encryption : AES-CBC-256$' "proposal encryption"
expect_in "$out" '^     DH Group   : DH_GROUP_2048_MODP/Group 14$' "proposal group"

out=$(printf '%s\n' 'configure terminal' \
	'crypto ikev2 keyring seed-v2' ' peer C' '  address 10.9.0.0 255.255.0.0' \
	'  pre-shared-key local one' '  pre-shared-key remote two' \
	'crypto ikev2 profile seed-v2' ' dpd 10 3 periodic' ' no lifetime' \
	'no crypto ikev2 proposal seed-v2' 'end' 'write memory' | "$SPIGOT" --control "$T/a.sock" 2>&1)
note "$out"
expect_in "$out" '% IKEv2 proposal seed-v2 is used by policy seed-v2' "removing a used proposal was not refused"
router_stop a

grep -q '^  address 10.9.0.0 255.255.0.0$' "$T/a.cfg" || { cat "$T/a.cfg" >&2; fail "write memory did not save peer C"; }
router_start a "$T/a.cfg"
out=$(cli a show running-config)
expect_in "$out" '^ peer C$' "peer C lost over a restart"
expect_in "$out" '^  pre-shared-key remote two$' "remote key lost over a restart"
expect_in "$out" '^ dpd 10 3 periodic$' "dpd lost over a restart"
expect_not_in "$out" '^ lifetime ' "no lifetime did not stick"
expect_in "$out" '^crypto ikev2 proposal seed-v2$' "the refused removal removed the proposal"
# spigot --json: the same shows as documents (tests/lab/json_schema.py, docs/JSON.md) that say what the text says.
PY=${PY:-python3}
SCHEMA=$TOP/tests/lab/json_schema.py
for s in proposal policy profile; do
	cli a --json show crypto ikev2 $s >"$T/$s.json" || { cat "$T/$s.json" >&2; fail "--json show crypto ikev2 $s failed"; }
	cli a show crypto ikev2 $s >"$T/$s.txt" || fail "show crypto ikev2 $s failed"
	$PY "$SCHEMA" validate ikev2_$s "$T/$s.json" || { cat "$T/$s.json" >&2; fail "--json show crypto ikev2 $s: schema"; }
	$PY "$SCHEMA" agree ikev2_$s "$T/$s.json" "$T/$s.txt" || { cat "$T/$s.txt" "$T/$s.json" >&2; fail "--json show crypto ikev2 $s: differs from the text"; }
done
$PY - "$T/proposal.json" "$T/policy.json" "$T/profile.json" <<'PY' || fail "the IKEv2 config documents do not say what the config says"
import json, sys
pr, po, pf = (json.load(open(f)) for f in sys.argv[1:])
assert [(p["name"], p["encryption"], p["dh_group"], p["default"]) for p in pr["proposals"]] == \
    [("seed-v2", ["AES-CBC-256"], ["DH_GROUP_2048_MODP/Group 14"], False)], pr
assert [(p["name"], p["proposals"], p["match_address_local"]) for p in po["policies"]] == [("seed-v2", ["seed-v2"], [])], po
p = pf["profiles"][0]
assert (p["name"], p["ref_count"], p["keyring"], p["dpd"]) == \
    ("seed-v2", 1, "seed-v2", {"interval_sec": 10, "retry_sec": 3, "mode": "periodic"}), p
assert p["match_identity_remote"] == [{"address": "10.2.2.2", "mask": "255.255.255.255"}], p
PY
out=$(cli a --json show crypto ikev2 profile nope 2>&1) && fail "--json show of a missing profile succeeded"
[ "$out" = "% IKEv2 profile nope does not exist" ] || fail "--json show of a missing profile printed: $out"
router_stop a

printf 'hostname r1\n!\ncrypto ikev2 policy P\n proposal NOPE\n' >"$T/bad.cfg"
rc=0
timeout 10 "$SPIGOTD" --config "$T/bad.cfg" --control "$T/b.sock" >"$T/bad.out" 2>&1 || rc=$?
[ "$rc" = 1 ] || { cat "$T/bad.out" >&2; fail "spigotd took a policy naming a missing proposal (exit $rc)"; }
grep -qF "$T/bad.cfg:4: % IKEv2 proposal NOPE does not exist" "$T/bad.out" || { cat "$T/bad.out" >&2; fail "no FILE:LINE error"; }
exit 0
