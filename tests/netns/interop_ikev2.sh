#!/usr/bin/env bash
# spigot (r1) against strongSwan 5.9.8 with kernel-libipsec (r2) over IKEv2
# (RFC 7296, PSK; spigot configured with crypto ikev2 proposal/policy/keyring/
# profile and set ikev2-profile).
#
# Part 1, for both roles (ROLES, default "initiator responder": who starts)
# and each proposal set (CASES, IKE / ESP in strongSwan's names):
#   aes128-sha1-modp2048 / aes128-sha1; aes256-sha256-modp2048 / aes256-sha256;
#   aes128gcm16-prfsha256-ecp256 / aes128gcm16;
#   aes256gcm16-prfsha384-ecp384 / aes256gcm16
# the IKE SA comes up: READY in spigot's show crypto ikev2 sa with the
# agreed suite, ESTABLISHED in swanctl --list-sas, the same IKE SPIs on both;
# tshark dissects every IKEv2 message on the WAN without "malformed".
# The Child SA installs on both ends and h1 <-> h2 pings pass both ways
# (>= 4 of 5).  strongSwan's libipsec installs only UDP-encapsulated ESP,
# so charon fakes a NAT (encap=yes: a NAT_DETECTION_SOURCE_IP that matches
# nothing); spigot honours it (RFC 7296 §2.23): IKE from IKE_AUTH on and the
# ESP go over UDP 4500 (show crypto ikev2 sa: both ends /4500, "NAT-T is
# detected outside"; show crypto ipsec sa: "Tunnel UDP-Encaps"), and
# tshark dissects IKEv2 on 4500 and the ESP in UDP without "malformed".
#
# Part 2 (once): strongSwan rekeys the IKE SA every 10 s (spigot's READY SA
# follows to the new SPIs); `clear crypto ikev2 sa` on spigot deletes
# strongSwan's IKE SA and traffic from h1 brings a new one; `swanctl
# --terminate` deletes spigot's and strongSwan's initiate brings one back;
# a forged ESP packet with an unknown SPI from strongSwan's address makes
# spigot send INVALID_SPI in a protected INFORMATIONAL, which strongSwan
# accepts and answers (and otherwise ignores); strongSwan's INITIAL_CONTACT
# is recorded.  What strongSwan does is written up in tests/netns/README.md.
#
# A Child SA missing anywhere is a FAIL (what IKEV2_STRICT=yes used to ask
# for).  After strongSwan restarts, its INITIAL_CONTACT must make spigot
# drop the stale IKE SA.  IKEV2_STRICT=no turns other named gaps (none
# today) into a SKIP.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib.sh"
. "$TOP/tests/netns/lib-topo.sh"
. "$TOP/tests/netns/lib-strongswan.sh"
. "$TOP/tests/netns/lib-spigot.sh"
. "$TOP/tests/netns/lib-ikev2.sh"

swan_need
need_cmd ping
need_cmd tcpdump
need_cmd tshark
need_cmd python3
[ -x "$SPIGOTD" ] || skip "no spigotd at $SPIGOTD (make asan)"

ROLES=${ROLES:-"initiator responder"}
CASES=${CASES:-"aes128-sha1-modp2048/aes128-sha1 aes256-sha256-modp2048/aes256-sha256 aes128gcm16-prfsha256-ecp256/aes128gcm16 aes256gcm16-prfsha384-ecp384/aes256gcm16"}
PART2=${PART2:-yes}
GAPS=() # known spigot gaps met (each makes the result FAIL, or SKIP with IKEV2_STRICT=no)
# strongSwan's faked NAT moves IKE to 4500 on both ends (RFC 7296 §2.23).
SPIGOT_ROW='^[0-9]+ +192\.0\.2\.1/4500 +192\.0\.2\.2/4500 +none/none +READY$'

replies() {
	nsx "$1" ping -n -c 5 -W 2 -i 0.2 "$2" 2>&1 | sed -nE 's/.* ([0-9]+) received.*/\1/p'
}

