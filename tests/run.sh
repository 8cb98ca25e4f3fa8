#!/usr/bin/env bash
# make check: builds, then runs every test and ends with "N passed, N failed, N skipped".
#   tests/run.sh [SUITE...]     suites: unit lab wire adversary netns pkg fuzz (default: all)
#   FUZZ_SECONDS=N              seconds per fuzz target (default 15)
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
export TOP SPIGOTD="$TOP/build/asan/spigotd" SPIGOT="$TOP/build/asan/spigot"

bash scripts/deps.sh test || exit 1

suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(unit lab wire adversary netns pkg fuzz)

echo "== build"
make -s -j"$(nproc)" all asan || { echo "0 passed, 1 failed"; exit 1; }

passed=0 failed=0 skipped=0
failures=()

run_unit() {
	echo "== unit and exchange tests"
	local out rc
	out=$(mktemp)
	build/asan/unit_tests 2>&1 | tee "$out" | grep -E '^(FAIL|    )' || true
	rc=${PIPESTATUS[0]}
	local line p f
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -1)
	p=$(echo "$line" | awk '{print $1}')
	f=$(echo "$line" | awk '{print $3}')
	if [ -z "$line" ]; then p=0; f=1; fi
	if [ "$rc" != 0 ] && [ "${f:-0}" = 0 ]; then f=1; fi	# crashed under the sanitizer
	echo "   unit: $p passed, $f failed"
	passed=$((passed + p)); failed=$((failed + f))
	[ "$f" = 0 ] || failures+=("unit: $(grep '^FAIL' "$out" | tr '\n' ' ')")
	rm -f "$out"
}

run_scripts() {
	local dir=$1 t rc start
	[ -d "tests/$dir" ] || return 0
	echo "== $dir tests"
	for t in tests/"$dir"/*.sh; do
		[ -e "$t" ] || continue
		case $(basename "$t") in lib-*) continue ;; esac
		start=$SECONDS
		timeout -k 10 300 bash "$t" >"/tmp/spigot-$dir-$(basename "$t").out" 2>&1
		rc=$?
		case $rc in
		0) passed=$((passed + 1)); printf '   ok   %-40s %3ds\n' "$t" $((SECONDS - start)) ;;
		77) skipped=$((skipped + 1)); printf '   skip %-40s %s\n' "$t" "$(grep -m1 SKIP "/tmp/spigot-$dir-$(basename "$t").out")" ;;
		*) failed=$((failed + 1)); failures+=("$t")
		   printf '   FAIL %-40s (exit %d)\n' "$t" $rc
		   sed 's/^/        /' "/tmp/spigot-$dir-$(basename "$t").out" | tail -40 ;;
		esac
	done
}

run_fuzz() {
	echo "== fuzz (${FUZZ_SECONDS:-15} s per target)"
	if ! command -v clang >/dev/null; then
		skipped=$((skipped + 1)); echo "   skip fuzz: no clang"; return
	fi
	make -s -j"$(nproc)" fuzz || { failed=$((failed + 1)); failures+=("fuzz build"); return; }
	local f name corpus
	for f in build/fuzz/fuzz_*; do
		[ -x "$f" ] || continue
		name=$(basename "$f")
		# Every reproducer of a past finding runs once, as a test of its own.
		local r
		for r in tests/fuzz/repro/"$name"-*; do
			[ -e "$r" ] || continue
			if "$f" -rss_limit_mb=2048 "$r" >"/tmp/spigot-$name-repro.out" 2>&1; then
				passed=$((passed + 1)); printf '   ok   %s\n' "$r"
			else
				failed=$((failed + 1)); failures+=("$r")
				echo "   FAIL $r"; tail -20 "/tmp/spigot-$name-repro.out" | sed 's/^/        /'
			fi
		done
		corpus=$(mktemp -d)
		[ -d "tests/fuzz/corpus/$name" ] && cp -r "tests/fuzz/corpus/$name/." "$corpus/"
		if "$f" -max_total_time="${FUZZ_SECONDS:-15}" -rss_limit_mb=2048 -print_final_stats=0 \
			"$corpus" >"/tmp/spigot-$name.out" 2>&1; then
			passed=$((passed + 1)); printf '   ok   %s (%s execs)\n' "$name" \
				"$(grep -oE 'Done [0-9]+ runs' "/tmp/spigot-$name.out" | grep -oE '[0-9]+')"
		else
			failed=$((failed + 1)); failures+=("$name")
			echo "   FAIL $name"; tail -30 "/tmp/spigot-$name.out" | sed 's/^/        /'
		fi
		rm -rf "$corpus"
	done
}

for s in "${suites[@]}"; do
	case $s in
	unit) run_unit ;;
	lab | wire | adversary | netns | pkg) run_scripts "$s" ;;
	fuzz) run_fuzz ;;
	*) echo "unknown suite $s"; failed=$((failed + 1)) ;;
	esac
done

if [ ${#failures[@]} -gt 0 ]; then
	echo "== failures"
	printf '   %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
