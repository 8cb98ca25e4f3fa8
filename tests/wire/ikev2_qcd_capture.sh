#!/usr/bin/env bash
# Quick Crash Detection on the wire, read by tshark (which nobody here
# wrote): the IKEv2 seed lab with state directories, A with `dpd 10 2
# on-demand`; B crashes (kill -9) and restarts with the same secret.  On
# the link: A's DPD check (a protected INFORMATIONAL request), B's answer
# in clear (no Encrypted payload) with N(INVALID_IKE_SPI) and
# N(QUICK_CRASH_DETECTION) (16419, RFC 6290) carrying a 32-byte token, on A's request's
# SPIs and message ID, then A's new IKE_SA_INIT and IKE_AUTH; no DPD
# retransmission; tshark flags nothing as malformed.  Capturing on lo needs root.
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
LAB=$TOP/labs/seed-ikev2
need_root
need_cmd tcpdump
need_cmd tshark
A2B=$(free_port); B2A=$(free_port); AIN=$(free_port); BIN=$(free_port); HA=$(free_port); HB=$(free_port)
cp "$LAB/router-a.cfg" "$T/a.cfg"
cp "$LAB/router-b.cfg" "$T/b.cfg"
sed -i '/^crypto ikev2 profile seed-v2/a\ dpd 10 2 on-demand' "$T/a.cfg"
IFA_OUT=$(awk '/^interface/ {i=$2} /crypto map testtag1$/ {print i; exit}' "$T/a.cfg")
IFB_OUT=$(awk '/^interface/ {i=$2} /crypto map testtag1$/ {print i; exit}' "$T/b.cfg")
IFA_IN=$(awk '/^interface/ {i=$2} /ip address 10\.0\.0\.1 / {print i; exit}' "$T/a.cfg")
IFB_IN=$(awk '/^interface/ {i=$2} /ip address 10\.0\.2\.2 / {print i; exit}' "$T/b.cfg")
mkdir -m 0700 "$T/state-a" "$T/state-b"

pcap=$T/link.pcap
timeout 60 tcpdump -i lo -n -U --immediate-mode -s 0 -c 2000 -w "$pcap" \
	"udp and (port $A2B or port $B2A)" >"$T/tcpdump.out" 2>&1 &
tcpdump_pid=$!
_pids+=("$tcpdump_pid")
wait_for 5 grep -q 'listening on' "$T/tcpdump.out" || fail "tcpdump did not start: $(cat "$T/tcpdump.out")"

start_b() { router_start b "$T/b.cfg" --state-dir "$T/state-b" --port "$IFB_OUT=udp:$B2A:127.0.0.1:$A2B" --port "$IFB_IN=udp:$BIN:127.0.0.1:$HB"; }
router_start a "$T/a.cfg" --state-dir "$T/state-a" --port "$IFA_OUT=udp:$A2B:127.0.0.1:$B2A" --port "$IFA_IN=udp:$AIN:127.0.0.1:$HA"
start_b
out=$(cli a ping 10.0.2.2 source 10.0.0.1 repeat 3 timeout 2)
expect_in "$out" 'Success rate is 100 percent \(3/3\)' "ping over IKEv2 failed"
kill -9 "$PID_b"; wait "$PID_b" 2>/dev/null || true; rm -f "$T/b.sock"
start_b
accepted() { cli a show crypto ikev2 stats | grep -qE '^ +tokens accepted \(peer lost the SA\) +1$'; }
wait_for 14 accepted || fail "A never accepted B's token"
up() { cli a show crypto ikev2 sa | grep -qE '^2 .* READY$'; }
wait_for 5 up || fail "A did not start a new IKE SA"
router_stop a
router_stop b
sleep 0.3
kill "$tcpdump_pid" 2>/dev/null
wait "$tcpdump_pid" 2>/dev/null

tsh() {
	local o
	o=$(tshark -n -r "$pcap" -d "udp.port==$A2B,ip" -d "udp.port==$B2A,ip" "$@" 2>"$T/tshark.err") ||
		{ cat "$T/tshark.err" >&2; fail "tshark $*"; }
	printf '%s\n' "$o"
}
bad=$(tsh -Y '_ws.malformed || _ws.expert.severity >= warning')
[ -z "$bad" ] || fail "tshark flags packets on the link: $bad"
msgs=$(tsh -Y 'isakmp.version == 0x20' -T fields -e _ws.col.Info)
note "$msgs"
want=$'IKE_SA_INIT MID=00 Initiator Request\nIKE_SA_INIT MID=00 Responder Response\nIKE_AUTH MID=01 Initiator Request\nIKE_AUTH MID=01 Responder Response\nINFORMATIONAL MID=02 Initiator Request\nINFORMATIONAL MID=02 Responder Response\nIKE_SA_INIT MID=00 Initiator Request\nIKE_SA_INIT MID=00 Responder Response\nIKE_AUTH MID=01 Initiator Request\nIKE_AUTH MID=01 Responder Response'
[ "$msgs" = "$want" ] || fail "not: the first SA, one DPD check and its QCD answer, a new SA: $msgs"
# The answer: in clear, INVALID_IKE_SPI (4) then QUICK_CRASH_DETECTION (16419, 32 bytes), on the request's SPIs.
# (nextpayload lists every payload's Next Payload: the header's first.)
ans=$(tsh -Y 'isakmp.exchangetype == 37 && isakmp.flag_r == 1' -T fields -E separator='|' \
	-e isakmp.ispi -e isakmp.rspi -e isakmp.nextpayload -e isakmp.notify.msgtype -e isakmp.notify.data)
req=$(tsh -Y 'isakmp.exchangetype == 37 && isakmp.flag_r == 0' -T fields -E separator='|' \
	-e isakmp.ispi -e isakmp.rspi -e isakmp.nextpayload)
note "request: $req"
note "answer:  $ans"
IFS='|' read -r ai ar anp types data <<<"$ans"
IFS='|' read -r ri rr rnp <<<"$req"
[ "$ri|$rr" = "$ai|$ar" ] || fail "the answer is not on the request's SPIs: $req / $ans"
[ "${rnp%%,*}" = 46 ] || fail "A's DPD check is not protected (next payload $rnp, want 46 = SK)"
[ "$anp" = 41,41,0 ] || fail "the QCD answer does not start with a Notify in clear (next payload $anp)"
[ "$types" = "4,16419" ] || fail "notify types $types, want INVALID_IKE_SPI then QUICK_CRASH_DETECTION"
tok=${data##*,}
[ ${#tok} = 64 ] || fail "QCD token is ${#tok} hex digits, want 64 (32 bytes): $data"
exit 0
