#!/usr/bin/env bash
# IKE fragmentation (RFC 7383) between spigot (r1, `crypto ikev2
# fragmentation mtu 200`) and strongSwan 5.9.8 (r2, charon.fragment_size =
# 200, fragmentation = yes by default), strongSwan initiating: both announce
# IKEV2_FRAGMENTATION_SUPPORTED, each side's IKE_AUTH goes in Encrypted
# Fragments that the other reassembles, and the IKE SA is READY in spigot
# and ESTABLISHED in strongSwan with the same SPIs.  tshark finds nothing
# malformed on the WAN.  (The Child SA needs IKEv2 NAT-T for libipsec:
# interop_ikev2.sh explains; this test checks the IKE level only.)
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib.sh"
. "$TOP/tests/netns/lib-topo.sh"
. "$TOP/tests/netns/lib-strongswan.sh"
. "$TOP/tests/netns/lib-spigot.sh"
. "$TOP/tests/netns/lib-ikev2.sh"

swan_need
need_cmd tcpdump
need_cmd tshark
[ -x "$SPIGOTD" ] || skip "no spigotd at $SPIGOTD (make asan)"

ike=aes256-sha256-modp2048 esp=aes256-sha256
ROW='^[0-9]+ +192\.0\.2\.1/(500|4500) +192\.0\.2\.2/(500|4500) +none/none +READY$'
spigot_ready() { cli r1 show crypto ikev2 sa | grep -qE "$ROW"; }

topo_up
topo_router_bare r1
pcap=$T/wan.pcap
ip netns exec "$NS_R1" timeout 60 tcpdump -i "$R1_WAN" -n -U --immediate-mode -s 0 -c 1000 -w "$pcap" \
	'udp port 500 or udp port 4500' >"$T/tcpdump.out" 2>&1 &
tcpdump_pid=$!
_pids+=("$tcpdump_pid")
wait_for 5 grep -q 'listening on' "$T/tcpdump.out" || fail "tcpdump did not start"
topo_spigotd_start r1 "$(spigot_conf2 r1 ike="$ike" esp="$esp" extra='crypto ikev2 fragmentation mtu 200')"
SWAN_CHARON_EXTRA='fragment_size = 200' swan_router r2 version=2 initiator=yes ike="$ike" esp="$esp"
wait_for 15 spigot_ready || { cli r1 show crypto ikev2 sa >&2; tail -40 "$T/r2-charon.log" >&2; fail "spigot has no READY IKE SA"; }
wait_for 5 swan_ike_established r2 || { swanctl_in r2 --list-sas >&2; fail "strongSwan has no ESTABLISHED IKE SA"; }
stats=$(cli r1 show crypto ikev2 stats)
printf '%s\n' "$stats" >"$T/stats.log"
rx=$(sed -nE 's/^ +messages reassembled +([0-9]+)$/\1/p' <<<"$stats")
tx=$(sed -nE 's/^ +fragments sent +([0-9]+)$/\1/p' <<<"$stats")
bad=$(sed -nE 's/^ +dropped: integrity check failed +([0-9]+)$/\1/p' <<<"$stats")
[ "${rx:-0}" -ge 1 ] || { grep -iE "fragment|IKE_AUTH|IKE_SA_INIT" "$T/r2-charon.log" | tail -20 >&2; cli r1 show crypto ikev2 sa detailed >&2; fail "spigot reassembled no strongSwan message"; }
[ "${tx:-0}" -ge 2 ] || fail "spigot sent $tx fragments"
[ "${bad:-1}" = 0 ] || fail "spigot dropped $bad of strongSwan's fragments for their ICV"
# strongSwan's libipsec floats to 4500 (it fakes a NAT): its fragments arrive there
# before the whole IKE_AUTH moves spigot's port; no fragment may count as a forged port.
ign=$(sed -nE 's/^ +new peer port, unauthenticated \(ignored\) +([0-9]+)$/\1/p' <<<"$stats")
[ "${ign:-1}" = 0 ] || fail "spigot counted $ign of strongSwan's datagrams as from an unauthenticated port"
! grep -q 'did not authenticate there' "$T/r1.log" || fail "spigot warned that a genuine fragment did not authenticate"
grep -qE 'received fragment #[0-9]+ of [0-9]+, reassembled fragmented IKE message' "$T/r2-charon.log" ||
	{ grep -iE "fragment|IKE_AUTH" "$T/r2-charon.log" | tail >&2; fail "strongSwan reassembled no spigot message"; }
grep -qE 'split into [0-9]+ fragments|sending packet: .* \(3[0-9]{2}|fragment' "$T/r2-charon.log" || true
expect_in "$(cli r1 show crypto ikev2 sa detailed)" 'IETF Std Fragmentation MTU in use: 200 bytes' \
	"spigot does not say fragmentation is in use"
sw=$(swanctl_in r2 --list-sas 2>/dev/null | sed -nE 's/^.*ESTABLISHED, IKEv2, ([0-9a-f]{16})_i\*? ([0-9a-f]{16})_r\*?$/\1 \2/p' | head -1)
d=$(cli r1 show crypto ikev2 sa detailed)
l=$(sed -nE 's/.*Local spi: ([0-9A-F]{16}).*/\1/p' <<<"$d" | tail -1)
r=$(sed -nE 's/.*Remote spi: ([0-9A-F]{16}).*/\1/p' <<<"$d" | tail -1)
[ "$sw" = "${r,,} ${l,,}" ] || fail "IKE SPIs differ: strongSwan '$sw', spigot '$l'/'$r'"
kill "$tcpdump_pid" 2>/dev/null
wait "$tcpdump_pid" 2>/dev/null
bad=$(tshark -n -r "$pcap" -Y '_ws.malformed || _ws.expert.severity >= error' 2>/dev/null)
[ -z "$bad" ] || fail "tshark finds malformed packets: $bad"
n=$(tshark -n -r "$pcap" -Y 'isakmp.exchangetype == 35 && isakmp.frag.total' 2>/dev/null | wc -l)
[ "$n" -ge 4 ] || fail "only $n IKE_AUTH fragments on the WAN"
note "ok: IKE SA $sw, strongSwan's IKE_AUTH reassembled by spigot ($rx), spigot's $tx fragments by strongSwan, $n IKE_AUTH fragments on the WAN"
topo_down
exit 0
