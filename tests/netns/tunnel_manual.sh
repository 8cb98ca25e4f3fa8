#!/usr/bin/env bash
# Two spigot routers (packet: ports on veths) with a manually keyed tunnel
# (crypto map ipsec-manual, esp-aes esp-sha-hmac, session keys mirrored on
# the two sides), and real Linux hosts behind them pinging through it:
#
#   h1 10.0.1.10 -- r1 (spigotd) ==ESP over 192.0.2.0/24== r2 (spigotd) -- h2 10.0.2.10
#
#   - h1 -> h2 and h2 -> h1, ping -c 10 each: at least 9 replies each way;
#   - show crypto ipsec sa: exactly the configured SPIs in each direction,
#     encaps/decaps grown by at least the echoes that crossed, no errors;
#     no IKE SA (manual keys need none) and no ISAKMP on the wire;
#   - the WAN capture: ESP with exactly the configured SPIs, nothing of
#     either LAN in the clear, nothing tshark calls malformed; scapy decrypts
#     and authenticates every ESP packet with the configured keys and finds
#     the hosts' echoes and replies inside;
#   - r2 restarted with a wrong inbound authenticator key: h1's echoes no
#     longer reach h2, r2 counts them as verify failures.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib.sh"
. "$TOP/tests/netns/lib-topo.sh"
. "$TOP/tests/netns/lib-spigot.sh"
PY=/usr/bin/python3

need_root
need_cmd ip
need_cmd ping
need_cmd tcpdump
need_cmd tshark
$PY -c 'import scapy.layers.ipsec' 2>/dev/null || skip "needs python3-scapy"
[ -x "$SPIGOTD" ] || skip "no spigotd at $SPIGOTD (make asan)"
[ -x "$SPIGOT" ] || skip "no spigot at $SPIGOT (make asan)"

hexkey() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }
# Random SPIs, never the reserved 0-255; decimal as IOS takes them.
spi() { echo $((0x$(hexkey 3) + 4096)); }

SPI12=$(spi) SPI21=$(spi)	# ESP r1 -> r2 and r2 -> r1
while [ "$SPI21" = "$SPI12" ]; do SPI21=$(spi); done
ENC12=$(hexkey 16) AUTH12=$(hexkey 20)
ENC21=$(hexkey 16) AUTH21=$(hexkey 20)

# mkcfg R [INBOUND_AUTH]: IOS config for router R; inbound = what the peer sends.
mkcfg() {
	local r=$1 lanip wanip peer locnet remnet in_spi in_enc in_auth out_spi out_enc out_auth
	if [ "$r" = r1 ]; then
		lanip=$R1_LAN_IP wanip=$R1_WAN_IP peer=$R2_WAN_IP locnet=10.0.1.0 remnet=10.0.2.0
		in_spi=$SPI21 in_enc=$ENC21 in_auth=$AUTH21 out_spi=$SPI12 out_enc=$ENC12 out_auth=$AUTH12
	else
		lanip=$R2_LAN_IP wanip=$R2_WAN_IP peer=$R1_WAN_IP locnet=10.0.2.0 remnet=10.0.1.0
		in_spi=$SPI12 in_enc=$ENC12 in_auth=$AUTH12 out_spi=$SPI21 out_enc=$ENC21 out_auth=$AUTH21
	fi
	in_auth=${2:-$in_auth}
	cat <<CFG
hostname $r
!
crypto ipsec transform-set TS esp-aes esp-sha-hmac
!
crypto map CM 10 ipsec-manual
 set peer $peer
 set session-key inbound esp $in_spi cipher $in_enc authenticator $in_auth
 set session-key outbound esp $out_spi cipher $out_enc authenticator $out_auth
 set transform-set TS
 match address 101
!
interface GigabitEthernet0/0
 ip address $lanip 255.255.255.0
!
interface GigabitEthernet0/1
 ip address $wanip 255.255.255.0
 crypto map CM
!
ip route $remnet 255.255.255.0 $peer
!
access-list 101 permit ip $locnet 0.0.0.255 $remnet 0.0.0.255
!
end
CFG
}

