# IKEv2 helpers for the netns interop tests.  Source after lib-spigot.sh.
#
#   spigot_conf2 R [key=value ...]  write $T/spigot-R.cfg: the standard
#                                   crypto-map router over IKEv2 (crypto ikev2
#                                   proposal/policy/keyring/profile and
#                                   set ikev2-profile), print its path
#   spigot_ike2_ios PROPOSAL        strongSwan IKE proposal -> crypto ikev2
#                                   proposal lines
#
# The strongSwan side is swan_conf/swan_router with version=2
# (lib-strongswan.sh: rekey_time instead of reauth_time for IKEv2).

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	echo "SKIP: ${0##*/} is a library for the netns tests, not a test" >&2
	exit 77
fi

# spigot_ike2_ios PROPOSAL: aes256-sha256-modp2048 -> "encryption aes-cbc-256",
# "integrity sha256", "group 14"; AES-GCM takes a prf instead:
# aes128gcm16-prfsha256-ecp256 -> "encryption aes-gcm-128", "prf sha256",
# "group 19".
spigot_ike2_ios() {
	local p=$1 enc rest
	enc=${p%%-*}
	rest=${p#*-}
	case $enc in
	aes128) echo " encryption aes-cbc-128" ;;
	aes192) echo " encryption aes-cbc-192" ;;
	aes256) echo " encryption aes-cbc-256" ;;
	aes128gcm16) echo " encryption aes-gcm-128" ;;
	aes256gcm16) echo " encryption aes-gcm-256" ;;
	*) return 1 ;;
	esac
	local part
	IFS=- read -ra parts <<<"$rest"
	for part in "${parts[@]}"; do
		case $part in
		sha1 | sha256 | sha384 | sha512) echo " integrity $part" ;;
		prfsha1 | prfsha256 | prfsha384 | prfsha512) echo " prf ${part#prf}" ;;
		modp1536) echo " group 5" ;;
		modp2048) echo " group 14" ;;
		modp3072) echo " group 15" ;;
		modp4096) echo " group 16" ;;
		ecp256) echo " group 19" ;;
		ecp384) echo " group 20" ;;
		ecp521) echo " group 21" ;;
		*) return 1 ;;
		esac
	done
}

# spigot_conf2 R [key=value ...]
#   psk ike esp       strongSwan proposal names (ike as spigot_ike2_ios takes)
#   ike_life          crypto ikev2 profile lifetime, seconds (IOS default 86400)
#   child_life        crypto map SA lifetime, seconds (IOS default 3600)
#   dpd               "INTERVAL RETRY on-demand|periodic"; empty = none
#   extra             lines appended before "end"
spigot_conf2() {
	local r=$1
	shift
	local -A o=(
		[psk]=spigot-test-key [ike]=aes128-sha256-modp2048 [esp]=aes128-sha256
		[ike_life]="" [child_life]="" [dpd]="" [extra]=""
	)
	local kv
	for kv in "$@"; do
		[ -n "${o[${kv%%=*}]+x}" ] || fail "spigot_conf2: unknown key ${kv%%=*}"
		o[${kv%%=*}]=${kv#*=}
	done
	local lanip wanip peer locnet remnet
	if [ "$r" = r1 ]; then
		lanip=$R1_LAN_IP wanip=$R1_WAN_IP peer=$R2_WAN_IP locnet=10.0.1.0 remnet=10.0.2.0
	else
		lanip=$R2_LAN_IP wanip=$R2_WAN_IP peer=$R1_WAN_IP locnet=10.0.2.0 remnet=10.0.1.0
	fi
	local ikelines tset
	ikelines=$(spigot_ike2_ios "${o[ike]}") || fail "spigot_conf2: no IOS form for IKEv2 proposal ${o[ike]}"
	tset=$(spigot_esp_ios "${o[esp]}") || fail "spigot_conf2: no IOS form for ESP proposal ${o[esp]}"
	local f=$T/spigot-$r.cfg
	{
		echo "hostname $r"
		echo "!"
		echo "crypto ikev2 proposal P2"
		echo "$ikelines"
		echo "!"
		echo "crypto ikev2 policy POL2"
		echo " proposal P2"
		echo "!"
		echo "crypto ikev2 keyring KR"
		echo " peer SWAN"
		echo "  address $peer"
		echo "  pre-shared-key ${o[psk]}"
		echo " !"
		echo "!"
		echo "crypto ikev2 profile PR"
		echo " match identity remote address $peer 255.255.255.255"
		echo " identity local address $wanip"
		echo " authentication remote pre-share"
		echo " authentication local pre-share"
		echo " keyring local KR"
		[ -z "${o[ike_life]}" ] || echo " lifetime ${o[ike_life]}"
		[ -z "${o[dpd]}" ] || echo " dpd ${o[dpd]}"
		echo "!"
		echo "crypto ipsec transform-set TS $tset"
		echo "!"
		echo "crypto map CM 10 ipsec-isakmp"
		echo " set peer $peer"
		echo " set transform-set TS"
		echo " set ikev2-profile PR"
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
