# strongSwan (charon-systemd + kernel-libipsec) as a router in the standard
# topology.  Source after lib-topo.sh.  See tests/netns/README.md.
#
#   swan_need                      skip (77) unless strongSwan is installed
#   swan_conf R [key=value ...]    write R's swanctl.conf (IKEv1 Main Mode PSK)
#   swan_start R                   start charon in R's namespace, load the config
#   swan_load R                    (re)load R's swanctl.conf into a running charon
#   swan_wait_child R [SECS]       until R has an INSTALLED CHILD_SA (default 20 s)
#   swan_spis R                    print "in SPI" / "out SPI" lines (hex, no 0x)
#   swan_initiate R / swan_terminate R     the CHILD_SA (and IKE SA for terminate)
#   swan_kill9 R / swan_restart R  SIGKILL charon (SAs lost) / start it again
#   swan_stop R                    SIGTERM, bounded wait, then SIGKILL
#   swanctl_in R ARGS...           swanctl against R's charon
#   swan_ike_established R         R has an ESTABLISHED IKEv2 SA (version=2)
#   swan_ike_spis R                "SPIi SPIr" of R's IKEv2 SAs
#
# Everything an instance owns is under $T/swan-R/; its log is $T/R-charon.log.
#
# How this strongSwan (5.9.8, Debian 12, kernel-libipsec) behaves here:
# libipsec only does UDP-encapsulated ESP, so charon fakes NAT detection and
# both sides float to 4500 and send ESP in UDP 4500; the tunnel is a TUN device
# ipsec0 (MTU 1400) with routes to the remote subnet in table 220.

# Executed rather than sourced (tests/run.sh runs every tests/netns/*.sh):
# a library is not a test.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	echo "SKIP: ${0##*/} is a library for the netns tests, not a test" >&2
	exit 77
fi

SWAN_CHARON=${SWAN_CHARON:-/usr/sbin/charon-systemd}
SWAN_PLUGINS=${SWAN_PLUGINS:-"random nonce openssl aes sha1 sha2 md5 hmac gcm gmp curve25519 kdf pem pkcs1 x509 pubkey kernel-libipsec kernel-netlink socket-default vici updown"}
# esp at 1 keeps per-packet logging off during throughput runs; tests that
# want to see data-plane drops raise it.
: "${SWAN_LOG_ESP:=1}"
: "${SWAN_LOG_IKE:=2}"

swan_need() {
	need_root
	[ -x "$SWAN_CHARON" ] || skip "needs strongSwan ($SWAN_CHARON, package charon-systemd)"
	command -v swanctl >/dev/null || skip "needs swanctl (package strongswan-swanctl)"
	local p
	for p in kernel-libipsec vici; do
		[ -e "/usr/lib/ipsec/plugins/libstrongswan-$p.so" ] ||
			skip "needs strongSwan plugin $p (libcharon-extra-plugins)"
	done
}

_swan_dir() { echo "$T/swan-$1"; }

