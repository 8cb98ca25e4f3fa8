#!/usr/bin/env bash
# spigotd as the unit runs it: an unprivileged user with CAP_NET_RAW and
# CAP_NET_ADMIN as ambient capabilities (setpriv stands in for systemd's
# AmbientCapabilities=) opens a packet: and a tun: port, then holds no
# capability at all; without them the same ports cannot open (exit 1).
. "${TOP:-$(dirname "$0")/../..}/tests/lib.sh"
need_root
need_cmd setpriv
need_cmd ip
[ -c /dev/net/tun ] || skip "no /dev/net/tun"

ns=spigot-caps-$$
ip netns add "$ns" || skip "cannot create a network namespace"
on_cleanup "ip netns del $ns"
ip -n "$ns" link add d0 type veth peer name d1
ip -n "$ns" link set d1 up
ip -n "$ns" link set d0 up
chmod 0755 "$T"
mkdir -m 0777 "$T/run"
cp "$TOP/labs/seed/router-a.cfg" "$T/a.cfg"
chmod 0644 "$T/a.cfg"

as_nobody=(ip netns exec "$ns" setpriv --reuid=65534 --regid=65534 --clear-groups)

"${as_nobody[@]}" --inh-caps=+net_raw,+net_admin --ambient-caps=+net_raw,+net_admin \
	"$SPIGOTD" --config "$T/a.cfg" --control "$T/run/a.sock" \
	--port FastEthernet0/0=packet:d0 --port FastEthernet0/1=tun:spgt0 >"$T/a.log" 2>&1 &
pid=$!
_pids+=("$pid")
wait_for 10 test -S "$T/run/a.sock" || { cat "$T/a.log"; fail "no control socket"; }
st=$(cat "/proc/$pid/status")
[ "$(awk '/^Uid:/ {print $2}' <<<"$st")" = 65534 ] || fail "not running as nobody"
for c in CapInh CapPrm CapEff CapAmb; do
	expect_in "$st" "^$c:[[:space:]]+0+$" "$c is empty once the ports are open"
done
out=$("$SPIGOT" --control "$T/run/a.sock" show ip interface brief)
expect_in "$out" '^FastEthernet0/0 +10.1.1.1 +YES +[A-Za-z]+ +up +up' "packet: port open"
expect_in "$out" '^FastEthernet0/1 +10.0.0.1 +YES +[A-Za-z]+ +up +up' "tun: port open"
ip -n "$ns" link show spgt0 >/dev/null 2>&1 || fail "the tun device was not created"
kill "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" = 0 ] || { cat "$T/a.log"; fail "exit $rc on SIGTERM"; }

# Without the capabilities: the packet: port cannot open.
rc=0
"${as_nobody[@]}" "$SPIGOTD" --config "$T/a.cfg" --port FastEthernet0/0=packet:d0 >"$T/b.log" 2>&1 || rc=$?
[ "$rc" = 1 ] || { cat "$T/b.log"; fail "without CAP_NET_RAW: exit $rc, not 1"; }
expect_in "$(cat "$T/b.log")" '%LINK-3-BADPORT: Interface FastEthernet0/0: port packet:d0' "BADPORT logged"
exit 0
