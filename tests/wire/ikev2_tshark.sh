#!/usr/bin/env bash
# IKEv2 messages built by spigot's codec, keying and Encrypted payload
# (tests/tools/ikev2_pcap: IKE_SA_INIT, IKE_AUTH, INFORMATIONAL) dissect in
# tshark without a malformed packet or an expert warning, and tshark, given
# the keys in its ikev2_decryption_table, verifies every ICV and finds the
# payloads we put inside: for AES-CBC + HMAC-SHA-256 and for AES-GCM-16.
# The last message is fragmented by the engine (RFC 7383, MTU 200): tshark
# dissects each Encrypted Fragment, verifies each ICV and reassembles them.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
TOOL=$TOP/build/asan/tools/ikev2_pcap
command -v tshark >/dev/null || skip "tshark not installed"
[ -x "$TOOL" ] || skip "build/asan/tools/ikev2_pcap not built (make asan)"

export XDG_CONFIG_HOME=$T/xdg
mkdir -p "$XDG_CONFIG_HOME/wireshark"
for mode in cbc gcm; do
	read -r tag si sr ei er ai ar <<<"$("$TOOL" "$T/$mode.pcap" "$mode")" || fail "ikev2_pcap $mode failed"
	[ "$tag" = KEYS ] || fail "ikev2_pcap $mode printed no keys"
	if [ $mode = cbc ]; then
		printf '%s,%s,%s,%s,"AES-CBC-128 [RFC3602]",%s,%s,"HMAC_SHA2_256_128 [RFC4868]"\n' \
			"$si" "$sr" "$ei" "$er" "$ai" "$ar"
	else
		printf '%s,%s,%s,%s,"AES-GCM-128 with 16 octet ICV [RFC5282]",,,"NONE [RFC4306]"\n' \
			"$si" "$sr" "$ei" "$er"
	fi >"$XDG_CONFIG_HOME/wireshark/ikev2_decryption_table"

	bad=$(tshark -r "$T/$mode.pcap" -Y '_ws.malformed || _ws.expert.severity >= warning' 2>/dev/null)
	[ -z "$bad" ] || fail "$mode: tshark objects: $bad"
	sum=$(tshark -r "$T/$mode.pcap" 2>/dev/null)
	for want in 'IKE_SA_INIT MID=00 Initiator Request' 'IKE_SA_INIT MID=00 Responder Response' \
		'IKE_AUTH MID=01 Initiator Request' 'IKE_AUTH MID=01 Responder Response' \
		'INFORMATIONAL MID=00 Responder Request' 'INFORMATIONAL MID=02 Initiator Request \(fragment 1/3\)' \
		'INFORMATIONAL MID=02 Initiator Request \(fragment 3/3\) \(reassembled\)'; do
		expect_in "$sum" "$want" "$mode: no '$want'"
	done
	v=$(tshark -r "$T/$mode.pcap" -V 2>/dev/null)
	n=$(printf '%s\n' "$v" | grep -c 'Integrity Checksum Data: .*\[correct\]')
	[ "$n" = 6 ] || fail "$mode: tshark verified $n of 6 ICVs (3 messages, 3 fragments)"
	expect_not_in "$v" 'Integrity Checksum Data: .*\[incorrect' "$mode: an ICV tshark rejects"
	for want in 'ID_IPV4_ADDR: 10.1.1.1' 'ID_IPV4_ADDR: 10.2.2.2' 'Notify Message Type: INITIAL_CONTACT' \
		'Notify Message Type: INVALID_SPI \(11\)' 'Payload: Delete \(42\)' 'SPI: c0ffee01' \
		'Transform ID \(ENCR\): ENCR_AES_CBC \(12\)' 'Authentication Method: Shared Key Message Integrity Code' \
		'Notify Message Type: IKEV2_FRAGMENTATION_SUPPORTED' 'Payload: Traffic Selector - Responder' \
		'Payload: Encrypted and Authenticated Fragment \(53\)' 'Message fragment count: 3' \
		'Number of SPIs: 60' 'Delete SPI: c0ff003b'; do
		expect_in "$v" "$want" "$mode: tshark did not find '$want' after decrypting"
	done
done
exit 0