# replies_both: a=replies h1->h2, b=replies h2->h1, the two pings at once.
replies_both() {
	replies h2 "$H1_IP" >"$T/replies-b" &
	local pid=$!
	a=$(replies h1 "$H2_IP")
	wait "$pid"
	b=$(cat "$T/replies-b")
}

spigot_ready() { cli r1 show crypto ikev2 sa | grep -qE "$SPIGOT_ROW"; }
swan_no_ike() { ! swan_ike_established r2; }
spigot_no_child() { ! cli r1 show crypto ipsec sa | grep -qE 'spi: 0x[0-9A-F]+\('; }
spigot_has_child() { ! spigot_no_child; }
spigot_no_ike() { ! cli r1 show crypto ikev2 sa | grep -qE '192\.0\.2\.2/(500|4500)'; }

# spigot_ike_spis: "SPIi SPIr" (lower case) of spigot's READY IKE SA, from
# show crypto ikev2 sa detailed (Local/Remote spi, ordered by role).
spigot_ike_spis() {
	local d l r
	d=$(cli r1 show crypto ikev2 sa detailed)
	l=$(sed -nE 's/.*Local spi: ([0-9A-F]{16}).*/\1/p' <<<"$d" | tail -1)
	r=$(sed -nE 's/.*Remote spi: ([0-9A-F]{16}).*/\1/p' <<<"$d" | tail -1)
	if grep -q 'Initiator of SA : Yes' <<<"$(grep -A30 "$l" <<<"$d")"; then
		echo "${l,,} ${r,,}"
	else
		echo "${r,,} ${l,,}"
	fi
}

# suite_ios IKE: what spigot's detailed show prints for strongSwan's proposal.
suite_ios() {
	case $1 in
	aes128-sha1-modp2048) echo 'Encr: AES-CBC, keysize: 128, PRF: SHA1, Hash: SHA1, DH Grp:14' ;;
	aes256-sha256-modp2048) echo 'Encr: AES-CBC, keysize: 256, PRF: SHA256, Hash: SHA256, DH Grp:14' ;;
	aes128gcm16-prfsha256-ecp256) echo 'Encr: AES-GCM, keysize: 128, PRF: SHA256, Hash: None, DH Grp:19' ;;
	aes256gcm16-prfsha384-ecp384) echo 'Encr: AES-GCM, keysize: 256, PRF: SHA384, Hash: None, DH Grp:20' ;;
	esac
}

start_capture() {
	local pcap=$1
	ip netns exec "$NS_R1" timeout 120 tcpdump -i "$R1_WAN" -n -U --immediate-mode -s 0 -c 3000 -w "$pcap" \
		'udp port 500 or udp port 4500 or ip proto 50' >"$T/tcpdump.out" 2>&1 &
	TCPDUMP_PID=$!
	_pids+=("$TCPDUMP_PID")
	wait_for 5 grep -q 'listening on' "$T/tcpdump.out" || fail "tcpdump did not start"
}

