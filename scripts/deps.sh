#!/usr/bin/env bash
# Installs (as root) or names (otherwise) the Debian packages spigot needs.
#   scripts/deps.sh build|test|demo
set -u
what=${1:-build}
build_pkgs=(gcc make libssl-dev)
test_pkgs=(clang libclang-rt-14-dev python3 python3-scapy tshark iproute2 iputils-ping tcpdump
	strongswan-charon strongswan-swanctl charon-systemd libcharon-extra-plugins
	libstrongswan-standard-plugins libstrongswan-extra-plugins iperf3 procps psmisc ethtool
	dpkg-dev debhelper lintian mandoc man-db systemd util-linux wireguard-go wireguard-tools)
demo_pkgs=(python3)
case $what in
build) want=("${build_pkgs[@]}") ;;
test) want=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
demo) want=("${build_pkgs[@]}" "${demo_pkgs[@]}") ;;
*) echo "usage: $0 build|test|demo" >&2; exit 2 ;;
esac
missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then
	echo "== installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null 2>&1 || apt-get -o DPkg::Lock::Timeout=600 update
	# Wait for a dpkg lock another apt holds (unattended-upgrades, a parallel run) instead of failing.
	# tshark asks whether non-root users may capture; answer no without a prompt.
	echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null
	apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/tmp/spigot-apt.log 2>&1 || {
		tail -20 /tmp/spigot-apt.log
		echo "could not install: ${missing[*]}" >&2
		exit 1
	}
	exit 0
fi
echo "Missing Debian packages: ${missing[*]}" >&2
echo "Install them with:  sudo apt-get install -y ${missing[*]}" >&2
echo "(or run this command as root and it installs them itself)" >&2
exit 1
