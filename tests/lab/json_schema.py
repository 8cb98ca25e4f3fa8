#!/usr/bin/python3
"""The schemas of `spigot --json show ...` (docs/JSON.md), a small validator
for the subset of JSON Schema they use (type, properties, required,
additionalProperties: false, items, enum, minimum, pattern), and the checks
that each JSON document agrees with the IOS text of the same show.

  json_schema.py validate SCHEMA FILE        exit 1 with the errors
  json_schema.py agree    SCHEMA JSON TEXT   JSON and IOS text say the same
Standard library only.
"""
import json
import re
import sys

U = {"type": "integer", "minimum": 0}
S = {"type": "string"}
IP = {"type": "string", "pattern": r"^\d+\.\d+\.\d+\.\d+$"}
NS = {"type": ["string", "null"]}
NU = {"type": ["integer", "null"], "minimum": 0}
SL = {"type": "array", "items": S}
LEVEL = {"enum": ["emergencies", "alerts", "critical", "errors", "warnings",
                  "notifications", "informational", "debugging"]}


def obj(props, optional=()):
    return {"type": "object", "properties": props,
            "required": [k for k in props if k not in optional],
            "additionalProperties": False}


def doc(command, props, optional=()):
    p = {"schema_version": {"enum": [1]}, "command": {"enum": [command]}}
    p.update(props)
    return obj(p, optional)


IDENT = obj({"addr": IP, "mask": IP, "prot": U, "port": U})
SA = obj({"spi": U, "spi_hex": {"type": "string", "pattern": "^0x[0-9A-F]+$"},
          "transform": S, "mode": {"enum": ["Tunnel", "Tunnel UDP-Encaps"]},
          "conn_id": U, "flow_id": U, "crypto_map": S, "remaining_kb": NU,
          "remaining_sec": NU, "iv_size": U, "replay_detection": {"type": "boolean"},
          "replay_window": {"enum": [None, 64, 128, 256, 512, 1024]}},
         optional=("iv_size",))
IPSEC_CTRS = ["encaps", "encrypt", "digest", "decaps", "decrypt", "verify", "send_errors",
              "recv_errors", "no_sa_send", "invalid_sa_rcv", "encaps_failed", "decaps_failed",
              "invalid_prot", "verify_failed", "invalid_identity", "invalid_len", "rollover_send",
              "rollover_rcv", "replay_failed", "internal_send", "internal_recv", "bad_pad", "held",
              "hold_overflow", "too_big", "prefrag", "cleartext"]
ISR_CTRS = ["invalid_esp", "invalid_ah", "invalid_udp", "notifies_sent", "notify_send_failed",
            "initiations", "initiations_failed", "joined_pending", "suppressed_holddown",
            "suppressed_notify_holddown", "suppressed_notify_rate", "suppressed_budget",
            "suppressed_pending_full", "ignored_not_static", "ignored_disabled",
            "notifies_received", "notifies_acted", "ignored_unauthenticated",
            "ignored_unknown_spi", "ignored_wrong_peer", "ignored_bad_proto", "initiations_v2",
            "v2_notifies_sent", "v2_notifies_received", "v2_notifies_acted",
            "v2_ignored_unauthenticated", "v2_ignored_unknown_spi"]

RANGE = obj({"start": IP, "end": IP, "protocol": U, "start_port": U, "end_port": U})
HEX16 = {"type": "string", "pattern": "^[0-9A-F]{16}$"}


def IKEV2_SA_DOC(command):
    return doc(command, {"sas": {"type": "array", "items": obj({
        "tunnel_id": U, "local": IP, "local_port": U, "remote": IP, "remote_port": U,
        "status": {"enum": ["READY", "IN-NEG", "DELETE"]}, "encryption": S, "keysize": U,
        "prf": S, "hash": NS, "dh_group": U, "auth_sign": S, "auth_verify": S,
        "lifetime_sec": U, "active_sec": U, "local_spi": HEX16, "remote_spi": HEX16,
        "local_id": IP, "remote_id": IP, "local_next_msg_id": U, "remote_next_msg_id": U,
        "dpd_interval_sec": U, "dpd_retry_sec": U, "initiator": {"type": "boolean"},
        "qcd_token_held": {"type": "boolean"},
        "child_sas": {"type": "array", "items": obj({
            "local_selector": RANGE, "remote_selector": RANGE, "esp_spi_in": U, "esp_spi_out": U})},
        "retransmitting": {"type": ["object", "null"], "properties": {"try": U, "of": U, "next_ms": U},
                           "additionalProperties": False}})}})


