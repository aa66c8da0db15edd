#!/bin/sh
# make demo: builds demo-index/ from corpus/*.jsonl (and *.jsonl.gz), prints
# the build summary, then runs each query of corpus/queries.txt (one a line;
# blank lines and # comments skipped) with `trawl-query -n 3`.
# Run from the repository root after the build.  Exits non-zero if the build
# fails or a query is rejected; a query with no match is not a failure.
set -e

IDX=bin/trawl-index
QRY=bin/trawl-query
OUT=demo-index
QUERIES=corpus/queries.txt

for b in "$IDX" "$QRY"; do
	[ -x "$b" ] || { echo "demo: $b is not built (run make)" >&2; exit 2; }
done

set --
for f in corpus/*.jsonl corpus/*.jsonl.gz; do
	[ -f "$f" ] && set -- "$@" "$f"
done
if [ $# -eq 0 ]; then
	# No bundled corpus yet: fall back to the shared seed article.
	seed="${TRAWL_SHARED:-../shared}/corpus/seed/seed.jsonl"
	[ -f "$seed" ] || { echo "demo: no corpus/*.jsonl and no $seed" >&2; exit 2; }
	echo "demo: no corpus/*.jsonl; indexing $seed" >&2
	set -- "$seed"
fi

echo "== building $OUT from: $*"
rc=0
"$IDX" build -o "$OUT" --force "$@" || rc=$?
case $rc in
0) ;;
1) echo "demo: some documents were skipped (see the warnings above)" >&2 ;;
*) echo "demo: build failed (exit $rc)" >&2; exit "$rc" ;;
esac

# run_query QUERY: prints the query, then its top 3; returns 1 on a rejected
# query (exit 2), 0 otherwise (exit 1, no match, is fine).
run_query() {
	echo
	echo "== $1"
	qrc=0
	"$QRY" "$OUT" -n 3 -- "$1" || qrc=$?
	case $qrc in
	0 | 1) return 0 ;;
	*) echo "demo: query failed (exit $qrc)" >&2; return 1 ;;
	esac
}

failed=0
if [ -f "$QUERIES" ]; then
	while IFS= read -r line || [ -n "$line" ]; do
		case $line in
		'' | '#'*) continue ;;
		esac
		line=$(printf "%s" "$line" | tr -d "\r")
		# only white space: skip
		[ -z "$(printf '%s' "$line" | tr -d ' \t\r')" ] && continue
		run_query "$line" </dev/null || failed=$((failed + 1))
	done <"$QUERIES"
else
	for q in \
		'"Tren de Aragua" NEAR direct' \
		'"tren de aragua" NEAR/10 directing' \
		'title:(maduro venezuelan) "alien enemies act"' \
		'"national intelligence council" ADJ/30 maduro' \
		'oil OR gas' \
		'crude NEAR/3 price*' \
		'opec -saudi'; do
		run_query "$q" || failed=$((failed + 1))
	done
fi

if [ "$failed" -ne 0 ]; then
	echo "demo: $failed quer$([ "$failed" -eq 1 ] && echo y || echo ies) rejected" >&2
	exit 2
fi