# swan_conf R [key=value ...]: defaults are the standard topology seen from R.
#   local remote         WAN addresses (IKE endpoints and IDs)
#   local_ts remote_ts   protected subnets
#   psk                  pre-shared key              (spigot-test-key)
#   ike                  IKE proposal                (aes128-sha1-modp2048)
#   esp                  ESP proposal                (aes128-sha1; add -modpN for PFS)
#   version              IKE version                 (1)
#   ike_rekey ike_life   IKE SA rekey/reauth time and hard life, seconds (86400 / +10%)
#   child_rekey child_life   CHILD_SA rekey and hard life, seconds (3600 / +10%)
#   dpd_delay dpd_timeout    seconds; 0 = no DPD     (0 / 150)
#   dpd_action           clear|trap|restart          (restart)
#   start_action         trap|start|none             (start if initiator, else none)
#                        trap is useless here: libipsec (5.9.8) never raises an
#                        acquire; it logs "could not find an outbound IPsec SA
#                        for reqid" and drops.  Initiate with start or swan_initiate.
#   initiator            yes|no                      (yes)
#   name                 connection and child name   (tun)
swan_conf() {
	local r=$1
	shift
	local ns lan wan lanip wanip
	read -r ns lan wan lanip wanip <<<"$(_topo_router_ifs "$r")"
	local -A o=(
		[local]=$wanip [local_ts]="" [remote]="" [remote_ts]=""
		[psk]=spigot-test-key [ike]=aes128-sha1-modp2048 [esp]=aes128-sha1 [version]=1
		[ike_rekey]=86400 [ike_life]="" [child_rekey]=3600 [child_life]=""
		[dpd_delay]=0 [dpd_timeout]=150 [dpd_action]=restart
		[start_action]="" [initiator]=yes [name]=tun
	)
	if [ "$r" = r1 ]; then
		o[local_ts]=$LAN1_NET o[remote]=$R2_WAN_IP o[remote_ts]=$LAN2_NET
	else
		o[local_ts]=$LAN2_NET o[remote]=$R1_WAN_IP o[remote_ts]=$LAN1_NET
	fi
	local kv
	for kv in "$@"; do
		[ -n "${o[${kv%%=*}]+x}" ] || fail "swan_conf: unknown key ${kv%%=*}"
		o[${kv%%=*}]=${kv#*=}
	done
	[ -n "${o[ike_life]}" ] || o[ike_life]=$((o[ike_rekey] + o[ike_rekey] / 10))
	[ -n "${o[child_life]}" ] || o[child_life]=$((o[child_rekey] + o[child_rekey] / 10))
	if [ -z "${o[start_action]}" ]; then
		[ "${o[initiator]}" = yes ] && o[start_action]=start || o[start_action]=none
	fi
	[ "${o[ike_life]}" -gt "${o[ike_rekey]}" ] || fail "swan_conf: ike_life must exceed ike_rekey"
	[ "${o[child_life]}" -gt "${o[child_rekey]}" ] || fail "swan_conf: child_life must exceed child_rekey"

	local d
	d=$(_swan_dir "$r")
	mkdir -p "$d"
	# IKEv1 has no IKE rekeying, only reauthentication; over_time turns the
	# rekey time into a hard lifetime (life = rekey + over).
	local ikerk=rekey_time
	[ "${o[version]}" = 1 ] && ikerk=reauth_time
	cat >"$d/swanctl.conf" <<EOF
connections {
	${o[name]} {
		version = ${o[version]}
		aggressive = no
		local_addrs = ${o[local]}
		remote_addrs = ${o[remote]}
		proposals = ${o[ike]}
		$ikerk = ${o[ike_rekey]}s
		over_time = $((o[ike_life] - o[ike_rekey]))s
		rand_time = 0s
		dpd_delay = ${o[dpd_delay]}s
		dpd_timeout = ${o[dpd_timeout]}s
		local {
			auth = psk
			id = ${o[local]}
		}
		remote {
			auth = psk
			id = ${o[remote]}
		}
		children {
			${o[name]} {
				mode = tunnel
				local_ts = ${o[local_ts]}
				remote_ts = ${o[remote_ts]}
				esp_proposals = ${o[esp]}
				rekey_time = ${o[child_rekey]}s
				life_time = ${o[child_life]}s
				rand_time = 0s
				start_action = ${o[start_action]}
				dpd_action = ${o[dpd_action]}
			}
		}
	}
}
secrets {
	ike-${o[name]} {
		id-a = ${o[local]}
		id-b = ${o[remote]}
		secret = "${o[psk]}"
	}
}
EOF
	printf '%s\n' "${o[name]}" >"$d/name"
}

_swan_write_strongswan_conf() {
	local r=$1 d
	d=$(_swan_dir "$r")
	mkdir -p "$d"
	# charon-systemd reads "charon-systemd" and falls back to "charon".
	cat >"$d/strongswan.conf" <<EOF
charon {
	load = $SWAN_PLUGINS
	port = 500
	port_nat_t = 4500
	install_virtual_ip = no
	retransmit_tries = 3
	retransmit_timeout = 2.0
	${SWAN_CHARON_EXTRA:-}
	filelog {
		charon {
			path = $T/$r-charon.log
			time_format = %H:%M:%S
			default = 1
			ike = $SWAN_LOG_IKE
			knl = 1
			esp = $SWAN_LOG_ESP
			append = yes
			flush_line = yes
		}
	}
	journal {
		default = -1
	}
	plugins {
		vici {
			socket = unix://$d/charon.vici
		}
	}
}
charon-systemd {
	journal {
		default = -1
	}
}
swanctl {
	socket = unix://$d/charon.vici
}
EOF
}

# swanctl_in R ARGS...: swanctl talking to R's charon.
swanctl_in() {
	local r=$1 d
	shift
	d=$(_swan_dir "$r")
	STRONGSWAN_CONF=$d/strongswan.conf timeout 30 swanctl "$@"
}

_swan_pidvar() { echo "SWAN_PID_$1"; }

# swan_start R: charon in R's namespace with R's own config; loads
# swanctl.conf if swan_conf wrote one.  Fails after 10 s without a vici socket.
swan_start() {
	local r=$1 ns lan wan lanip wanip d
	read -r ns lan wan lanip wanip <<<"$(_topo_router_ifs "$r")"
	d=$(_swan_dir "$r")
	_swan_write_strongswan_conf "$r"
	rm -f "$d/charon.vici"
	# libipsec's decrypted packets enter through ipsec0; strict reverse path
	# filtering would drop them.
	ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 >/dev/null
	ip netns exec "$ns" env STRONGSWAN_CONF="$d/strongswan.conf" "$SWAN_CHARON" \
		>>"$T/$r-charon.out" 2>&1 </dev/null &
	local pid=$!
	printf -v "$(_swan_pidvar "$r")" '%s' "$pid"
	_pids+=("$pid")
	local i
	for i in $(seq 100); do
		if [ -S "$d/charon.vici" ] && swanctl_in "$r" --stats >/dev/null 2>&1; then
			[ -f "$d/swanctl.conf" ] && swan_load "$r"
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || { tail -20 "$T/$r-charon.log" "$T/$r-charon.out" >&2; fail "charon in $r exited at start"; }
		sleep 0.1
	done
	tail -20 "$T/$r-charon.log" >&2
	fail "charon in $r: no vici socket after 10 s"
}

swan_load() {
	local r=$1
	swanctl_in "$r" --load-all --noprompt --file "$(_swan_dir "$r")/swanctl.conf" >>"$T/$r-swanctl.out" 2>&1 ||
		{ tail -20 "$T/$r-swanctl.out" >&2; fail "swanctl --load-all in $r"; }
}

_swan_name() { cat "$(_swan_dir "$1")/name" 2>/dev/null || echo tun; }

# swan_child_installed R: true when R has an INSTALLED CHILD_SA.
swan_child_installed() {
	swanctl_in "$1" --list-sas 2>/dev/null | grep -qE "^  +$(_swan_name "$1"): #[0-9]+, reqid [0-9]+, INSTALLED"
}

swan_wait_child() {
	local r=$1 secs=${2:-20}
	wait_for "$secs" swan_child_installed "$r" && return 0
	swanctl_in "$r" --list-sas >&2 2>&1
	tail -30 "$T/$r-charon.log" >&2
	fail "no CHILD_SA installed in $r after $secs s"
}

# swan_spis R: one line per installed CHILD_SA direction, "in c1a2b3c4" and
# "out d5e6f7a8", from the plain --list-sas output, e.g.
#     in  c3b2c7a5 (-|0x00000000),      0 bytes,     0 packets
#     out cb2d2a7d (-|0x00000000),      0 bytes,     0 packets
swan_spis() {
	swanctl_in "$1" --list-sas 2>/dev/null |
		awk '($1 == "in" || $1 == "out") && $2 ~ /^[0-9a-f]+,$/ { sub(",", "", $2); print $1, $2 }'
}

swan_initiate() {
	local r=$1 n
	n=$(_swan_name "$r")
	swanctl_in "$r" --initiate --child "$n" --timeout 20 >>"$T/$r-swanctl.out" 2>&1
}

# swan_terminate R: deletes the IKE SA (and with it the CHILD_SAs), sending
# Delete payloads to the peer.
swan_terminate() {
	local r=$1 n
	n=$(_swan_name "$r")
	swanctl_in "$r" --terminate --ike "$n" --timeout 10 >>"$T/$r-swanctl.out" 2>&1
}

# swan_kill9 R: the peer "reboots": SAs vanish without a Delete.
swan_kill9() {
	local r=$1 var pid
	var=$(_swan_pidvar "$r")
	pid=${!var:-}
	[ -n "$pid" ] || return 0
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	topo_forget_pid "$pid"
	printf -v "$var" '%s' ""
	# ipsec0 goes with the process (TUN); its table-220 routes go with ipsec0.
	return 0
}

swan_restart() {
	swan_kill9 "$1"
	swan_start "$1"
}

swan_stop() {
	local r=$1 var pid i
	var=$(_swan_pidvar "$r")
	pid=${!var:-}
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	topo_forget_pid "$pid"
	printf -v "$var" '%s' ""
	return 0
}

# swan_router R [swan_conf args]: R becomes a Linux router running strongSwan.
swan_router() {
	local r=$1
	shift
	topo_router_linux "$r"
	swan_conf "$r" "$@"
	swan_start "$r"
}

# IKEv2 (swan_conf version=2): the IKE SA, for peers whose CHILD_SAs may
# not come up.
# swan_ike_established R: true when R has an ESTABLISHED IKEv2 SA.
swan_ike_established() {
	swanctl_in "$1" --list-sas 2>/dev/null | grep -qE "^$(_swan_name "$1"): #[0-9]+, ESTABLISHED, IKEv2"
}

# swan_ike_spis R: "SPIi SPIr" (16 hex digits each) of R's IKE SAs, one a line.
swan_ike_spis() {
	swanctl_in "$1" --list-sas 2>/dev/null |
		sed -nE "s/^$(_swan_name "$1"): #[0-9]+, [A-Z_]+, IKEv2, ([0-9a-f]{16})_i\*? ([0-9a-f]{16})_r\*?$/\1 \2/p"
}