IKEV2_ENGINE_CTRS = [
    "rx", "tx", "ready", "failed", "retransmit_answered", "unsupported_critical_answered", "malformed",
    "unsupported_critical",
    "no_sa", "bad_state", "bad_msgid", "dup_request", "dup_response", "bad_icv", "auth_failed",
    "no_proposal", "invalid_ke", "ts_unacceptable", "peer_error", "no_conf", "half_open_evicted",
    "bad_transition", "unprotected", "invalid_spi_unprotected", "invalid_spi_unknown",
    "child_not_found", "temporary_failure", "queue_full", "natd_bad", "natt_port_ignored",
    "frag_tx", "frag_rx", "frag_reassembled", "frag_unexpected", "frag_bad_icv", "frag_dup", "frag_old",
    "frag_bad_total", "frag_restart", "frag_too_many", "frag_too_big", "frag_timeout", "frag_evicted",
    "frag_replaced", "invalid_spi_tx", "invalid_spi_rx",
    "delete_child_tx", "delete_child_rx", "delete_ike_tx", "delete_ike_rx", "liveness_tx",
    "liveness_answered", "child_created", "child_rekeyed", "ike_rekeyed", "rekey_collision",
    "redundant_deleted", "initial_contact_tx", "initial_contact_rx", "nat_detected", "natt_float",
    "natt_moved"]
IKEV2_ROUTER_CTRS = [
    "rx", "acquires", "acquire_dup", "unsolicited", "rtx", "install_ok", "child_down", "child_create",
    "child_rekey", "ike_rekey", "delete_tx", "invalid_spi_tx", "ike_down",
    "initial_contact_deleted", "dpd_tx", "dpd_dead", "spi_released", "on_4500", "natka_tx", "no_conf",
    "initiate_fail", "rtx_exhausted", "half_open_expired", "install_fail", "bad_ts", "send_fail",
    "wait_full", "v1_refused", "bad_major", "bad_major_answered", "bad_major_limited"]
IKEV2_QCD_CTRS = ["qcd_token_rx", "qcd_rekey_rx", "qcd_rekey_tx", "qcd_sent", "qcd_accepted", "qcd_rejected", "reconnects",
                  "qcd_limited", "src_limited", "qcd_live", "file_refused"]
IKEV2_COOKIE_CTRS = ["challenged_requests", "cookie_sent", "cookie_ok", "cookie_bad", "cookie_none",
                     "cookie_onsets", "cookie_rotations", "cookie_rx"]