# check_capture PCAP WHAT: no malformed IKEv2, IKEv2 on 4500 and ESP in UDP
# dissected, no plain ESP; prints the counts.
check_capture() {
	local pcap=$1 what=$2
	kill "$TCPDUMP_PID" 2>/dev/null
	wait "$TCPDUMP_PID" 2>/dev/null
	# One tshark pass (it takes ~0.6 s to start) gives every count below: each
	# is the number of packets the display filter in its comment matches (a
	# field that occurs more than once matches if any occurrence does; udp port
	# 4500 dissects as udpencap by default, the -d only says so).
	tshark -n -r "$pcap" -d udp.port==4500,udpencap -T fields -E separator=/t -E occurrence=a -E aggregator=, \
		-e _ws.malformed -e _ws.expert.severity -e ip.proto -e udp.port -e isakmp.version -e esp.spi \
		>"$T/fields.tsv" 2>"$T/tshark.err" || { cat "$T/tshark.err" >&2; fail "tshark failed"; }
	local bad n n4 esp plain
	read -r bad n n4 esp plain < <(awk -F'\t' '
		function any(list, v,   a, i, k) { k = split(list, a, ","); for (i = 1; i <= k; i++) if (a[i] == v) return 1; return 0 }
		function anyge(list, v,   a, i, k) { k = split(list, a, ","); for (i = 1; i <= k; i++) if (a[i] + 0 >= v) return 1; return 0 }
		{
			bad += $1 != "" || anyge($2, 8388608)   # _ws.malformed || _ws.expert.severity >= error (PI_ERROR)
			v2 = any($5, "0x20"); p4500 = any($4, "4500")
			n += v2                             # isakmp.version == 0x20
			n4 += p4500 && v2                   # udp.port == 4500 && isakmp.version == 0x20
			esp += p4500 && $6 != ""            # udp.port == 4500 && esp
			# (forge_esp'"'"'s packet with SPI 0x0badc0de is plain ESP on purpose)
			plain += any($3, "50") && $6 != "" && !any($6, "0x0badc0de")   # ip.proto == 50 && esp.spi != 0x0badc0de
		}
		END { print bad + 0, n + 0, n4 + 0, esp + 0, plain + 0 }' "$T/fields.tsv")
	if [ "$bad" != 0 ]; then
		tshark -n -r "$pcap" -d udp.port==4500,udpencap -Y '_ws.malformed || _ws.expert.severity >= error' >&2 2>/dev/null
		fail "$what: tshark finds malformed packets"
	fi
	[ "$n" -ge 4 ] || fail "$what: only $n IKEv2 messages on the WAN"
	# NAT-T: IKEv2 behind the non-ESP marker on 4500, and ESP in UDP.
	[ "$n4" -ge 2 ] || fail "$what: only $n4 IKEv2 messages on UDP 4500"
	[ "$esp" -ge 1 ] || fail "$what: no ESP in UDP 4500 dissected"
	[ "$plain" -eq 0 ] || fail "$what: $plain plain ESP packets although a NAT was signalled"
	echo "$n IKEv2 messages ($n4 on UDP 4500) and $esp ESP-in-UDP packets"
}

# child_up WHAT: both ends have the Child SA, UDP-encapsulated; fails otherwise.
child_up() {
	local what=$1 s
	wait_for 5 swan_child_installed r2 || { tail -30 "$T/r2-charon.log" >&2; fail "$what: no CHILD_SA in strongSwan"; }
	wait_for 5 spigot_has_child || { cli r1 show crypto ipsec sa >&2; fail "$what: no Child SA in spigot"; }
	s=$(cli r1 show crypto ipsec sa)
	expect_in "$s" 'in use settings =.Tunnel UDP-Encaps' "$what: spigot's Child SA is not UDP-encapsulated"
	expect_in "$s" "current_peer: $R2_WAN_IP:4500" "$what: spigot's Child SA does not send to strongSwan's 4500"
}

run_case() {
	local role=$1 ike=$2 esp=$3 what="$1 $2/$3"
	note "== $what"
	# One topology serves every case in turn (spigotd and charon start anew
	# each time): setting namespaces up and down cost ~1.5 s a case.
	if [ -z "$_topo_up" ]; then
		topo_up
		topo_router_bare r1
		topo_router_linux r2
	fi
	local pcap=$T/wan-$role-$ike.pcap
	start_capture "$pcap"
	topo_spigotd_start r1 "$(spigot_conf2 r1 ike="$ike" esp="$esp")"
	local ini=no
	[ "$role" = initiator ] || ini=yes
	swan_conf r2 version=2 initiator=$ini ike="$ike" esp="$esp"
	swan_start r2
	[ "$role" != initiator ] || nsx h1 ping -n -c 1 -W 1 "$H2_IP" >/dev/null 2>&1 # the acquire
	wait_for 15 spigot_ready || { cli r1 show crypto ikev2 sa >&2; tail -30 "$T/r2-charon.log" >&2; fail "$what: spigot has no READY IKE SA"; }
	wait_for 5 swan_ike_established r2 || { swanctl_in r2 --list-sas >&2; fail "$what: strongSwan has no ESTABLISHED IKE SA"; }
	local d sw ss
	d=$(cli r1 show crypto ikev2 sa detailed)
	printf '%s\n' "$d" >>"$T/shows.log"
	expect_in "$d" "$(suite_ios "$ike"), Auth sign: PSK, Auth verify: PSK" "$what: suite in show crypto ikev2 sa detailed"
	if [ "$role" = initiator ]; then
		expect_in "$d" 'Initiator of SA : Yes' "$what: spigot did not initiate"
	else
		expect_in "$d" 'Initiator of SA : No' "$what: spigot initiated"
	fi
	sw=$(swan_ike_spis r2)
	ss=$(spigot_ike_spis)
	[ -n "$sw" ] && [ "$sw" = "$ss" ] || fail "$what: IKE SPIs differ: strongSwan '$sw', spigot '$ss'"
	expect_in "$d" 'NAT-T is detected outside' "$what: spigot did not see strongSwan's (faked) NAT"
	child_up "$what"
	local a b pings
	replies_both
	[ "${a:-0}" -ge 4 ] && [ "${b:-0}" -ge 4 ] || fail "$what: pings h1->h2 $a/5, h2->h1 $b/5"
	pings="pings $a/5 $b/5 over ESP in UDP 4500"
	local n
	n=$(check_capture "$pcap" "$what") || fail "$what: the WAN capture failed its checks"
	note "ok: IKE SA $sw READY/ESTABLISHED, $n, none malformed; $pings"
	# The next case starts from nothing: no charon, no spigotd (whose log must
	# hold no sanitizer report), no SAs.
	swan_stop r2
	router_stop r1
}

# forge_esp SPI: one ESP packet (SPI, seq 1, 64 junk bytes) from r2's WAN
# address to spigot, as if strongSwan still used an SA spigot lost.
forge_esp() {
	nsx r2 python3 - "$R1_WAN_IP" "$1" <<'PY'
import os, socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 50)
s.sendto(struct.pack("!II", int(sys.argv[2], 16), 1) + os.urandom(64), (sys.argv[1], 0))
PY
}