sa_spis() {
	awk -v want="$2 ${3:-esp} sas:" '
		index($0, want) { on = 1; next }
		/ sas:$/ { on = 0 }
		on && $1 == "spi:" { s = $2; sub(/\(.*/, "", s); print s }
	' <<<"$1" | while read -r s; do printf '0x%08x\n' "$s"; done | sort -u
}
sa_count() {
	grep -oE "#pkts $2: [0-9]+" <<<"$1" | awk '{ n += $3 } END { print n + 0 }'
}
pings() {
	local out
	out=$(nsx "$1" ping -n -c "${3:-10}" -W 2 -i 0.2 "$2" 2>&1)
	printf '%s\n' "$out" >>"$T/ping.log"
	sed -nE 's/.* ([0-9]+) received.*/\1/p' <<<"$out"
}
tsh() {
	local f=$1 out
	shift
	out=$(tshark -n -r "$f" -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE \
		"$@" 2>"$T/tshark.err") || { cat "$T/tshark.err" >&2; fail "tshark $*"; }
	[ -z "$out" ] || printf '%s\n' "$out"
}

topo_up
: >"$T/ping.log"
mkcfg r1 >"$T/r1.cfg"
mkcfg r2 >"$T/r2.cfg"

pcap=$T/wan.pcap
topo_router_bare r1
ip netns exec "$NS_R1" timeout 60 tcpdump -i "$R1_WAN" -n -U --immediate-mode -s 0 -c 5000 \
	-w "$pcap" >"$T/tcpdump.out" 2>&1 &
tcpdump_pid=$!
_pids+=("$tcpdump_pid")
wait_for 5 grep -q 'listening on' "$T/tcpdump.out" || fail "tcpdump did not start"

topo_spigot_router r1 "$T/r1.cfg"
topo_spigot_router r2 "$T/r2.cfg"

# Manual SAs exist from configuration on: the first echo needs only ARP.
topo_wait_ping h1 "$H2_IP" 10 || { cat "$T/r1.log" "$T/r2.log" >&2; fail "no echo h1 -> h2 within 10 s"; }
s1=$(cli r1 show crypto ipsec sa) s2=$(cli r2 show crypto ipsec sa)
e1=$(sa_count "$s1" encaps) d1=$(sa_count "$s1" decaps)
e2=$(sa_count "$s2" encaps) d2=$(sa_count "$s2" decaps)

ra=$(pings h1 "$H2_IP")
rb=$(pings h2 "$H1_IP")
[ "${ra:-0}" -ge 9 ] || { cat "$T/ping.log" >&2; fail "h1 -> h2: ${ra:-0}/10 replies"; }
[ "${rb:-0}" -ge 9 ] || { cat "$T/ping.log" >&2; fail "h2 -> h1: ${rb:-0}/10 replies"; }
# Two routers, two hops: the replies left the far host with TTL 64.
[ "$(grep -oE 'ttl=[0-9]+' "$T/ping.log" | sort -u)" = ttl=62 ] ||
	{ cat "$T/ping.log" >&2; fail "reply TTLs are not all 62"; }
note "h1 -> h2 $ra/10, h2 -> h1 $rb/10"

s1=$(cli r1 show crypto ipsec sa) s2=$(cli r2 show crypto ipsec sa)
hex12=$(printf '0x%08x' "$SPI12") hex21=$(printf '0x%08x' "$SPI21")
for r in 1 2; do
	s=s$r
	expect_in "${!s}" "transform: esp-aes esp-sha-hmac ," "r$r: transform"
	expect_in "${!s}" "#send errors 0, #recv errors 0" "r$r: send/recv errors"
	expect_in "${!s}" "current_peer: 192\.0\.2\.[12]:" "r$r: peer"
done
[ "$(sa_spis "$s1" outbound)" = "$hex12" ] || { echo "$s1" >&2; fail "r1 outbound esp sas: '$(sa_spis "$s1" outbound)', configured $hex12"; }
[ "$(sa_spis "$s1" inbound)" = "$hex21" ] || fail "r1 inbound esp sas: '$(sa_spis "$s1" inbound)', configured $hex21"
[ "$(sa_spis "$s2" outbound)" = "$hex21" ] || fail "r2 outbound esp sas: '$(sa_spis "$s2" outbound)', configured $hex21"
[ "$(sa_spis "$s2" inbound)" = "$hex12" ] || fail "r2 inbound esp sas: '$(sa_spis "$s2" inbound)', configured $hex12"
expect_in "$s1" "current outbound spi: (0x)?$(printf '%X' "$SPI12")" "r1 current outbound spi"
expect_in "$s2" "current outbound spi: (0x)?$(printf '%X' "$SPI21")" "r2 current outbound spi"

de1=$(($(sa_count "$s1" encaps) - e1)) dd1=$(($(sa_count "$s1" decaps) - d1))
de2=$(($(sa_count "$s2" encaps) - e2)) dd2=$(($(sa_count "$s2" decaps) - d2))
note "r1 encaps +$de1 decaps +$dd1, r2 encaps +$de2 decaps +$dd2"
[ "$de1" -ge $((10 + rb)) ] || fail "r1 encaps grew by $de1 for 10 echoes and $rb replies"
[ "$de2" -ge $((10 + ra)) ] || fail "r2 encaps grew by $de2 for 10 echoes and $ra replies"
[ "$dd1" -ge $((ra + rb)) ] || fail "r1 decaps grew by $dd1 for $ra replies and $rb echoes in"
[ "$dd2" -ge $((ra + rb)) ] || fail "r2 decaps grew by $dd2 for $rb replies and $ra echoes in"

for r in r1 r2; do
	expect_not_in "$(cli $r show crypto isakmp sa)" "QM_IDLE|MM_" "$r: an IKE SA with manual keys"
done

want=$((2 * (ra + rb)))
wait_for 5 sh -c "[ \$(tshark -n -r '$pcap' -Y esp 2>/dev/null | wc -l) -ge $want ]"
kill "$tcpdump_pid" 2>/dev/null
wait "$tcpdump_pid" 2>/dev/null
topo_forget_pid "$tcpdump_pid"

bad=$(tsh "$pcap" -Y '_ws.malformed || _ws.expert.severity >= warning')
[ -z "$bad" ] || { echo "$bad" >&2; fail "tshark flags packets on the WAN"; }
n=$(tsh "$pcap" -Y 'isakmp || udp.port == 500 || udp.port == 4500' | wc -l)
[ "$n" = 0 ] || fail "$n IKE packets on the WAN with manual keys"
esp12=$(tsh "$pcap" -Y "esp && ip.src == $R1_WAN_IP && ip.dst == $R2_WAN_IP" -T fields -e esp.spi | sort -u)
esp21=$(tsh "$pcap" -Y "esp && ip.src == $R2_WAN_IP && ip.dst == $R1_WAN_IP" -T fields -e esp.spi | sort -u)
[ "$esp12" = "$hex12" ] || fail "ESP r1 -> r2 carries SPIs '$esp12', configured $hex12"
[ "$esp21" = "$hex21" ] || fail "ESP r2 -> r1 carries SPIs '$esp21', configured $hex21"
bad=$(tsh "$pcap" -Y "ip.addr == $LAN1_NET || ip.addr == $LAN2_NET || icmp")
[ -z "$bad" ] || { echo "$bad" >&2; fail "cleartext LAN traffic on the WAN"; }

# scapy, with nothing but the configured keys, opens every ESP packet.
$PY - "$pcap" "$R1_WAN_IP" "$R2_WAN_IP" "$SPI12" "$ENC12" "$AUTH12" "$SPI21" "$ENC21" "$AUTH21" \
	"$H1_IP" "$H2_IP" "$want" >"$T/scapy.out" 2>&1 <<'PY' || { cat "$T/scapy.out" >&2; fail "scapy could not open the captured ESP"; }
import sys, warnings
warnings.filterwarnings("ignore")
from scapy.all import IP, ICMP, rdpcap
from scapy.utils import checksum
from scapy.layers.ipsec import ESP, SecurityAssociation

pcap, r1, r2, spi12, enc12, auth12, spi21, enc21, auth21, h1, h2, want = sys.argv[1:]
sas = {}
for src, spi, enc, auth in ((r1, spi12, enc12, auth12), (r2, spi21, enc21, auth21)):
    sas[(src, int(spi))] = SecurityAssociation(
        ESP, spi=int(spi), crypt_algo="AES-CBC", crypt_key=bytes.fromhex(enc),
        auth_algo="HMAC-SHA1-96", auth_key=bytes.fromhex(auth),
        tunnel_header=IP(src=src, dst=r2 if src == r1 else r1))
n = echo = reply = 0
for p in rdpcap(pcap):
    if IP not in p or p[IP].proto != 50:
        continue
    sa = sas.get((p[IP].src, p[ESP].spi))
    if sa is None:
        sys.exit("ESP from %s with unconfigured SPI %#x" % (p[IP].src, p[ESP].spi))
    inner = sa.decrypt(p[IP])  # raises on a bad ICV or padding
    n += 1
    if ICMP not in inner or {inner.src, inner.dst} != {h1, h2}:
        sys.exit("decrypted to something other than h1<->h2 ICMP: %r" % inner)
    b = bytes(inner)
    if checksum(b[:inner.ihl * 4]) != 0 or checksum(b[inner.ihl * 4:inner.len]) != 0:
        sys.exit("decrypted packet with a bad IPv4 or ICMP checksum: %r" % inner)
    # The sending router forwarded it (Linux hosts send with TTL 64) before
    # encrypting; the outer header is the router's own.
    if inner.ttl != 63:
        sys.exit("inner TTL %d, expected 63 (64 from the host, less one hop)" % inner.ttl)
    if inner[ICMP].type == 8:
        echo += 1
    elif inner[ICMP].type == 0:
        reply += 1
print("opened %d ESP packets: %d echoes, %d replies" % (n, echo, reply))
if n < int(want) or echo * 2 < int(want) or reply * 2 < int(want):
    sys.exit("expected at least %s ESP packets, half echoes, half replies" % want)
PY
note "scapy: $(cat "$T/scapy.out")"

# A wrong key on one side: r2 drops what r1 sends and counts it, and nothing
# reaches h2 in the clear.
router_stop r2
topo_forget_pid "$PID_r2"
mkcfg r2 "$(hexkey 20)" >"$T/r2-bad.cfg"
topo_spigotd_start r2 "$T/r2-bad.cfg"
nsx h2 timeout 10 tcpdump -i "$H2_IF" -n -U --immediate-mode -c 100 -w "$T/h2.pcap" icmp >"$T/tcpdump-h2.out" 2>&1 &
tcpdump_pid=$!
_pids+=("$tcpdump_pid")
wait_for 5 grep -q 'listening on' "$T/tcpdump-h2.out" || fail "tcpdump on h2 did not start"
rx=$(pings h1 "$H2_IP" 5)
[ "${rx:-0}" = 0 ] || fail "h1 -> h2 got $rx replies with a wrong authenticator key on r2"
sleep 0.5
kill "$tcpdump_pid" 2>/dev/null
wait "$tcpdump_pid" 2>/dev/null
topo_forget_pid "$tcpdump_pid"
n=$(tsh "$T/h2.pcap" -Y icmp | wc -l)
[ "$n" = 0 ] || fail "$n ICMP packets reached h2 through an SA that fails verification"
sd=$(cli r2 show crypto ipsec sa detail)
vf=$(grep -oE "#pkts verify failed: [0-9]+" <<<"$sd" | awk '{ n += $4 } END { print n + 0 }')
[ "$vf" -ge 5 ] || { echo "$sd" >&2; fail "r2 counted $vf verify failures for 5 echoes with a wrong key"; }
[ "$(sa_count "$sd" decaps)" = 0 ] || fail "r2 decapsulated with a wrong key"
note "wrong key: 0/5, r2 verify failed $vf"

router_stop r1
router_stop r2
topo_forget_pid "$PID_r1"
topo_forget_pid "$PID_r2"
exit 0
