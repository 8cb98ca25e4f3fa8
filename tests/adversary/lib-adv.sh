# The seed lab with an adversary on its A-B link (source after tests/lib.sh).
#   A Fa0/0 udp:PA <-> relay RA | relay RB <-> udp:PB B Et1/0
# The relay (advlib.py, run by each test's Python half) owns RA and RB, so
# every datagram on the link passes through it and only it can inject; the
# inside stubs (A Fa0/1, B Et1/1) lead to ports the relay also listens on, to
# see cleartext that crossed a router.
#   adv_up [EXTRA-CONFIG-LINES]   writes configs, starts A and B
#     ADV_LAB=seed-ikev2 takes labs/seed-ikev2's configs instead (IKEv2);
#     ADV_V2_PROFILE='LINE;LINE' adds lines to its `crypto ikev2 profile`;
#     ADV_V2_TWO_ACES=1 keeps the host ACE before the subnet one (as the IKEv1 lab)
#   adv_py SCENARIO               runs tests/adversary/advlib.py SCENARIO
#   adv_down                      stops both routers (sanitizer reports fail)
adv_up() {
	local extra=${1:-}
	export ADV_PA=$(free_port) ADV_PB=$(free_port) ADV_RA=$(free_port) ADV_RB=$(free_port)
	export ADV_IA=$(free_port) ADV_IB=$(free_port) ADV_XA=$(free_port) ADV_XB=$(free_port)
	# The seed's configs, plus a subnet-wide ACE (traffic *through* the routers
	# is protected too), periodic DPD (so the record holds R-U-THERE/ACK)
	# and what the test adds.
	local r
	if [ "${ADV_LAB:-seed}" = seed-ikev2 ]; then
		# IKEv2: the profile takes what the test adds (DPD, lifetimes).
		local pl=${ADV_V2_PROFILE:-}
		for r in a b; do
			cp "$TOP/labs/seed-ikev2/router-$r.cfg" "$T/$r.cfg"
			[ -n "$pl" ] && sed -i "/^ lifetime 180/a\\ ${pl//;/\\n }" "$T/$r.cfg"
		done
	else
		for r in a b; do
			sed -e '/^crypto isakmp invalid-spi-recovery/a crypto isakmp keepalive 10 2 periodic' \
				"$TOP/labs/seed/router-$r.cfg" >"$T/$r.cfg"
		done
	fi
	# (IKEv2: the subnet ACE instead of the host one, one flow: spigot's IKEv2 responder
	# narrows every Child SA to the ACL's first ACE, see ikev2_second_ace.sh.)
	local ai=a
	[ "${ADV_LAB:-seed}" = seed-ikev2 ] && [ -z "${ADV_V2_TWO_ACES:-}" ] && ai=c
	sed -i "/^access-list 150 permit ip host 10.0.0.1 host 10.0.2.2/$ai access-list 150 permit ip 10.0.0.0 0.0.0.255 10.0.2.0 0.0.0.255" "$T/a.cfg"
	sed -i "/^access-list 150 permit ip host 10.0.2.2 host 10.0.0.1/$ai access-list 150 permit ip 10.0.2.0 0.0.0.255 10.0.0.0 0.0.0.255" "$T/b.cfg"
	[ -n "$extra" ] && for r in a b; do printf '%s\n' "$extra" >>"$T/$r.cfg"; done
	router_start A "$T/a.cfg" --port "FastEthernet0/0=udp:$ADV_PA:127.0.0.1:$ADV_RA" \
		--port "FastEthernet0/1=udp:$ADV_IA:127.0.0.1:$ADV_XA"
	router_start B "$T/b.cfg" --port "Ethernet1/0=udp:$ADV_PB:127.0.0.1:$ADV_RB" \
		--port "Ethernet1/1=udp:$ADV_IB:127.0.0.1:$ADV_XB"
	export ADV_SOCK_A=$T/A.sock ADV_SOCK_B=$T/B.sock ADV_DIR=$T SPIGOT
}

adv_py() {
	/usr/bin/python3 "$TOP/tests/adversary/advlib.py" "$@"
}

adv_down() {
	router_stop A
	router_stop B
}
