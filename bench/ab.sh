#!/bin/sh
# ab.sh -- is a change to the query code faster?  Compares two builds of
# trawl's query harness on one index, the way the speed-ups in the commit
# log were measured: OLD and NEW run the queries in turn, ROUNDS times
# (which goes first alternates), pinned to one core; per query, the
# median over the rounds of NEW/OLD (the ratio of two runs seconds
# apart: this machine's speed drifts by a third within minutes, the ratio
# of adjacent runs much less); then the geometric mean per kind and over
# all.  Below 1 means NEW is faster.
#
#   sh bench/ab.sh OLD_BENCH NEW_BENCH INDEX [QUERIES [ROUNDS [CORE]]]
#
# OLD_BENCH, NEW_BENCH: trawl_bench binaries, e.g. built from two commits:
#   cc -std=c11 -D_GNU_SOURCE -O2 -Iinclude -Ibench -o /tmp/tb_new \
#      bench/trawl_bench.c build/libtrawl.a -lstemmer -lutf8proc -lzstd -lisal -lz -lpthread -lm
# QUERIES: kind<TAB>query lines (default bench/queries.txt), ROUNDS
# default 8 (a single round can be off by a third), CORE default 1.  Each
# round times every query 10 times after a warm-up pass (trawl_bench's
# median).  Needs python3 and taskset.
set -eu
[ $# -ge 3 ] || { sed -n '2,20p' "$0" >&2; exit 2; }
old=$1 new=$2 index=$3
queries=${4:-bench/queries.txt}
rounds=${5:-8}
core=${6:-1}
work=$(mktemp -d "${TMPDIR:-/tmp}/trawl-ab.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
echo "# sh bench/ab.sh $old $new $index $queries $rounds $core"
grep -v '^#' "$queries" | grep . | cut -f1,2 > "$work/q"
i=1
while [ "$i" -le "$rounds" ]; do
	if [ $((i % 2)) = 1 ]; then order="old new"; else order="new old"; fi
	for v in $order; do
		if [ "$v" = old ]; then bin=$old; else bin=$new; fi
		taskset -c "$core" "$bin" query "$index" -q "$work/q" -r 10 -w 1 |
			cut -f1 > "$work/$v.$i"
	done
	i=$((i + 1))
done
python3 - "$work" "$rounds" <<'EOF'
import math, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
rows = [l.rstrip('\n').split('\t') for l in open(work + '/q')]
def times(v, i):
    return [float(x) for x in open('%s/%s.%d' % (work, v, i))]
ratios = [[n / o for o, n in zip(times('old', i), times('new', i))]
          for i in range(1, rounds + 1)]
kinds, logs = {}, []
for q, (kind, text) in enumerate(rows):
    r = statistics.median(run[q] for run in ratios)
    logs.append(math.log(r))
    kinds.setdefault(kind, []).append(math.log(r))
    print('%6.3f  %-12s %s' % (r, kind, text))
for kind, v in kinds.items():
    print('%6.3f  kind %s' % (math.exp(sum(v) / len(v)), kind))
print('%6.3f  all %d queries, %d rounds (new/old, below 1: new is faster)'
      % (math.exp(sum(logs) / len(logs)), len(rows), rounds))
EOF
