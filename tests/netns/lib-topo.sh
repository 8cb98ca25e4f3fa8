# The standard four-namespace topology for netns tests and benchmarks.
# Source it after tests/lib.sh (it sources lib.sh itself if $T is unset):
#
#   h1 --LAN1 10.0.1.0/24-- r1 --WAN 192.0.2.0/24-- r2 --LAN2 10.0.2.0/24-- h2
#   .10                    .1  .1                .2  .1                    .10
#
#   topo_up                  namespaces, veths, host addresses and routes
#                            (offloads: kernel defaults; SPIGOT_TEST_OFFLOADS=off: none)
#   topo_router_linux R      R (r1|r2) becomes a plain Linux router
#   topo_router_plain R      same plus a cleartext route to the far LAN
#   topo_router_bare R       R's veths up without addresses, for a spigotd
#   topo_spigotd_start R CFG start spigotd in R, ports Gi0/0=LAN, Gi0/1=WAN
#                            (read from TPACKET_V2 rings; SPIGOT_TEST_RING=off:
#                            recvmmsg, the fallback; checked by topo_check_rx)
#   topo_spigot_router R CFG  both of the above
#   topo_ping / topo_wait_ping   bounded pings between nodes
#   topo_down                delete everything (also registered with on_cleanup)
#
# Names carry a per-run id ($TOPO_ID, default the shell's pid) so parallel
# runs never collide.  After topo_up these variables name things:
#   NS_H1 NS_R1 NS_R2 NS_H2            namespace names
#   R1_LAN R1_WAN R2_WAN R2_LAN        router veth names (inside their ns)
#   H1_IF H2_IF                        host veth names
#   H1_IP H2_IP R1_LAN_IP R1_WAN_IP R2_WAN_IP R2_LAN_IP   addresses
#   LAN1_NET LAN2_NET WAN_NET          prefixes (CIDR)
# Run commands with  nsx h1 CMD...  (nsx takes h1|r1|r2|h2 or a full ns name).

# Executed rather than sourced (tests/run.sh runs every tests/netns/*.sh):
# a library is not a test.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	echo "SKIP: ${0##*/} is a library for the netns tests, not a test" >&2
	exit 77
fi

if [ -z "${T:-}" ]; then
	. "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/tests/lib.sh"
fi

: "${TOPO_ID:=$$}"
NS_H1="sp$TOPO_ID-h1"
NS_R1="sp$TOPO_ID-r1"
NS_R2="sp$TOPO_ID-r2"
NS_H2="sp$TOPO_ID-h2"
# Veth names: role letter + router/host + id; at most 4 + 7 digits < IFNAMSIZ.
H1_IF="h1e$TOPO_ID"
R1_LAN="r1l$TOPO_ID"
R1_WAN="r1w$TOPO_ID"
R2_WAN="r2w$TOPO_ID"
R2_LAN="r2l$TOPO_ID"
H2_IF="h2e$TOPO_ID"

H1_IP=10.0.1.10
R1_LAN_IP=10.0.1.1
R1_WAN_IP=192.0.2.1
R2_WAN_IP=192.0.2.2
R2_LAN_IP=10.0.2.1
H2_IP=10.0.2.10
LAN1_NET=10.0.1.0/24
LAN2_NET=10.0.2.0/24
WAN_NET=192.0.2.0/24

_topo_up=

# nsx NODE CMD...: run CMD in h1|r1|r2|h2 (or any namespace name).
nsx() {
	local n=$1
	shift
	ip netns exec "$(topo_ns "$n")" "$@"
}

topo_ns() {
	case $1 in
	h1) echo "$NS_H1" ;;
	r1) echo "$NS_R1" ;;
	r2) echo "$NS_R2" ;;
	h2) echo "$NS_H2" ;;
	*) echo "$1" ;;
	esac
}

topo_up() {
	need_root
	command -v ip >/dev/null || skip "needs iproute2"
	local ns
	for ns in "$NS_H1" "$NS_R1" "$NS_R2" "$NS_H2"; do
		[ -e "/run/netns/$ns" ] && fail "namespace $ns already exists"
	done
	on_cleanup topo_down
	_topo_up=1
	for ns in "$NS_H1" "$NS_R1" "$NS_R2" "$NS_H2"; do
		ip netns add "$ns" || fail "ip netns add $ns"
		ip -n "$ns" link set lo up
	done
	# Created directly inside the namespaces: nothing ever appears in the
	# root namespace, so parallel runs cannot collide there either.
	ip -n "$NS_H1" link add "$H1_IF" type veth peer name "$R1_LAN" netns "$NS_R1" || fail "veth h1-r1"
	ip -n "$NS_R1" link add "$R1_WAN" type veth peer name "$R2_WAN" netns "$NS_R2" || fail "veth r1-r2"
	ip -n "$NS_R2" link add "$R2_LAN" type veth peer name "$H2_IF" netns "$NS_H2" || fail "veth r2-h2"

	_topo_host "$NS_H1" "$H1_IF" "$H1_IP/24" "$R1_LAN_IP"
	_topo_host "$NS_H2" "$H2_IF" "$H2_IP/24" "$R2_LAN_IP"
	topo_offloads
}

