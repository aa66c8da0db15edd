#!/bin/sh
# Runs every test: the cmocka unit tests (plain build, then ASan+UBSan,
# then those that run threads under TSan, which exits 66 on a race),
# the end-to-end scripts in tests/e2e/, and the differential oracle test.
# Counts individual cmocka tests and each script as one test; ends with
# the line "N passed, N failed".
#   sh tests/run.sh [MODULE]   only tests whose name contains MODULE
ONLY="$1"
# The shared conformance vectors and corpus; tests that need them skip
# cleanly when they are absent.
export TRAWL_SHARED="${TRAWL_SHARED:-$(cd .. && pwd)/shared}"
passed=0
failed=0
failures=""
log=$(mktemp)
trap 'rm -f "$log"' EXIT

count_cmocka() { # $1 = label, output in $log, $2 = exit code
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
	p=${p:-0}; f=${f:-0}
	if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	passed=$((passed + p)); failed=$((failed + f))
	if [ "$f" -ne 0 ]; then failures="$failures $1"; cat "$log"; fi
	echo "  $1: $p passed, $f failed"
}

for dir in build/tests build-san/tests build-tsan/tests; do
	for t in "$dir"/test_*; do
		[ -x "$t" ] || continue
		case "$t" in *.d) continue ;; esac
		[ -n "$ONLY" ] && case "$t" in *"$ONLY"*) ;; *) continue ;; esac
		"$t" >"$log" 2>&1
		count_cmocka "$t" $?
	done
done

for s in tests/e2e/*.sh; do
	[ -f "$s" ] || continue
	[ -n "$ONLY" ] && case "$s" in *"$ONLY"*) ;; *) continue ;; esac
	if sh "$s" >"$log" 2>&1; then
		passed=$((passed + 1)); echo "  $s: ok"
	else
		failed=$((failed + 1)); failures="$failures $s"; cat "$log"
		echo "  $s: FAILED"
	fi
done

[ -n "$failures" ] && echo "failing:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
