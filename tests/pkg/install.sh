#!/usr/bin/env bash
# make install DESTDIR=...: the installed binaries (spigot in bin, spigotd in
# sbin, found by `spigot lab` without $SPIGOTD) run the seed lab; make
# uninstall removes every file it installed.
. "${TOP:-$(dirname "$0")/../..}/tests/lib.sh"

root=$T/root
make -s -C "$TOP" install DESTDIR="$root" >"$T/install.log" 2>&1 || { cat "$T/install.log"; fail "make install"; }
for f in usr/local/bin/spigot usr/local/sbin/spigotd; do
	[ -x "$root/$f" ] || fail "$f not installed executable"
done
for f in usr/local/share/man/man8/spigotd.8 usr/local/share/man/man8/spigot.8 \
	usr/local/lib/systemd/system/spigotd@.service usr/local/lib/sysusers.d/spigot.conf \
	usr/local/share/doc/spigot/examples/router.cfg usr/local/share/doc/spigot/examples/router.ports; do
	[ -f "$root/$f" ] || fail "$f not installed"
done
[ "$(stat -c %a "$root/var/lib/spigot")" = 700 ] || fail "state dir not 0700"
expect_in "$(cat "$root/usr/local/lib/systemd/system/spigotd@.service")" \
	'^ExecStart=/usr/local/sbin/spigotd --config /etc/spigot/%i.cfg ' "the unit names PREFIX's spigotd"

# The seed lab with the installed tree only.
unset SPIGOTD
spigot=$root/usr/local/bin/spigot
lab=$T/seed
mkdir -p "$lab"
cp "$TOP"/labs/seed/router-a.cfg "$TOP"/labs/seed/router-b.cfg "$lab/"
base=$(/usr/bin/python3 -c 'import random; print(random.randrange(41000, 46000, 8))')
sed "s/^baseport .*/baseport $base/" "$TOP/labs/seed/lab.conf" >"$lab/lab.conf"
on_cleanup "'$spigot' lab down '$lab'"
"$spigot" lab up "$lab" >"$T/up.out" 2>&1 || { cat "$T/up.out"; fail "lab up with the installed tree"; }
pid=$(cat "$lab/run/A.pid") || fail "no pid file for A"
[ "$(readlink "/proc/$pid/exe")" = "$root/usr/local/sbin/spigotd" ] ||
	fail "lab ran $(readlink "/proc/$pid/exe"), not the installed spigotd"
out=$("$spigot" lab exec "$lab" A ping 10.0.2.2 source 10.0.0.1 repeat 30)
expect_in "$out" "Success rate is 100 percent \(30/30\)" "installed tree: A -> B inside, 30/30"
out=$("$spigot" lab exec "$lab" B show crypto isakmp sa)
expect_in "$out" "QM_IDLE" "installed tree: IKE SA in QM_IDLE"
"$spigot" lab down "$lab" >/dev/null || fail "lab down"

make -s -C "$TOP" uninstall DESTDIR="$root" >"$T/uninstall.log" 2>&1 || { cat "$T/uninstall.log"; fail "make uninstall"; }
left=$(find "$root" -type f)
[ -z "$left" ] || { echo "$left"; fail "make uninstall left files"; }
exit 0