# SPIGOT_TEST_OFFLOADS=on (the default) leaves every veth with the kernel's
# default offloads (checksum offload, TSO/GSO), as a user's host has them;
# =off turns them off on every veth (topo_no_offload), so any test can run
# both ways.  Tests that need one way set it before topo_up.
: "${SPIGOT_TEST_OFFLOADS:=on}"
topo_offloads() {
	case $SPIGOT_TEST_OFFLOADS in
	on) return 0 ;;
	off) topo_no_offload ;;
	*) fail "SPIGOT_TEST_OFFLOADS must be on or off, not $SPIGOT_TEST_OFFLOADS" ;;
	esac
}

_topo_host() {
	local ns=$1 ifc=$2 addr=$3 gw=$4
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 >/dev/null
	ip -n "$ns" addr add "$addr" dev "$ifc"
	ip -n "$ns" link set "$ifc" up
	ip -n "$ns" route add default via "$gw" || fail "default route in $ns"
}

# _topo_router_ifs R -> "NS LANIF WANIF LANIP WANIP"
_topo_router_ifs() {
	case $1 in
	r1) echo "$NS_R1 $R1_LAN $R1_WAN $R1_LAN_IP $R1_WAN_IP" ;;
	r2) echo "$NS_R2 $R2_LAN $R2_WAN $R2_LAN_IP $R2_WAN_IP" ;;
	*) fail "no router $1 (r1|r2)" ;;
	esac
}

# topo_router_linux R: addresses on both veths, forwarding on.  Used for
# strongSwan routers and for the plain-forwarding baseline.
topo_router_linux() {
	local ns lan wan lanip wanip
	read -r ns lan wan lanip wanip <<<"$(_topo_router_ifs "$1")"
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 >/dev/null
	ip -n "$ns" addr add "$lanip/24" dev "$lan"
	ip -n "$ns" addr add "$wanip/24" dev "$wan"
	ip -n "$ns" link set "$lan" up
	ip -n "$ns" link set "$wan" up
}

# topo_router_plain R: a Linux router that also routes the far LAN over the
# WAN in the clear: the no-IPsec baseline.  (strongSwan routers must not get
# this route: with the SA down, traffic would leak out unencrypted.)
topo_router_plain() {
	topo_router_linux "$1"
	if [ "$1" = r1 ]; then
		ip -n "$NS_R1" route add "$LAN2_NET" via "$R2_WAN_IP" || fail "route in r1"
	else
		ip -n "$NS_R2" route add "$LAN1_NET" via "$R1_WAN_IP" || fail "route in r2"
	fi
}

# topo_router_bare R: veths up, no IPv4 or IPv6 addresses and no forwarding,
# so the kernel neither answers ARP nor routes: a spigotd bound to the veths
# with packet: ports owns layer 3 alone.
topo_router_bare() {
	local ns lan wan lanip wanip ifc
	read -r ns lan wan lanip wanip <<<"$(_topo_router_ifs "$1")"
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=0 \
		net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 >/dev/null
	for ifc in "$lan" "$wan"; do
		ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$ifc.disable_ipv6=1" >/dev/null
		ip -n "$ns" link set "$ifc" up
	done
}

