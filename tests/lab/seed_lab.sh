#!/usr/bin/env bash
# The seed lab through the lab runner, as a newcomer would use it: both
# routers come up from labs/seed, ping each other's inside address from their
# own (the crypto map brings IKE and IPsec up on the first packet), and the
# seed's own, unchanged configs load too.
. "${TOP:-$(dirname "$0")/../..}/tests/lib.sh"
export SPIGOTD

lab=$T/seed
mkdir -p "$lab"
cp "$TOP"/labs/seed/router-a.cfg "$TOP"/labs/seed/router-b.cfg "$lab/"
base=$(/usr/bin/python3 -c 'import random; print(random.randrange(41000, 46000, 8))')
sed "s/^baseport .*/baseport $base/" "$TOP/labs/seed/lab.conf" >"$lab/lab.conf"
on_cleanup "'$SPIGOT' lab down '$lab'"

"$SPIGOT" lab up "$lab" >"$T/up.out" 2>&1 || { cat "$T/up.out"; fail "lab up"; }
st=$("$SPIGOT" lab status "$lab") || fail "lab status says a router is down: $st"
expect_in "$st" "^A +running" "status lists A running"
expect_in "$st" "FastEthernet0/0 +udp:$base:127.0.0.1:$((base + 1))" "A's link port"

out=$("$SPIGOT" lab exec "$lab" A ping 10.0.2.2 source 10.0.0.1 repeat 30)
expect_in "$out" "Success rate is 100 percent \(30/30\)" "A -> B inside, 30/30"
out=$("$SPIGOT" lab exec "$lab" B ping 10.0.0.1 source 10.0.2.2 repeat 30)
expect_in "$out" "Success rate is 100 percent \(30/30\)" "B -> A inside, 30/30"

for r in A B; do
	out=$("$SPIGOT" lab exec "$lab" $r show crypto isakmp sa)
	expect_in "$out" "QM_IDLE" "$r: IKE SA in QM_IDLE"
done
out=$("$SPIGOT" lab exec "$lab" A show ip interface brief)
expect_in "$out" "^FastEthernet0/0 +10.1.1.1 +YES +[A-Za-z]+ +up +up" "A Fa0/0 up/up"
expect_in "$out" "^Serial1/0 +unassigned .*administratively down +down" "A Serial1/0 shut"

# A command that fails exits non-zero.
if "$SPIGOT" lab exec "$lab" A show crypto bogus >/dev/null 2>&1; then fail "bad command exited 0"; fi

"$SPIGOT" lab down "$lab" >/dev/null
for r in A B; do
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$lab/run/$r.log"; then
		cat "$lab/run/$r.log" >&2
		fail "$r: sanitizer report"
	fi
done

# The seed's own configs, unchanged, load and run.  The project keeps them
# (tests/unit/data); where the original seed sits next to the checkout, they
# must still be byte for byte the seed's.
seed=$TOP/tests/unit/data
for name in router-a router-b; do
	if [ -f "$TOP/../shared/seed/$name.cfg" ]; then
		cmp -s "$seed/$name.cfg" "$TOP/../shared/seed/$name.cfg" ||
			fail "$seed/$name.cfg differs from ../shared/seed/$name.cfg"
	fi
done
for cfg in "$seed"/router-a.cfg "$seed"/router-b.cfg; do
	name=$(basename "$cfg" .cfg)
	router_start "$name" "$cfg"
	out=$(cli "$name" show running-config)
	expect_in "$out" "^crypto isakmp invalid-spi-recovery" "$name: running-config keeps the feature"
	expect_in "$out" "^crypto ipsec transform-set auth2 ah-sha-hmac esp-des esp-sha-hmac" "$name: transform set"
	expect_in "$out" "^mgcp profile default" "$name: unsupported lines kept"
	grep -q "Not supported, kept in running-config: mgcp profile default" "$T/$name.log" ||
		fail "$name: the unsupported line was not reported with its line number"
	router_stop "$name"
done
exit 0
