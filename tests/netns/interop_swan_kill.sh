#!/usr/bin/env bash
# strongSwan (r2) is killed (-9) and restarted while h1 pings h2 through
# spigot (r1).  The restarted charon has no SAs and silently drops spigot's
# ESP ("does not belong to an installed SA"); spigot's DPD (`crypto isakmp
# keepalive 10 2`; IOS accepts 10-3600 s) gets no answer to R-U-THERE over
# 4500, declares the peer dead, clears its SAs, and the next packet
# negotiates a new tunnel.
# Checked: the outage ends within DPD's bound, spigot logged and counted the
# dead peer, the new SAs are UDP-encapsulated with new SPIs.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib.sh"
. "$TOP/tests/netns/lib-topo.sh"
. "$TOP/tests/netns/lib-strongswan.sh"
. "$TOP/tests/netns/lib-spigot.sh"
swan_need
need_cmd ping
[ -x "$SPIGOTD" ] || skip "no spigotd at $SPIGOTD (make asan)"
SWAN_LOG_ESP=2

topo_up
spigot_router r1 keepalive="10 2"
swan_router r2 initiator=no ike_rekey=72000 ike_life=80000
topo_wait_ping h1 "$H2_IP" 20 || fail "no tunnel"
old=$(swan_spis r2 | awk '$1 == "in" {print $2}')
swan_kill9 r2
swan_start r2
start=$SECONDS
topo_wait_ping h1 "$H2_IP" 45 || { tail -20 "$T/r1.log" >&2; fail "no recovery within 45 s of strongSwan's restart"; }
outage=$((SECONDS - start))
grep -q 'IKMP_PEER_DEAD' "$T/r1.log" || fail "spigot did not log the dead peer"
stats=$(cli r1 show crypto isakmp stats)
grep -qE 'DPD: [1-9][0-9]* R-U-THERE sent, [0-9]+ acks, [0-9]+ received, 1 peers dead' <<<"$stats" ||
	{ echo "$stats" >&2; fail "DPD counters"; }
grep -q 'does not belong to an installed SA' "$T/r2-charon.log" ||
	note "strongSwan logged no unknown-SPI drop (spigot's ESP may not have reached it)"
new=$(swan_spis r2 | awk '$1 == "in" {print $2}')
[ -n "$new" ] && [ "$new" != "$old" ] || fail "no new CHILD_SA ($old -> $new)"
expect_in "$(cli r1 show crypto ipsec sa)" 'Tunnel UDP-Encaps' "new SAs not UDP-encapsulated"
[ "$outage" -le 40 ] || fail "outage $outage s: longer than DPD 10 s + 5 retries at 2 s allow"
echo "interop_swan_kill: ok (outage ${outage} s; DPD declared strongSwan dead; SPI $old -> $new)"
