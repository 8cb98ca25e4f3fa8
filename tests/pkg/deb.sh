#!/usr/bin/env bash
# The Debian package builds from the tree (dpkg-buildpackage -us -uc -b, in a
# copy so the checkout's build/ stays), holds what an admin expects where
# Debian puts it, and lintian --pedantic reports no tag (see
# debian/README.source for the placeholders it cannot see).
. "${TOP:-$(dirname "$0")/../..}/tests/lib.sh"
need_cmd dpkg-buildpackage
need_cmd dh
need_cmd lintian

src=$T/src/spigot-router-0.1
mkdir -p "$src"
(cd "$TOP" && git ls-files -co --exclude-standard | grep -v '^build/' | tar -cf - -T -) | tar -xf - -C "$src"
# About a minute on an idle machine; tests/run.sh gives a script 300 s.
rc=0
(cd "$src" && DEB_BUILD_OPTIONS=parallel=2 timeout "${PKG_BUILD_TIMEOUT:-200}" dpkg-buildpackage -us -uc -b) >"$T/build.log" 2>&1 || rc=$?
[ "$rc" = 124 ] && skip "dpkg-buildpackage did not finish within ${PKG_BUILD_TIMEOUT:-200} s (loaded machine); rerun alone or with PKG_BUILD_TIMEOUT=600"
[ "$rc" = 0 ] || { tail -40 "$T/build.log"; fail "dpkg-buildpackage failed"; }
grep -q '^smoke test: ok' "$T/build.log" || fail "the build-time smoke test did not run"
deb=$(ls "$T"/src/spigot-router_*_*.deb) || fail "no .deb"

files=$(dpkg-deb -c "$deb" | awk '{print $1, $6}')
for f in "-rwxr-xr-x ./usr/sbin/spigotd" "-rwxr-xr-x ./usr/bin/spigot" \
	"-rw-r--r-- ./lib/systemd/system/spigotd@.service" \
	"-rw-r--r-- ./usr/share/man/man8/spigotd.8.gz" "-rw-r--r-- ./usr/share/man/man8/spigot.8.gz" \
	"-rw-r--r-- ./usr/share/doc/spigot-router/examples/router.cfg" \
	"-rw-r--r-- ./usr/share/doc/spigot-router/examples/router.ports"; do
	grep -qxF -- "$f" <<<"$files" || { echo "$files"; fail "the package lacks $f"; }
done
info=$(dpkg-deb -I "$deb")
expect_in "$info" '^ Depends: .*adduser' "depends on adduser (postinst creates the user)"
expect_in "$info" '^ Depends: .*libssl3' "depends on libssl3 (shlibs)"
expect_not_in "$info" '^ Depends: .*libsystemd' "no libsystemd dependency"
dpkg-deb -e "$deb" "$T/ctrl"
grep -q 'adduser --system --group' "$T/ctrl/postinst" || fail "postinst does not create the user"
grep -q 'install -d -o spigot -g spigot -m 0700 /var/lib/spigot' "$T/ctrl/postinst" || fail "no state dir"
# the unit as installed uses the installed binary and /etc, /run
dpkg-deb -x "$deb" "$T/root"
expect_in "$(cat "$T/root/lib/systemd/system/spigotd@.service")" \
	'^ExecStart=/usr/sbin/spigotd --config /etc/spigot/%i.cfg --ports-file /etc/spigot/%i.ports --control /run/spigot/%i.sock$' \
	"the packaged unit's ExecStart"
"$T/root/usr/sbin/spigotd" --help | grep -q -- '--ports-file' || fail "the packaged spigotd does not run"

out=$(cd "$T/src" && timeout 90 lintian --pedantic spigot-router_*.changes 2>&1 | grep -v 'running with root privileges')
[ -z "$out" ] || { echo "$out"; fail "lintian reports tags"; }
exit 0
