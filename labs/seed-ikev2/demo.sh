#!/usr/bin/env bash
# make demo-ikev2: the seed's scenario over IKEv2 (labs/seed-ikev2: the same
# two routers and addresses, `crypto ikev2 proposal/policy/keyring/profile`
# and `set ikev2-profile` in the crypto map), as a transcript of commands and
# their output: the first ping brings up IKE_SA_INIT + IKE_AUTH and the first
# Child SA; B clears its IKEv2 SA (clear crypto ikev2 sa)
# and A is told; then B loses its Child SA silently and INVALID_SPI plus
# CREATE_CHILD_SA bring it back over the same IKE SA; B restarts and Invalid
# SPI Recovery brings up an IKEv2 SA to say INVALID_SPI, and the same restart
# with the feature off stays black.  No root; under a minute.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP"
bash scripts/deps.sh demo || exit 1
make -s -j"$(nproc)" all || exit 1
SPIGOT=$TOP/build/spigot
export SPIGOTD=$TOP/build/spigotd
SRC=${LAB_SRC:-$TOP/labs/seed-ikev2}

LAB=$(mktemp -d /tmp/spigot-demo-ikev2.XXXXXX)
cp "$SRC/router-a.cfg" "$SRC/router-b.cfg" "$LAB/"
base=$(/usr/bin/python3 -c 'import random; print(random.randrange(30000, 40000, 8))')
sed "s/^baseport .*/baseport $base/" "$SRC/lab.conf" >"$LAB/lab.conf"
cleanup() { "$SPIGOT" lab down "$LAB" >/dev/null 2>&1; rm -rf "$LAB"; }
trap cleanup EXIT

declare -A HOST=([A]=$(awk '/^hostname/ {print $2}' "$LAB/router-a.cfg") [B]=$(awk '/^hostname/ {print $2}' "$LAB/router-b.cfg"))
bold= norm=
if [ -t 1 ]; then bold=$(tput bold 2>/dev/null || true); norm=$(tput sgr0 2>/dev/null || true); fi
say() { printf '\n%s=== %s ===%s\n' "$bold" "$*" "$norm"; }
run() {
	local rt=$1
	shift
	printf '%s%s#%s %s\n' "$bold" "${HOST[$rt]}" "$norm" "$*"
	"$SPIGOT" lab exec "$LAB" "$rt" "$@"
}

say "Starting the seed lab over IKEv2: Router A (${HOST[A]}) and Router B (${HOST[B]}) on loopback"
"$SPIGOT" lab up "$LAB" || exit 1
run A show crypto ikev2 profile
run A debug crypto ikev2

say "Step 1: traffic from Host 1's side starts IKE_SA_INIT and IKE_AUTH; the first echo is held, not lost"
run A ping 10.0.2.2 source 10.0.0.1 repeat 10
run A show crypto ikev2 sa
run B show crypto ikev2 sa detailed
run A show crypto ipsec sa interface FastEthernet0/0
run A show logging "|" include IKEv2

say "Step 2: clear crypto ikev2 sa on Router B: A is told (INFORMATIONAL Delete), and traffic brings new SAs"
run B clear crypto ikev2 sa
sleep 0.5
run A show crypto ikev2 sa
sleep 1.2	# the data plane asks for SAs once a second per flow
run A ping 10.0.2.2 source 10.0.0.1 repeat 10
run A show crypto ikev2 sa

say "Step 3: Router B loses its Child SA without a word (test crypto ipsec lose-sas: a crash of its data plane)"
run B test crypto ipsec lose-sas peer 10.1.1.1
run A ping 10.0.2.2 source 10.0.0.1 repeat 10 timeout 1
echo "(B answered A's ESP for the lost SPI with INVALID_SPI inside the IKE SA; A removed that Child SA"
echo " and the next echo brought a new one up with CREATE_CHILD_SA over the same IKE SA.)"
run B show logging "|" include RECVD_PKT_INV_SPI
run A show crypto ikev2 sa
run A show crypto ipsec sa interface FastEthernet0/0
run A show crypto ikev2 stats "|" include "INVALID_SPI|CREATE_CHILD|Child SA"

say "Step 4: Router B restarts (its spigotd killed and started again): no IKE SA, no Child SA; A still sends on the old one"
"$SPIGOT" lab kill "$LAB" B >/dev/null && "$SPIGOT" lab start "$LAB" B >/dev/null || exit 1
run B show crypto ikev2 sa
run A ping 10.0.2.2 source 10.0.0.1 repeat 10 timeout 1
echo "(B saw A's ESP for an SPI it no longer has, and with crypto isakmp invalid-spi-recovery and A a static"
echo " peer it opened an IKEv2 SA (IKE_SA_INIT + IKE_AUTH with INITIAL_CONTACT, carrying the map's Child SA)"
echo " and sent INVALID_SPI over it; A dropped its stale SAs and the next echo rode the new Child SA.)"
run B show logging "|" include "RECVD_PKT_INV_SPI|ISR_"
run B show crypto ikev2 sa
run B show crypto isakmp invalid-spi-recovery "|" include "recovery|IKEv2|ESP"

say "Step 5: the same restart without crypto isakmp invalid-spi-recovery on Router B: a black hole"
sed -i '/^crypto isakmp invalid-spi-recovery$/d' "$LAB/router-b.cfg"
"$SPIGOT" lab kill "$LAB" B >/dev/null && "$SPIGOT" lab start "$LAB" B >/dev/null || exit 1
run A ping 10.0.2.2 source 10.0.0.1 repeat 5 timeout 1
run B show crypto isakmp invalid-spi-recovery "|" include disabled
echo "(B drops A's ESP and says nothing; A keeps its IKEv2 SA and sends into the void until DPD, if"
echo " configured, or the IKE SA's lifetime ends it.)"
