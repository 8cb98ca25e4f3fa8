#!/usr/bin/env bash
# The systemd unit and the man pages: systemd-analyze verify accepts the
# installed spigotd@.service with no warning (it works offline: systemd
# need not be PID 1), its hardening scores "OK" or better in
# systemd-analyze security, and both man pages format without a lint warning.
. "${TOP:-$(dirname "$0")/../..}/tests/lib.sh"
need_cmd systemd-analyze

make -s -C "$TOP" install DESTDIR="$T/root" >"$T/install.log" 2>&1 || { cat "$T/install.log"; fail "make install"; }
unit=$T/root/usr/local/lib/systemd/system/spigotd@.service
[ -f "$unit" ] || fail "make install did not install the unit"
# verify checks that ExecStart exists: point it at the DESTDIR copy.
mkdir -p "$T/u"
sed "s|=/usr/local/sbin/spigotd|=$T/root/usr/local/sbin/spigotd|" "$unit" >"$T/u/spigotd@r1.service"
out=$(systemd-analyze verify --man=no "$T/u/spigotd@r1.service" 2>&1) || { echo "$out"; fail "verify failed"; }
[ -z "$out" ] || { echo "$out"; fail "systemd-analyze verify warns"; }
# ...and it does warn on a broken unit, so the empty output above means something.
sed 's/^Type=notify/Type=notifyy/' "$T/u/spigotd@r1.service" >"$T/u/spigotd@r2.service"
out=$(systemd-analyze verify --man=no "$T/u/spigotd@r2.service" 2>&1)
expect_in "$out" 'Failed to parse service type' "verify catches a bad unit"

u=$(cat "$unit")
for l in 'Type=notify' 'User=spigot' 'ExecReload=/bin/kill -HUP $MAINPID' 'RuntimeDirectory=spigot' \
	'NoNewPrivileges=yes' 'ProtectSystem=strict' 'ReadWritePaths=/etc/spigot' 'PrivateTmp=yes' \
	'ProtectHome=yes' 'AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN' \
	'CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN' 'SystemCallFilter=@system-service' \
	'RestrictAddressFamilies=AF_UNIX AF_INET AF_PACKET AF_NETLINK' 'StateDirectoryMode=0700'; do
	grep -qxF -- "$l" <<<"$u" || fail "the unit lacks $l"
done
sec=$(systemd-analyze security --offline=true "$T/u/spigotd@r1.service" 2>&1 | grep 'Overall exposure')
note "$sec"
expect_in "$sec" 'Overall exposure level for spigotd@r1.service: [0-9.]+ (SAFE|OK)' "exposure OK or better"

for m in spigotd spigot; do
	f=$T/root/usr/local/share/man/man8/$m.8
	[ -f "$f" ] || fail "no $m(8) installed"
	lexgrog "$f" | grep -q "\"$m - " || fail "lexgrog cannot read the NAME of $m(8)"
	out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$f" 2>&1 >/dev/null)
	[ -z "$out" ] || { echo "$out"; fail "man -l warns on $m(8)"; }
	if command -v mandoc >/dev/null; then
		out=$(mandoc -Tlint -W warning "$f" 2>&1)
		[ -z "$out" ] || { echo "$out"; fail "mandoc -Tlint on $m(8)"; }
	fi
	txt=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$f" 2>/dev/null)
	for s in OPTIONS FILES "EXIT STATUS" EXAMPLES; do
		expect_in "$txt" "^$s" "$m(8) has $s"
	done
done
expect_in "$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$T/root/usr/local/share/man/man8/spigotd.8")" '^SIGNALS' "spigotd(8) has SIGNALS"
exit 0