part2() {
	local ike=aes256-sha256-modp2048 esp=aes256-sha256 what="lifecycle"
	note "== $what: IKE rekeys, deletes both ways, INVALID_SPI, INITIAL_CONTACT"
	topo_up
	topo_router_bare r1
	local pcap=$T/wan-part2.pcap
	start_capture "$pcap"
	topo_spigotd_start r1 "$(spigot_conf2 r1 ike="$ike" esp="$esp" extra='crypto isakmp invalid-spi-recovery')"
	# strongSwan initiates (INITIAL_CONTACT is sent by an initiator on first
	# contact) and rekeys its IKE SA every 10 s.
	# Its CHILD_SA rekeys every 8 s (over UDP 4500: spigot installs the new one UDP-encapsulated).
	swan_router r2 version=2 initiator=yes ike="$ike" esp="$esp" ike_rekey=10 ike_life=60 child_rekey=8 child_life=60
	wait_for 15 spigot_ready || fail "$what: spigot has no READY IKE SA"
	wait_for 5 swan_ike_established r2 || fail "$what: strongSwan has no IKE SA"
	child_up "$what"
	grep -qE 'IKE_AUTH request 1 \[.*N\(INIT_CONTACT\)' "$T/r2-charon.log" ||
		fail "$what: strongSwan sent no INITIAL_CONTACT in IKE_AUTH"
	grep -E 'INITIAL.CONTACT|INIT_CONTACT' "$T/r1.log" >"$T/r1-initial-contact.log" || true
	note "INITIAL_CONTACT from strongSwan; spigot logged $(wc -l <"$T/r1-initial-contact.log") lines about it"

	# IKE rekey driven by strongSwan's 10 s rekey_time.
	local s0 s1
	s0=$(swan_ike_spis r2)
	ike_rekeyed() { s1=$(swan_ike_spis r2); [ -n "$s1" ] && [ "$s1" != "$s0" ] && [ "$(spigot_ike_spis)" = "$s1" ]; }
	wait_for 25 ike_rekeyed || { swanctl_in r2 --list-sas >&2; cli r1 show crypto ikev2 sa detailed >&2; tail -20 "$T/r2-charon.log" >&2; fail "$what: no IKE rekey that both ends agree on ($s0 -> $s1 / $(spigot_ike_spis))"; }
	grep -qE 'CREATE_CHILD_SA response [0-9]+ \[ SA No KE \]|CREATE_CHILD_SA response [0-9]+ \[ N\(.*\) SA No KE \]' "$T/r2-charon.log" ||
		fail "$what: strongSwan logged no CREATE_CHILD_SA response for the IKE rekey"
	spigot_ready || fail "$what: spigot's IKE SA is not READY after the rekey"
	local nsa
	nsa=$(cli r1 show crypto ikev2 sa | grep -cE '192\.0\.2\.2/4500')
	note "IKE SA rekeyed by strongSwan: $s0 -> $s1; spigot shows $nsa IKE SA rows"
	# The CHILD_SA rekey (strongSwan's 8 s rekey_time): traffic goes on over the new SAs in UDP.
	child_rekeyed() { grep -qE 'CREATE_CHILD_SA request [0-9]+ \[ N\(REKEY_SA\)' "$T/r2-charon.log"; }
	wait_for 15 child_rekeyed || { tail -20 "$T/r2-charon.log" >&2; fail "$what: strongSwan did not rekey its CHILD_SA"; }
	sleep 1
	child_up "$what: after the CHILD_SA rekey"
	local a b
	replies_both
	[ "${a:-0}" -ge 4 ] && [ "${b:-0}" -ge 4 ] || fail "$what: after the CHILD_SA rekey, pings h1->h2 $a/5, h2->h1 $b/5"
	note "CHILD_SA rekeyed by strongSwan over NAT-T: pings $a/5 $b/5"
	# Back to a long lifetime for the rest.
	swan_conf r2 version=2 initiator=yes ike="$ike" esp="$esp"
	swan_load r2

	# INVALID_SPI: spigot sees ESP from the peer with an SPI it does not know.
	local before after
	before=$(grep -c 'INVAL_SPI' "$T/r2-charon.log")
	forge_esp 0badc0de
	inv_seen() { [ "$(grep -c 'INVAL_SPI' "$T/r2-charon.log")" -gt "$before" ]; }
	wait_for 5 inv_seen || { cli r1 show crypto isakmp invalid-spi-recovery >&2 2>&1; tail -10 "$T/r2-charon.log" >&2; fail "$what: strongSwan received no INVALID_SPI after a forged unknown SPI"; }
	grep -E 'INVAL_SPI' "$T/r2-charon.log" | tail -1 | grep -qE 'parsed INFORMATIONAL request [0-9]+ \[ N\(INVAL_SPI\) \]' ||
		fail "$what: INVALID_SPI did not come as a protected INFORMATIONAL request: $(grep INVAL_SPI "$T/r2-charon.log")"
	sleep 1
	grep -A3 'INVAL_SPI' "$T/r2-charon.log" | tail -4 >"$T/r2-invalid-spi.log"
	swan_ike_established r2 || fail "$what: strongSwan dropped its IKE SA on INVALID_SPI"
	note "strongSwan on INVALID_SPI: $(tr '\n' '|' <"$T/r2-invalid-spi.log" | cut -c1-300)"

	# clear crypto ikev2 sa on spigot: strongSwan's IKE SA goes.
	cli r1 clear crypto ikev2 sa >/dev/null
	wait_for 10 swan_no_ike || fail "$what: strongSwan still has its IKE SA 10 s after clear crypto ikev2 sa"
	grep -qE 'received DELETE for IKE_SA' "$T/r2-charon.log" || fail "$what: strongSwan logged no IKE_SA Delete"
	wait_for 10 spigot_no_ike || fail "$what: spigot still shows the IKE SA after clear crypto ikev2 sa"
	# Traffic from h1 brings a new one.
	nsx h1 ping -n -c 1 -W 1 "$H2_IP" >/dev/null 2>&1
	wait_for 15 spigot_ready || fail "$what: no new IKE SA from traffic after clear crypto ikev2 sa"
	wait_for 5 swan_ike_established r2 || fail "$what: strongSwan has no new IKE SA after clear"
	note "clear crypto ikev2 sa: strongSwan deleted its IKE SA; traffic brought $(swan_ike_spis r2)"

	# swanctl --terminate on strongSwan: spigot's IKE SA goes.
	swanctl_in r2 --terminate --ike tun --timeout 10 >>"$T/r2-swanctl.out" 2>&1 || true
	wait_for 10 spigot_no_ike || { cli r1 show crypto ikev2 sa >&2; fail "$what: spigot still has the IKE SA after swanctl --terminate"; }
	swanctl_in r2 --initiate --child tun --timeout 15 >>"$T/r2-swanctl.out" 2>&1 || true
	wait_for 15 spigot_ready || fail "$what: no new IKE SA after strongSwan initiated again"
	note "swanctl --terminate: spigot deleted its IKE SA; strongSwan's initiate brought $(swan_ike_spis r2)"

	# strongSwan restarts (SAs lost, no Delete) and initiates again with
	# INITIAL_CONTACT: RFC 7296 2.4 says spigot should drop the IKE SA it
	# still has with that peer.
	local old
	old=$(swan_ike_spis r2)
	local logl
	logl=$(wc -l <"$T/r2-charon.log")
	swan_kill9 r2
	swan_start r2
	wait_for 15 swan_ike_established r2 || fail "$what: strongSwan did not come back after a restart"
	tail -n +"$((logl + 1))" "$T/r2-charon.log" | grep -qE 'IKE_AUTH request 1 \[.*N\(INIT_CONTACT\)' ||
		fail "$what: strongSwan sent no INITIAL_CONTACT after its restart"
	one_ike() { [ "$(cli r1 show crypto ikev2 sa | grep -cE '192\.0\.2\.2/(500|4500)')" = 1 ] && spigot_ready; }
	wait_for 5 one_ike || {
		cli r1 show crypto ikev2 sa >&2
		fail "$what: spigot kept the stale IKE SA $old after strongSwan's INITIAL_CONTACT"
	}
	note "strongSwan restarted: spigot dropped the stale IKE SA $old on INITIAL_CONTACT"
	local n
	n=$(check_capture "$pcap" "$what") || fail "$what: the WAN capture failed its checks"
	note "ok: $n, none malformed"
	topo_down
}

cases=0
for role in $ROLES; do
	for c in $CASES; do
		run_case "$role" "${c%/*}" "${c#*/}"
		cases=$((cases + 1))
	done
done
topo_down
[ "$PART2" != yes ] || part2
if [ ${#GAPS[@]} -gt 0 ]; then
	what="$cases cases in roles: $ROLES"
	[ "$PART2" != yes ] || what="$what; IKE rekey, deletes both ways, INVALID_SPI"
	gaps=$(printf '%s; ' "${GAPS[@]}")
	# Gaps are failures unless IKEV2_STRICT=no.
	[ "${IKEV2_STRICT:-yes}" = no ] || fail "interop_ikev2: spigot gaps: ${gaps%; }"
	skip "interop_ikev2: the IKE-level checks passed ($what), but known spigot gaps: ${gaps%; }"
fi
echo "interop_ikev2: ok ($cases cases)"