SCHEMAS = {
    "isakmp_sa": doc("show crypto isakmp sa", {"sas": {"type": "array", "items": obj({
        "dst": IP, "src": IP, "state": S, "conn_id": U, "slot": U, "status": S,
        "deleted": {"type": "boolean"}, "encryption": NS, "hash": NS, "auth": NS,
        "dh_group": U, "lifetime_remaining_sec": NU, "capabilities": S})}}),
    "ipsec_sa": doc("show crypto ipsec sa", {
        "interfaces": {"type": "array", "items": obj({
            "interface": S, "crypto_map": S, "local_addr": IP,
            "flows": {"type": "array", "items": obj({
                "local_ident": IDENT, "remote_ident": IDENT, "current_peer": IP,
                "current_peer_port": U, "local_crypto_endpt": IP, "remote_crypto_endpt": IP,
                "path_mtu": U, "current_outbound_spi": {"type": "string", "pattern": "^[0-9A-F]+$"},
                "counters": obj({k: U for k in IPSEC_CTRS}),
                "inbound_esp_sas": {"type": "array", "items": SA},
                "inbound_ah_sas": {"type": "array", "items": SA},
                "outbound_esp_sas": {"type": "array", "items": SA},
                "outbound_ah_sas": {"type": "array", "items": SA}})}})},
        "drops_outside_sa": obj({k: U for k in [
            "invalid_spi_esp", "invalid_spi_ah", "malformed_esp", "malformed_ah", "cleartext",
            "no_route", "not_ipsec", "install_failed", "state_refused"]})}),
    "isr": doc("show crypto isakmp invalid-spi-recovery", {
        "enabled": {"type": "boolean"}, "holddown_sec": U, "notify_holddown_sec": U,
        "budget_per_sec": U, "pending": U, "max_pending": U,
        "counters": obj({k: U for k in ISR_CTRS}),
        "pending_recoveries": {"type": "array", "items": obj({
            "peer": IP, "age_ms": U, "spis": {"type": "array", "items": obj({"spi": U, "proto": U})}})}}),
    "interfaces": doc("show interfaces", {"interfaces": {"type": "array", "items": obj({
        "name": S, "status": {"enum": ["up", "down", "administratively down"]},
        "protocol": {"enum": ["up", "down"]}, "port": NS, "mac": NS, "description": NS,
        "address": {"type": ["string", "null"], "pattern": r"^\d+\.\d+\.\d+\.\d+/\d+$"},
        "mtu": U, "crypto_map": NS,
        "counters": obj({k: U for k in [
            "packets_input", "bytes_input", "input_errors", "input_drops", "broadcasts_input",
            "packets_output", "bytes_output", "output_errors", "output_drops",
            "unknown_protocol_drops"]}),
        "rate_5min": obj({k: U for k in ["input_bps", "input_pps", "output_bps", "output_pps"]})})}}),
    "logging": doc("show logging", {
        "messages_dropped": U, "messages_rate_limited": U, "message_lines_total": U,
        "console": obj({"enabled": {"type": "boolean"}, "level": LEVEL, "messages_logged": U}),
        "buffer": obj({"enabled": {"type": "boolean"}, "level": LEVEL, "size": U, "messages_logged": U}),
        "trap": obj({"level": LEVEL, "message_lines_logged": U}),
        "facility": S, "source_interface": NS,
        "hosts": {"type": "array", "items": obj({
            "address": IP, "transport": {"enum": ["udp"]}, "port": U, "link_up": {"type": "boolean"},
            "message_lines_logged": U, "message_lines_rate_limited": U, "message_lines_dropped": U})},
        "buffer_lines": {"type": "array", "items": S}}),
    "ikev2_sa": IKEV2_SA_DOC("show crypto ikev2 sa detailed"),
    "ikev2_sa_brief": IKEV2_SA_DOC("show crypto ikev2 sa"),
    "ikev2_proposal": doc("show crypto ikev2 proposal", {"proposals": {"type": "array", "items": obj({
        "name": S, "default": {"type": "boolean"}, "encryption": SL, "integrity": SL, "prf": SL,
        "dh_group": SL, "incomplete": NS})}}),
    "ikev2_policy": doc("show crypto ikev2 policy", {"policies": {"type": "array", "items": obj({
        "name": S, "default": {"type": "boolean"}, "match_fvrf": S,
        "match_address_local": {"type": "array", "items": IP}, "proposals": SL})}}),
    "ikev2_profile": doc("show crypto ikev2 profile", {"profiles": {"type": "array", "items": obj({
        "name": S, "ref_count": U,
        "match_identity_remote": {"type": "array", "items": obj({"address": IP, "mask": IP})},
        "local_identity": {"type": ["string", "null"], "pattern": r"^\d+\.\d+\.\d+\.\d+$"},
        "local_auth": {"enum": ["pre-share", "none"]}, "remote_auth": {"enum": ["pre-share", "none"]},
        "keyring": NS, "lifetime_sec": U,
        "dpd": {"type": ["object", "null"], "properties": {
            "interval_sec": U, "retry_sec": U, "mode": {"enum": ["periodic", "on-demand"]}},
            "required": ["interval_sec", "retry_sec", "mode"], "additionalProperties": False}})}}),
    "ikev2_stats": doc("show crypto ikev2 stats", {
        "sa_count": obj({k: U for k in ["total", "ready", "in_neg", "half_open"]}),
        "engine": obj({k: U for k in IKEV2_ENGINE_CTRS}),
        "router": obj({k: U for k in IKEV2_ROUTER_CTRS}),
        "qcd": obj(dict({"enabled": {"type": "boolean"}, "secret_file": NS, "status": S},
                        **{k: U for k in IKEV2_QCD_CTRS})),
        "cookie": obj(dict({"threshold": U, "challenging": {"type": "boolean"}},
                           **{k: U for k in IKEV2_COOKIE_CTRS}))}),
}

TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def type_ok(v, t):
    if t == "integer":
        return isinstance(v, int) and not isinstance(v, bool)
    return isinstance(v, TYPES[t])


def validate(v, s, path="$"):
    errs = []
    if "enum" in s and v not in s["enum"]:
        return [f"{path}: {v!r} not in {s['enum']}"]
    if "type" in s:
        ts = s["type"] if isinstance(s["type"], list) else [s["type"]]
        if not any(type_ok(v, t) for t in ts):
            return [f"{path}: {v!r} is not {s['type']}"]
    if isinstance(v, int) and not isinstance(v, bool) and v < s.get("minimum", v):
        errs.append(f"{path}: {v} < {s['minimum']}")
    if isinstance(v, str) and "pattern" in s and not re.search(s["pattern"], v):
        errs.append(f"{path}: {v!r} does not match {s['pattern']}")
    if isinstance(v, dict):
        for k in s.get("required", []):
            if k not in v:
                errs.append(f"{path}: missing {k}")
        for k, x in v.items():
            if k in s.get("properties", {}):
                errs += validate(x, s["properties"][k], f"{path}.{k}")
            elif s.get("additionalProperties") is False:
                errs.append(f"{path}: unexpected member {k}")
    if isinstance(v, list) and "items" in s:
        for i, x in enumerate(v):
            errs += validate(x, s["items"], f"{path}[{i}]")
    return errs


def need(cond, msg):
    if not cond:
        sys.exit(f"JSON and text disagree: {msg}")


