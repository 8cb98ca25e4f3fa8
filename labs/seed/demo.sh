#!/usr/bin/env bash
# make demo: the seed's scenario (Invalid SPI Recovery feature guide,
# "Verifying an Invalid SPI Recovery Configuration") played on the seed lab,
# as a transcript of commands and their output.  No root; about a minute.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP"
bash scripts/deps.sh demo || exit 1
make -s -j"$(nproc)" all || exit 1
SPIGOT=$TOP/build/spigot
export SPIGOTD=$TOP/build/spigotd

# A private copy of the lab on free ports, so the demo never collides with a
# lab already running.
LAB=$(mktemp -d /tmp/spigot-demo.XXXXXX)
cp labs/seed/router-a.cfg labs/seed/router-b.cfg "$LAB/"
base=$(/usr/bin/python3 -c 'import random; print(random.randrange(20000, 30000, 8))')
sed "s/^baseport .*/baseport $base/" labs/seed/lab.conf >"$LAB/lab.conf"
cleanup() { "$SPIGOT" lab down "$LAB" >/dev/null 2>&1; rm -rf "$LAB"; }
trap cleanup EXIT

declare -A HOST=([A]=ipseca-71a [B]=ipseca-72a)
bold= norm=
if [ -t 1 ]; then bold=$(tput bold 2>/dev/null || true); norm=$(tput sgr0 2>/dev/null || true); fi

say() { printf '\n%s=== %s ===%s\n' "$bold" "$*" "$norm"; }
# run ROUTER COMMAND...: prints "hostname# command" and the output, as a console would.
run() {
	local rt=$1
	shift
	printf '%s%s#%s %s\n' "$bold" "${HOST[$rt]}" "$norm" "$*"
	"$SPIGOT" lab exec "$LAB" "$rt" "$@"
}
conf() {
	local rt=$1
	shift
	printf '%s%s#%s configure terminal\n' "$bold" "${HOST[$rt]}" "$norm"
	local c
	for c in "$@"; do printf '%s%s(config)#%s %s\n' "$bold" "${HOST[$rt]}" "$norm" "$c"; done
	printf '%s%s(config)#%s end\n' "$bold" "${HOST[$rt]}" "$norm"
	printf 'configure terminal\n%s\nend\n' "$(printf '%s\n' "$@")" |
		"$SPIGOT" --control "$LAB/run/$rt.sock" >/dev/null
}

# ms since the epoch of the first log line on ROUTER matching REGEX, from the
# router's log (spigotd writes every log line there with its timestamp).
first_log_ms() {
	local rt=$1 re=$2 since=$3
	/usr/bin/python3 - "$LAB/run/$rt.log" "$re" "$since" <<'PY'
import re, sys, datetime
path, pat, since = sys.argv[1], re.compile(sys.argv[2]), int(sys.argv[3])
year = datetime.date.today().year
for line in open(path, errors="replace"):
    m = re.match(r"\S+ \*(\w{3}) +(\d+) (\d\d):(\d\d):(\d\d)\.(\d{3}): (.*)", line)
    if not m or not pat.search(m.group(7)):
        continue
    t = datetime.datetime.strptime(f"{year} {m.group(1)} {m.group(2)} {m.group(3)}:{m.group(4)}:{m.group(5)}", "%Y %b %d %H:%M:%S")
    ms = int(t.timestamp() * 1000) + int(m.group(6))
    if ms >= since:
        print(ms); break
PY
}
now_ms() { date +%s%3N; }

# scenario TITLE: clear on B, ping from A, report replies and recovery time
scenario() {
	local label=$1 count=$2 timeout=$3
	say "Step 2 ($label): clear the IKE and IPsec SAs on Router B (B loses its SAs; A does not know)"
	run B clear crypto isakmp
	run B clear crypto sa
	local t0
	t0=$(now_ms)
	say "Step 3 ($label): send traffic from Host 1's side and check that the SAs come back"
	local out
	out=$(run A ping 10.0.2.2 source 10.0.0.1 repeat "$count" timeout "$timeout")
	printf '%s\n' "$out"
	local rate
	rate=$(printf '%s\n' "$out" | grep -oE '\([0-9]+/[0-9]+\)' | tail -1)
	run A show crypto isakmp sa
	run B show crypto isakmp sa
	run A show crypto ipsec sa interface FastEthernet0/0
	run B show crypto ipsec sa interface Ethernet1/0
	say "Step 4 ($label): check for an invalid SPI message on Router B"
	run B show logging "|" include RECVD_PKT_INV_SPI
	# The black hole closes when A deletes the dead SA (B's notify acted on);
	# the next echo then brings up new SAs.
	local tbad tgood
	tbad=$(first_log_ms B 'RECVD_PKT_INV_SPI' "$t0")
	tgood=$(first_log_ms A 'ISR_SA_DELETED' "${tbad:-$t0}")
	if [ -n "$tbad" ] && [ -n "$tgood" ]; then
		RESULT+=("$(printf '%-44s replies %-8s black hole closed %d ms after the first invalid SPI' "$label:" "$rate" $((tgood - tbad)))")
	else
		RESULT+=("$(printf '%-44s replies %-8s never recovered: the black hole stays until the SA lifetime ends' "$label:" "$rate")")
	fi
}

RESULT=()
say "Starting the seed lab: Router A (ipseca-71a) and Router B (ipseca-72a) on loopback"
"$SPIGOT" lab up "$LAB" || exit 1
conf B "logging buffered 64000" >/dev/null
run B debug crypto ipsec

say "Step 1: initiate the IKE and IPsec SAs between Host 1 and Host 2"
run A ping 10.0.2.2 source 10.0.0.1 repeat 10
run A show crypto isakmp sa
run B show crypto isakmp sa
run A show crypto ipsec sa interface FastEthernet0/0
run B show crypto ipsec sa interface Ethernet1/0

scenario "with crypto isakmp invalid-spi-recovery" 30 2

say "The same without the feature: Router B drops the packets and tells nobody"
conf B "no crypto isakmp invalid-spi-recovery"
run A ping 10.0.2.2 source 10.0.0.1 repeat 5
run B clear logging
scenario "without crypto isakmp invalid-spi-recovery" 15 1
run B show crypto isakmp invalid-spi-recovery

say "Comparison"
printf '%s\n' "${RESULT[@]}"
