#!/usr/bin/env bash
# Recovery whatever the transform set: AH only, ESP only (esp-aes with
# esp-sha-hmac, and esp-gcm) and AH+ESP.  Each gets its own lab: SAs up, B
# cleared, A's ping recovers with new SPIs of the same transforms, and B's
# invalid-SPI line names the outermost protocol A used (AH 51 if any, else ESP 50).
. "${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/isr-lib.bash"

# scenario NAME TRANSFORMS... : the seed's steps with transform set auth2 = TRANSFORMS
scenario() {
	local name=$1
	shift
	local xf="$*"
	LAB=$T/lab-$name
	isr_lab_init "$LAB"
	local r
	for r in A B; do isr_cfg $r "s/^crypto ipsec transform-set auth2 .*/crypto ipsec transform-set auth2 $xf/"; done
	grep -q "^crypto ipsec transform-set auth2 $xf\$" "$LAB/router-a.cfg" || fail "$name: config edit failed"
	isr_up "$LAB"
	expect_in "$(x A show crypto ipsec transform-set)" "auth2" "$name: A has no transform set auth2"

	local has_ah=no has_esp=no
	case " $xf " in *" ah-"*) has_ah=yes ;; esac
	case " $xf " in *" esp-"*) has_esp=yes ;; esac
	up_tunnel
	local sa_a sa_b out
	sa_a=$(spis A) sa_b=$(spis B)
	local k kinds=()
	[ $has_ah = yes ] && kinds+=(in_ah out_ah)
	[ $has_esp = yes ] && kinds+=(in_esp out_esp)
	for k in "${kinds[@]}"; do [ -n "$(spi_of "$sa_a" $k)" ] || { printf '%s\n' "$sa_a" >&2; fail "$name: A has no $k SA"; }; done
	[ $has_ah = yes ] || [ -z "$(spi_of "$sa_a" out_ah)" ] || fail "$name: A has an AH SA it did not ask for"
	[ $has_esp = yes ] || [ -z "$(spi_of "$sa_a" out_esp)" ] || fail "$name: A has an ESP SA it did not ask for"
	[ "$(spi_of "$sa_a" out_ah)$(spi_of "$sa_a" out_esp)" = "$(spi_of "$sa_b" in_ah)$(spi_of "$sa_b" in_esp)" ] ||
		fail "$name: SPIs not crosswise"
	out=$(x A show crypto ipsec sa)
	local esp_words=${xf/ah-sha-hmac/}
	esp_words=$(echo $esp_words)
	[ $has_ah = no ] || expect_in "$out" 'transform: ah-sha-hmac ,' "$name: A shows no ah-sha-hmac SA"
	[ $has_esp = no ] || expect_in "$out" "transform: $esp_words ," "$name: A shows no '$esp_words' SA"
	local old_ah old_esp
	old_ah=$(spi_of "$sa_a" out_ah) old_esp=$(spi_of "$sa_a" out_esp)

	x B clear crypto isakmp >/dev/null
	x B clear crypto sa >/dev/null
	[ -z "$(spis B)" ] || fail "$name: B kept IPsec SAs"

	out=$(x A ping 10.0.2.2 source 10.0.0.1 repeat 30)
	local ok
	ok=$(ping_ok "$out")
	[ "$ok" -ge 28 ] || { printf '%s\n' "$out" >&2; fail "$name: only $ok/30 replies after recovery"; }
	local sa_a2
	sa_a2=$(spis A)
	if [ $has_ah = yes ]; then
		[ -n "$(spi_of "$sa_a2" out_ah)" ] && [ "$(spi_of "$sa_a2" out_ah)" != "$old_ah" ] || fail "$name: no new AH SA"
	fi
	if [ $has_esp = yes ]; then
		[ -n "$(spi_of "$sa_a2" out_esp)" ] && [ "$(spi_of "$sa_a2" out_esp)" != "$old_esp" ] || fail "$name: no new ESP SA"
	fi
	[ "$(spi_of "$sa_a2" out_ah)$(spi_of "$sa_a2" out_esp)" = "$(spi_of "$(spis B)" in_ah)$(spi_of "$(spis B)" in_esp)" ] ||
		fail "$name: new SPIs not crosswise"
	out=$(x A show crypto ipsec sa)
	[ $has_esp = no ] || expect_in "$out" "transform: $esp_words ," "$name: the new SAs lost the transform"
	local prot spi
	if [ $has_ah = yes ]; then prot=51 spi=$old_ah; else prot=50 spi=$old_esp; fi
	expect_in "$(x B show logging)" "%CRYPTO-4-RECVD_PKT_INV_SPI: decaps: rec'd IPSEC packet has invalid spi for destaddr=10\.2\.2\.2, prot=$prot, spi=0x$spi\($((16#$spi))\), srcaddr=10\.1\.1\.1\$" \
		"$name: B did not log the invalid SPI 0x$spi with prot=$prot"
	[ "$(ctr "$(isr B)" init)" = 1 ] || fail "$name: B did not initiate exactly one recovery IKE SA"
	[ "$(ctr "$(isr A)" acted)" = 1 ] || fail "$name: A did not act on exactly one notify"
	note "$name ($xf): $ok/30, prot=$prot"
	isr_finish "$LAB"
}

scenario ah ah-sha-hmac
scenario esp-aes esp-aes esp-sha-hmac
scenario esp-gcm esp-gcm
scenario ah-esp ah-sha-hmac esp-aes esp-sha-hmac
exit 0