def agree(name, j, text):
    """The facts a script would read agree with what the engineer reads."""
    if name == "isakmp_sa":
        rows = re.findall(r"^/ +(\S+) +(\S+) +(\S+) +(\d+) +0 ACTIVE", text, re.M)
        need(len(rows) == len(j["sas"]), f"{len(rows)} text rows, {len(j['sas'])} JSON SAs")
        for (d, s, st, cid), sa in zip(rows, j["sas"]):
            need((d, s, st, int(cid)) == (sa["dst"], sa["src"], sa["state"], sa["conn_id"]), f"row {d} {s}")
    elif name == "ipsec_sa":
        spis = sorted(int(x) for x in re.findall(r"spi: 0x[0-9A-F]+\((\d+)\)", text))
        js = sorted(sa["spi"] for i in j["interfaces"] for f in i["flows"]
                    for k in ("inbound_esp_sas", "inbound_ah_sas", "outbound_esp_sas", "outbound_ah_sas")
                    for sa in f[k])
        need(spis == js and spis, f"SPIs {spis} vs {js}")
        enc = [int(x) for x in re.findall(r"#pkts encaps: (\d+)", text)]
        dec = [int(x) for x in re.findall(r"#pkts decaps: (\d+)", text)]
        flows = [f for i in j["interfaces"] for f in i["flows"]]
        need(enc == [f["counters"]["encaps"] for f in flows], "encaps")
        need(dec == [f["counters"]["decaps"] for f in flows], "decaps")
        peers = re.findall(r"current_peer: ([\d.]+):", text)
        need(peers == [f["current_peer"] for f in flows], "peers")
        out = re.findall(r"current outbound spi: ([0-9A-F]+)", text)
        need(out == [f["current_outbound_spi"] for f in flows], "current outbound spi")
    elif name == "isr":
        c = j["counters"]
        m = re.search(r"ESP: (\d+), AH: (\d+) \(UDP-encapsulated: (\d+)\)", text)
        need(m and tuple(map(int, m.groups())) == (c["invalid_esp"], c["invalid_ah"], c["invalid_udp"]),
             "invalid SPI counts")
        m = re.search(r"INVALID_SPI notifies sent: (\d+)", text)
        need(m and int(m.group(1)) == c["notifies_sent"], "notifies sent")
        m = re.search(r"^INVALID_SPI notifies received: (\d+)", text, re.M)
        need(m and int(m.group(1)) == c["notifies_received"], "notifies received")
        need(("enabled" in text.splitlines()[0]) == j["enabled"], "enabled")
    elif name == "interfaces":
        heads = re.findall(r"^(\S+) is (.+), line protocol is (\S+)$", text, re.M)
        need([(h[0], h[1], h[2]) for h in heads] ==
             [(i["name"], i["status"], i["protocol"]) for i in j["interfaces"]], "interfaces and states")
        addrs = re.findall(r"Internet address is (\S+)", text)
        need(addrs == [i["address"] for i in j["interfaces"] if i["address"]], "addresses")
        pk = [int(x) for x in re.findall(r"(\d+) packets input,", text)]
        need(pk == [i["counters"]["packets_input"] for i in j["interfaces"]], "packets input")
    elif name in ("ikev2_sa", "ikev2_sa_brief"):
        rows = re.findall(r"^(\d+) +([\d.]+)/(\d+) +([\d.]+)/(\d+) +none/none +(\S+)$", text, re.M)
        need([(int(r[0]), r[1], r[3], r[5]) for r in rows] ==
             [(s["tunnel_id"], s["local"], s["remote"], s["status"]) for s in j["sas"]], "tunnels")
        enc = re.findall(r"Encr: (\S+), keysize: (\d+), PRF: (\S+), Hash: (\S+), DH Grp:(\d+)", text)
        need([(e[0], int(e[1]), e[2], None if e[3] == "None" else e[3], int(e[4])) for e in enc] ==
             [(s["encryption"], s["keysize"], s["prf"], s["hash"], s["dh_group"]) for s in j["sas"]], "suites")
        if name == "ikev2_sa":
            spis = re.findall(r"Local spi: ([0-9A-F]+) +Remote spi: ([0-9A-F]+)", text)
            need(spis == [(s["local_spi"], s["remote_spi"]) for s in j["sas"]], "IKE SPIs")
            child = [(int(a, 16), int(b, 16)) for a, b in re.findall(r"ESP spi in/out: 0x([0-9A-F]+)/0x([0-9A-F]+)", text)]
            need(child == [(c["esp_spi_in"], c["esp_spi_out"]) for s in j["sas"] for c in s["child_sas"]], "Child SPIs")
            ini = re.findall(r"Initiator of SA : (Yes|No)", text)
            need(ini == ["Yes" if s["initiator"] else "No" for s in j["sas"]], "initiator")
    elif name == "ikev2_proposal":
        names = re.findall(r"^ IKEv2 proposal: (\S+)$", text, re.M)
        need(names == [p["name"] for p in j["proposals"]], f"proposals {names}")
        for label, key in [("Encryption", "encryption"), ("Integrity ", "integrity"), ("PRF       ", "prf"),
                           ("DH Group  ", "dh_group")]:
            rows = [r.split(" ", 1)[1] if " " in r else "" for r in re.findall(r"^     " + label + r" :(.*)$", text, re.M)]
            need(rows == [" ".join(p[key]) for p in j["proposals"] if p[key]], key)
        need(len(re.findall(r"\(incomplete: ", text)) == len([p for p in j["proposals"] if p["incomplete"]]),
             "incomplete")
    elif name == "ikev2_policy":
        names = re.findall(r"^ IKEv2 policy : (\S+)$", text, re.M)
        need(names == [p["name"] for p in j["policies"]], f"policies {names}")
        props = re.findall(r"^      Proposal    : (\S+)$", text, re.M)
        need(props == [x for p in j["policies"] for x in p["proposals"]], "proposals")
        local = re.findall(r"^      Match address local : (\S+)$", text, re.M)
        need(local == [x for p in j["policies"] for x in (p["match_address_local"] or ["any"])], "match local")
    elif name == "ikev2_profile":
        names = re.findall(r"^IKEv2 profile: (\S+)$", text, re.M)
        need(names == [p["name"] for p in j["profiles"]], f"profiles {names}")
        refs = [int(x) for x in re.findall(r"^ Ref Count: (\d+)$", text, re.M)]
        need(refs == [p["ref_count"] for p in j["profiles"]], "ref counts")
        ids = re.findall(r"^   address (\S+) (\S+)$", text, re.M)
        need(ids == [(m["address"], m["mask"]) for p in j["profiles"] for m in p["match_identity_remote"]],
             "match identities")
        kr = re.findall(r"^ Keyring: (\S+)$", text, re.M)
        need(kr == [p["keyring"] or "none" for p in j["profiles"]], "keyrings")
        life = [int(x) for x in re.findall(r"^ Lifetime: (\d+) seconds$", text, re.M)]
        need(life == [p["lifetime_sec"] for p in j["profiles"]], "lifetimes")
        dpd = re.findall(r"^ DPD: (.*)$", text, re.M)
        need(dpd == ["disabled" if not p["dpd"] else
                     f"interval {p['dpd']['interval_sec']}, retry {p['dpd']['retry_sec']}, {p['dpd']['mode']}"
                     for p in j["profiles"]], "DPD")
        auth = re.findall(r"^ Local authentication method: (\S+)$", text, re.M)
        need(auth == [p["local_auth"] for p in j["profiles"]], "local auth")
    elif name == "ikev2_stats":
        m = re.search(r"Crypto IKEv2 SA Count (\d+)", text)
        need(m and int(m.group(1)) == j["sa_count"]["total"], "SA count")
        for label, grp, key in [("messages received", "engine", "rx"), ("liveness checks sent", "engine", "liveness_tx"),
                                ("datagrams in", "router", "rx"), ("Child SAs installed", "router", "install_ok"),
                                ("tokens received in IKE_AUTH", "qcd", "qcd_token_rx"),
                                ("tokens sent \\(INVALID_IKE_SPI\\)", "qcd", "qcd_sent")]:
            m = re.search(r"^ +" + label + r" +(\d+)$", text, re.M)
            need(m and int(m.group(1)) == j[grp][key], label)
        m = re.search(r"^Quick Crash Detection \(RFC 6290\): (.*)$", text, re.M)
        need(m and m.group(1) == j["qcd"]["status"], "QCD status")
    elif name == "logging":
        m = re.search(r"Trap logging: level (\w+), (\d+) message lines logged", text)
        need(m and m.group(1) == j["trap"]["level"], "trap level")
        m = re.search(r"Console logging: (?:level (\w+), (\d+) messages logged|(disabled))", text)
        need(m and (m.group(3) is not None) == (not j["console"]["enabled"]), "console enabled")
        need(not m.group(1) or (m.group(1) == j["console"]["level"] and
                                int(m.group(2)) <= j["console"]["messages_logged"]), "console level and count")
        hosts = re.findall(r"Logging to ([\d.]+)  \(udp port (\d+),", text)
        need([(h, int(p)) for h, p in hosts] == [(x["address"], x["port"]) for x in j["hosts"]], "hosts")
        sent = [int(x) for x in re.findall(r"^ +(\d+) message lines logged, $", text, re.M)]
        need(all(a <= b for a, b in zip(sent, [x["message_lines_logged"] for x in j["hosts"]])),
             "host line counts")
        buf = text.split("Log Buffer (", 1)[1].split("\n", 2)[2].strip("\n").split("\n")
        need([l for l in buf if l] == j["buffer_lines"][:len([l for l in buf if l])], "buffer lines")


def main():
    if sys.argv[1] == "validate":
        errs = validate(json.load(open(sys.argv[3])), SCHEMAS[sys.argv[2]])
        if errs:
            sys.exit("\n".join(errs[:20]))
    elif sys.argv[1] == "agree":
        agree(sys.argv[2], json.load(open(sys.argv[3])), open(sys.argv[4]).read())
    elif sys.argv[1] == "selftest":
        # the validator must catch what it is for
        s = SCHEMAS["isakmp_sa"]
        good = {"schema_version": 1, "command": "show crypto isakmp sa", "sas": []}
        assert not validate(good, s)
        assert validate(dict(good, extra=1), s)
        assert validate({"schema_version": 2, "command": good["command"], "sas": []}, s)
        assert validate({"schema_version": 1, "command": good["command"]}, s)
        assert validate(dict(good, sas=[{"dst": "x"}]), s)
        assert validate(True, {"type": "integer"}) and validate(-1, U)


if __name__ == "__main__":
    main()