# topo_no_offload: turn off checksum and segmentation offloads on every veth
# (SPIGOT_TEST_OFFLOADS=off).  With them on, a veth hands its peer packets
# with checksums left to "hardware" and TCP segments up to 64 KB, and
# spigotd's packet: ports finish and segment them (src/net/gso.c); with them
# off it sees what a real wire would carry.
topo_no_offload() {
	local pair ns ifc
	command -v ethtool >/dev/null || skip "SPIGOT_TEST_OFFLOADS=off needs ethtool"

	for pair in "$NS_H1:$H1_IF" "$NS_R1:$R1_LAN" "$NS_R1:$R1_WAN" \
		"$NS_R2:$R2_WAN" "$NS_R2:$R2_LAN" "$NS_H2:$H2_IF"; do
		ns=${pair%%:*} ifc=${pair#*:}
		ip netns exec "$ns" ethtool -K "$ifc" tx off sg off tso off gso off gro off >/dev/null 2>&1 ||
			fail "ethtool -K $ifc failed"
	done
}

# topo_spigotd_try R CONFIG [NAME]: run $SPIGOTD in router R's namespace,
# GigabitEthernet0/0 = LAN veth, GigabitEthernet0/1 = WAN veth; control
# socket $T/NAME.sock (default NAME = R), log $T/NAME.log (--debug-log:
# every line, whatever `logging console` says), pid in PID_NAME,
# so lib.sh's router_stop NAME and cli NAME work as for any router.  Returns
# 1 with the reason in $TOPO_ERR when spigotd is missing or dies at start
# (for benchmarks that must carry on); topo_spigotd_start fails the test.
topo_spigotd_try() {
	local r=$1 cfg=$2 name=${3:-$1} ns lan wan lanip wanip
	read -r ns lan wan lanip wanip <<<"$(_topo_router_ifs "$r")"
	TOPO_ERR=
	[ -x "$SPIGOTD" ] || { TOPO_ERR="no spigotd at $SPIGOTD"; return 1; }
	rm -f "$T/$name.sock"
	local rx= wk=()
	[ "${SPIGOT_TEST_RING:-on}" = on ] || rx=:noring
	# SPIGOT_TEST_WORKERS=N: spigotd --workers N (tests/netns/workers.sh).
	[ -z "${SPIGOT_TEST_WORKERS:-}" ] || wk=(--workers "$SPIGOT_TEST_WORKERS")
	ip netns exec "$ns" "$SPIGOTD" "${wk[@]}" --debug-log --config "$cfg" --control "$T/$name.sock" \
		--port "GigabitEthernet0/0=packet:$lan$rx" --port "GigabitEthernet0/1=packet:$wan$rx" \
		>"$T/$name.log" 2>&1 </dev/null &
	local pid=$! i
	_pids+=("$pid")
	printf -v "PID_${name//[^A-Za-z0-9_]/_}" '%s' "$pid"
	for i in $(seq 100); do
		[ -S "$T/$name.sock" ] && return 0
		if ! kill -0 "$pid" 2>/dev/null; then
			TOPO_ERR="spigotd $name exited at start: $(_topo_first_error "$T/$name.log")"
			return 1
		fi
		sleep 0.05
	done
	TOPO_ERR="spigotd $name: no control socket after 5 s"
	return 1
}

# topo_check_rx R: router R's packet: ports read the way SPIGOT_TEST_RING
# says (on, the default: from a TPACKET_V2 ring; off: recvmmsg, the fallback).
topo_check_rx() {
	local out want=' Rx ring: TPACKET_V2, '
	[ "${SPIGOT_TEST_RING:-on}" = on ] || want=' Rx ring: none, recvmmsg \(turned off by :noring\), 1 fallbacks'
	out=$(cli "$1" show interfaces)
	[ "$(grep -cE "$want" <<<"$out")" = 2 ] || { printf '%s\n' "$out" >&2; fail "$1: packet: ports do not read as SPIGOT_TEST_RING=${SPIGOT_TEST_RING:-on} says"; }
}

# The line that says what went wrong: an IOS "%" message with the config line
# it refers to, else the last line.
_topo_first_error() {
	local l
	l=$(grep -m1 -A1 -E '% |error|Error' "$1" | tr -s ' \n' ' ')
	[ -n "$l" ] || l=$(grep -v '^[[:space:]]*$' "$1" | tail -1)
	printf '%s' "$l"
}

topo_spigotd_start() {
	topo_spigotd_try "$@" && { topo_check_rx "${3:-$1}"; return 0; }
	cat "$T/${3:-$1}.log" >&2 2>/dev/null
	fail "$TOPO_ERR"
}

# topo_spigot_router R CONFIG [NAME]: R becomes a spigot router.
topo_spigot_router() {
	topo_router_bare "$1"
	topo_spigotd_start "$@"
}

# topo_forget_pid PID: a process we started is gone; drop it from lib.sh's
# cleanup list so a later reuse of its pid is never signalled.
topo_forget_pid() {
	local p keep=()
	for p in "${_pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	_pids=("${keep[@]}")
}

# topo_kill_ns NS: kill every process left in a namespace, bounded.
topo_kill_ns() {
	local ns=$1 i p pids
	pids=$(ip netns pids "$ns" 2>/dev/null)
	[ -n "$pids" ] || return 0
	kill $pids 2>/dev/null
	for i in $(seq 30); do
		[ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break
		sleep 0.1
	done
	ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
	for i in $(seq 20); do
		[ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break
		sleep 0.1
	done
	# Reap the ones that were our children, then forget them.
	for p in $pids; do
		wait "$p" 2>/dev/null
		topo_forget_pid "$p"
	done
	return 0
}

topo_down() {
	[ -n "$_topo_up" ] || return 0
	local ns
	for ns in "$NS_H1" "$NS_R1" "$NS_R2" "$NS_H2"; do
		[ -e "/run/netns/$ns" ] || continue
		topo_kill_ns "$ns"
		ip netns del "$ns" 2>/dev/null
	done
	_topo_up=
	return 0
}

# topo_ping FROM DST [COUNT]: ping with a bounded wait; returns ping's status.
topo_ping() {
	nsx "$1" ping -q -n -c "${3:-3}" -W 2 -i 0.2 "$2"
}

# topo_wait_ping FROM DST SECONDS: until one ping gets through, bounded.
topo_wait_ping() {
	local from=$1 dst=$2 secs=$3 end=$((SECONDS + $3))
	while [ $SECONDS -lt $end ]; do
		nsx "$from" ping -q -n -c 1 -W 1 "$dst" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}
