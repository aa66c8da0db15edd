#!/bin/sh
# The differential oracle test (tests/oracle/, STYLE section 8): the
# oracle's self-test, a fixed-seed differential run against the engine,
# and the conformance vectors of $TRAWL_SHARED/conformance (skipped with a
# message when absent).  Then the same under ASan+UBSan when build-san has
# it, with fewer queries.  Exit 0 when everything agrees.
#
#   sh tests/e2e/oracle.sh
#   ORACLE_SEED=42 sh tests/e2e/oracle.sh        another seed
#   build/tests/oracle_diff --seed 42 --only-corpus 1 --only-query 17
#                                                replay one reported query
SEED="${ORACLE_SEED:-20251125}"
status=0
# Indexes go to a scratch directory removed at the end, even when a
# sanitizer stops the binary before it can clean up after itself.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/oracle-sh.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT
export TMPDIR="$scratch"

run() { # $1 = binary, the rest its options
	bin="$1"
	shift
	echo "== $bin $*"
	"$bin" "$@"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "== $bin: exit $rc"
		status=1
	fi
}

if [ ! -x build/tests/oracle_diff ]; then
	echo "oracle.sh: build/tests/oracle_diff is not built (make build/tests/oracle_diff)"
	exit 1
fi
run build/tests/oracle_diff --seed "$SEED" --corpora 5 --docs 300 --queries 1000

if [ -x build-san/tests/oracle_diff ]; then
	# ASan makes the oracle and the engine several times slower: fewer
	# queries, the same corpora (and the conformance vectors again).
	ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
	export ASAN_OPTIONS
	run build-san/tests/oracle_diff --seed "$SEED" --corpora 5 \
		--docs 300 --queries 200
else
	echo "oracle.sh: no build-san/tests/oracle_diff, sanitizer pass skipped"
fi
exit "$status"
