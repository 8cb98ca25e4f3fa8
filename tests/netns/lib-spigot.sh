# spigot as a router in the standard topology.  Source after lib-topo.sh.
#
#   spigot_conf R [key=value ...]   write $T/spigot-R.cfg (IOS) and print its path
#   spigot_router R [key=value ...] R becomes a spigot router with that config
#   spigot_try R [key=value ...]    same, but returns 1 with $TOPO_ERR set
#
# Proposals use strongSwan's names so one test can give the same proposal to
# both peers; spigot_ike_ios / spigot_esp_ios translate them to IOS.

# Executed rather than sourced (tests/run.sh runs every tests/netns/*.sh):
# a library is not a test.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	echo "SKIP: ${0##*/} is a library for the netns tests, not a test" >&2
	exit 77
fi

# spigot_ike_ios PROPOSAL: aes128-sha1-modp2048 -> IOS isakmp policy lines.
spigot_ike_ios() {
	local enc=${1%%-*} rest=${1#*-}
	local hash=${rest%%-*} grp=${rest#*-}
	case $enc in
	aes128) echo " encryption aes 128" ;;
	aes192) echo " encryption aes 192" ;;
	aes256) echo " encryption aes 256" ;;
	3des) echo " encryption 3des" ;;
	des) echo " encryption des" ;;
	*) return 1 ;;
	esac
	case $hash in
	sha1) echo " hash sha" ;;
	md5) echo " hash md5" ;;
	sha256) echo " hash sha256" ;;
	*) return 1 ;;
	esac
	case $grp in
	modp768) echo " group 1" ;;
	modp1024) echo " group 2" ;;
	modp1536) echo " group 5" ;;
	modp2048) echo " group 14" ;;
	ecp256) echo " group 19" ;;
	*) return 1 ;;
	esac
}

# spigot_esp_ios PROPOSAL: aes128-sha1 -> "esp-aes esp-sha-hmac"; an optional
# -modpN suffix (PFS) is dropped here, see spigot_pfs_ios.
spigot_esp_ios() {
	local p=${1%-modp*} enc auth
	enc=${p%%-*}
	auth=${p#*-}
	[ "$auth" = "$p" ] && auth=
	case $enc in
	aes128) enc="esp-aes" ;;
	aes192) enc="esp-aes 192" ;;
	aes256) enc="esp-aes 256" ;;
	aes128gcm16) enc="esp-gcm 128"; [ -z "$auth" ] || return 1 ;;
	aes256gcm16) enc="esp-gcm 256"; [ -z "$auth" ] || return 1 ;;
	3des) enc="esp-3des" ;;
	des) enc="esp-des" ;;
	null) enc="esp-null" ;;
	*) return 1 ;;
	esac
	case $auth in
	"") ;;
	sha1) auth=" esp-sha-hmac" ;;
	md5) auth=" esp-md5-hmac" ;;
	sha256) auth=" esp-sha256-hmac" ;;
	*) return 1 ;;
	esac
	echo "$enc$auth"
}

spigot_pfs_ios() {
	case $1 in
	*-modp1024) echo " set pfs group2" ;;
	*-modp1536) echo " set pfs group5" ;;
	*-modp2048) echo " set pfs group14" ;;
	esac
}

# spigot_conf R [key=value ...]: the standard crypto-map router seen from R.
#   psk ike esp          as swan_conf (strongSwan proposal names)
#   ike_life             isakmp policy lifetime, seconds (IOS default 86400)
#   child_life           crypto map SA lifetime, seconds (IOS default 3600)
#   keepalive            "SECS RETRY" for crypto isakmp keepalive (DPD); empty = none
#   recovery             yes = crypto isakmp invalid-spi-recovery
#   extra                lines appended before "end" (use $'...' for newlines)
spigot_conf() {
	local r=$1
	shift
	local -A o=(
		[psk]=spigot-test-key [ike]=aes128-sha1-modp2048 [esp]=aes128-sha1
		[ike_life]="" [child_life]="" [keepalive]="" [recovery]=no [extra]=""
	)
	local kv
	for kv in "$@"; do
		[ -n "${o[${kv%%=*}]+x}" ] || fail "spigot_conf: unknown key ${kv%%=*}"
		o[${kv%%=*}]=${kv#*=}
	done
	local lanip wanip peer locnet remnet remnet_base
	if [ "$r" = r1 ]; then
		lanip=$R1_LAN_IP wanip=$R1_WAN_IP peer=$R2_WAN_IP locnet=10.0.1.0 remnet=10.0.2.0
	else
		lanip=$R2_LAN_IP wanip=$R2_WAN_IP peer=$R1_WAN_IP locnet=10.0.2.0 remnet=10.0.1.0
	fi
	local ikelines tset
	ikelines=$(spigot_ike_ios "${o[ike]}") || fail "spigot_conf: no IOS form for IKE proposal ${o[ike]}"
	tset=$(spigot_esp_ios "${o[esp]}") || fail "spigot_conf: no IOS form for ESP proposal ${o[esp]}"
	local f=$T/spigot-$r.cfg
	{
		echo "hostname $r"
		echo "!"
		echo "crypto isakmp policy 10"
		echo "$ikelines"
		echo " authentication pre-share"
		[ -z "${o[ike_life]}" ] || echo " lifetime ${o[ike_life]}"
		echo "crypto isakmp key ${o[psk]} address $peer"
		[ -z "${o[keepalive]}" ] || echo "crypto isakmp keepalive ${o[keepalive]}"
		[ "${o[recovery]}" != yes ] || echo "crypto isakmp invalid-spi-recovery"
		echo "!"
		echo "crypto ipsec transform-set TS $tset"
		echo "!"
		echo "crypto map CM 10 ipsec-isakmp"
		echo " set peer $peer"
		echo " set transform-set TS"
		spigot_pfs_ios "${o[esp]}"
		[ -z "${o[child_life]}" ] || echo " set security-association lifetime seconds ${o[child_life]}"
		echo " match address 101"
		echo "!"
		echo "interface GigabitEthernet0/0"
		echo " ip address $lanip 255.255.255.0"
		echo "!"
		echo "interface GigabitEthernet0/1"
		echo " ip address $wanip 255.255.255.0"
		echo " crypto map CM"
		echo "!"
		echo "ip route $remnet 255.255.255.0 $peer"
		echo "!"
		echo "access-list 101 permit ip $locnet 0.0.0.255 $remnet 0.0.0.255"
		[ -z "${o[extra]}" ] || printf '%s\n' "${o[extra]}"
		echo "!"
		echo "end"
	} >"$f"
	echo "$f"
}

spigot_try() {
	local r=$1 f
	shift
	f=$(spigot_conf "$r" "$@") || { TOPO_ERR="bad spigot_conf arguments"; return 1; }
	topo_router_bare "$r"
	topo_spigotd_try "$r" "$f"
}

spigot_router() {
	spigot_try "$@" && { topo_check_rx "$1"; return 0; }
	cat "$T/$1.log" >&2 2>/dev/null
	fail "$TOPO_ERR"
}
