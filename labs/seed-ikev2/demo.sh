#!/usr/bin/env bash
# make demo-ikev2: the seed's scenario over IKEv2 (labs/seed-ikev2: the same
# two routers and addresses, `crypto ikev2 proposal/policy/keyring/profile`
# and `set ikev2-profile` in the crypto map), as a transcript of commands and
# their output: the first ping brings up IKE_SA_INIT + IKE_AUTH and the first
# Child SA; B clears its IKEv2 SA (clear crypto ikev2 sa)
# and A is told; then B loses its Child SA silently and INVALID_SPI plus
# CREATE_CHILD_SA bring it back over the same IKE SA; B restarts and Invalid
# SPI Recovery brings up an IKEv2 SA to say INVALID_SPI, and the same restart
# with the feature off stays black until A's first DPD check, which Quick
# Crash Detection (RFC 6290) answers: each lab router keeps its QCD secret in
# its own state directory (run/NAME.state).  No root; about a minute.
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
# A checks liveness after 10 s without an answer (IOS's dpd; off by default): step 6 needs it.
run A configure terminal ";" crypto ikev2 profile seed-v2 ";" dpd 10 2 on-demand ";" end
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
echo "(B drops A's ESP and says nothing; A keeps its IKEv2 SA and sends into the void until its DPD"
echo " check, or the IKE SA's lifetime, ends it.)"

say "Step 6: A's first DPD check after B's restart: Quick Crash Detection (RFC 6290) tells A at once"
echo "(B kept its QCD secret in its state directory, run/B.state, across the restart; the tokens went"
echo " both ways inside IKE_AUTH.  B answers A's check, unprotected, with INVALID_IKE_SPI and the token.)"
run B show logging "|" include IKEV2_QCD
for _ in $(seq 40); do
	"$SPIGOT" lab exec "$LAB" A show crypto ikev2 stats | grep -Eq 'tokens accepted \(peer lost the SA\) +[1-9]' && break
	sleep 0.5
done
run A show logging "|" include QCD_PEER_LOST
run A show crypto ikev2 stats "|" include "Quick Crash|tokens|reconnects"
run B show crypto ikev2 stats "|" include "tokens sent"
sleep 1.2	# the data plane asks for SAs once a second per flow
run A ping 10.0.2.2 source 10.0.0.1 repeat 10
run A show crypto ikev2 sa
echo "(Without QCD, \"no crypto ikev2 quick-crash-detection\", A would find out by DPD alone:"
echo " its check is sent again every 2 s, five times, before the SA is declared dead.)"
