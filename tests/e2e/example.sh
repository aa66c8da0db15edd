#!/bin/sh
# End-to-end test of the installed library as a user sees it: `make install`
# into a temporary PREFIX (no root), examples/search.c compiled with only the
# flags pkg-config gives for the installed trawl.pc and run against the
# installed libtrawl.so, on an index of corpus/news.jsonl: the worked example
# query finds exactly trawl-news-007, a bad query and a missing index fail
# with a message.
# Run from the repository root after `make` (tests/run.sh does); prints each
# failed check and exits non-zero if any failed.
set -u
IDX=${TRAWL_INDEX:-bin/trawl-index}
[ -x "$IDX" ] || { echo "FAIL: $IDX not built"; exit 1; }
command -v pkg-config >/dev/null || { echo "FAIL: pkg-config not found"; exit 1; }

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
nfail=0

fail() {
	nfail=$((nfail + 1))
	echo "FAIL: $*"
	for f in "$T/out" "$T/err"; do
		[ -s "$f" ] && { echo "--- ${f##*/}:"; head -n 20 "$f"; }
	done
}
run() { # CMD...: stdout in $T/out, stderr in $T/err, exit code in $rc
	rc=0
	"$@" >"$T/out" 2>"$T/err" || rc=$?
}

# 1. Install with PREFIX only; DESTDIR= overrides one from the environment.
run make install PREFIX="$T" DESTDIR=
if [ "$rc" -ne 0 ]; then fail "make install PREFIX=$T: exit $rc"; exit 1; fi
for f in include/trawl.h lib/libtrawl.so lib/libtrawl.so.0 lib/libtrawl.a \
	lib/pkgconfig/trawl.pc bin/trawl-index bin/trawl-query; do
	[ -e "$T/$f" ] || fail "make install did not create $T/$f"
done

# 2. Compile the example with nothing but pkg-config's flags.
flags=$(PKG_CONFIG_PATH="$T/lib/pkgconfig" pkg-config --cflags --libs trawl) ||
	{ fail "pkg-config --cflags --libs trawl failed"; exit 1; }
run cc examples/search.c $flags -o "$T/search"
if [ "$rc" -ne 0 ]; then fail "compiling examples/search.c: exit $rc"; exit 1; fi
# The example should also be warning-free under strict flags.
run cc -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Werror -fsyntax-only \
	examples/search.c $flags
[ "$rc" -eq 0 ] || fail "examples/search.c has warnings"

search() { LD_LIBRARY_PATH="$T/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$T/search" "$@"; }

# It must run against the installed shared library, not another copy.
if command -v ldd >/dev/null; then
	LD_LIBRARY_PATH="$T/lib" ldd "$T/search" >"$T/out" 2>&1
	grep -q "libtrawl.so.0 => $T/lib/libtrawl.so.0" "$T/out" ||
		fail "search is not linked against $T/lib/libtrawl.so.0"
fi

# 3. An index of the bundled corpus.
run "$IDX" build -q -o "$T/news.idx" corpus/news.jsonl
[ "$rc" -eq 0 ] || { fail "trawl-index build: exit $rc"; exit 1; }

# 4. The worked example: exactly one line, trawl-news-007, a tab, a title.
run search "$T/news.idx" '"Tren de Aragua" NEAR direct'
[ "$rc" -eq 0 ] || fail "worked example: exit $rc, want 0"
n=$(wc -l <"$T/out" | tr -d ' ')
[ "$n" -eq 1 ] || fail "worked example: $n lines, want 1"
TAB=$(printf '\t')
grep -q "^trawl-news-007$TAB." "$T/out" ||
	fail "worked example: output is not 'trawl-news-007<TAB>title'"
[ -s "$T/err" ] && fail "worked example: unexpected stderr"

# A query matching several documents prints at most 10 lines, each
# id<TAB>title.
run search "$T/news.idx" 'the'
[ "$rc" -eq 0 ] || fail "'the': exit $rc, want 0"
n=$(wc -l <"$T/out" | tr -d ' ')
[ "$n" -ge 2 ] && [ "$n" -le 10 ] || fail "'the': $n lines, want 2..10"
grep -vq "^trawl-news-[0-9]*$TAB" "$T/out" && fail "'the': a line is not id<TAB>title"

# 5. A bad query: non-zero exit, the library's message with its column.
run search "$T/news.idx" '"tren de aragua'
[ "$rc" -ne 0 ] || fail "bad query: exit 0, want non-zero"
[ -s "$T/out" ] && fail "bad query: unexpected stdout"
grep -q "column 1" "$T/err" || fail "bad query: stderr lacks the column"
grep -q "unbalanced quote" "$T/err" || fail "bad query: stderr lacks the message"

run search "$T/news.idx" 'oil NEAR'
[ "$rc" -ne 0 ] || fail "'oil NEAR': exit 0, want non-zero"
grep -q "column 5" "$T/err" || fail "'oil NEAR': stderr lacks column 5"

# 6. A missing index: non-zero exit and a message naming it.
run search "$T/no-such.idx" 'oil'
[ "$rc" -ne 0 ] || fail "missing index: exit 0, want non-zero"
[ -s "$T/out" ] && fail "missing index: unexpected stdout"
[ -s "$T/err" ] || fail "missing index: no message on stderr"

# 7. Wrong usage.
run search "$T/news.idx"
[ "$rc" -ne 0 ] || fail "one argument: exit 0, want non-zero"
grep -q "usage" "$T/err" || fail "one argument: no usage line"

[ "$nfail" -eq 0 ]
