#!/bin/sh
# bench/run.sh -- trawl against Xapian and SQLite FTS5 on the same input.
#
#   sh bench/run.sh [--corpus FILE...|all] [--docs N] [--reps R] [--warmup W]
#                   [--threads N] [--builds B] [--pairs P] [--keep] [--quick]
#
#   --corpus F   JSON Lines input (.jsonl or .jsonl.gz); may be repeated or
#                hold several space-separated paths, which are concatenated.
#                "all" means every ../shared/corpus/*.jsonl.gz.  Default:
#                all of them when ../shared/corpus/ is there, else the
#                bundled corpus/news.jsonl.
#   --docs N     use N documents spread evenly over the input (for a trial)
#   --reps R     timed repetitions of each query (default 20)
#   --warmup W   untimed passes over all queries first (default 2)
#   --threads N  trawl's multi-threaded build and searches (default: every core)
#   --builds B   builds by each engine, in rounds; the median is reported
#                (default 3)
#   --pairs P    trawl's 1-thread and N-thread builds, back to back, P
#                times a round (default 3); the N-thread speed-up is the
#                median of the pairs' ratios
#   --keep       keep the indexes in bench/results/tmp/NAME/ afterwards
#   --quick      the bundled corpus/ (what `make bench-quick` runs)
#
# Steps: install missing packages, build trawl and the three harnesses,
# write the input as one plain .jsonl, index it with each engine under
# /usr/bin/time (wall, CPU, peak RSS), time the queries of bench/queries.txt
# in each engine, build trawl on 1/4, 1/2 and all of the largest collection
# for the scaling lines, and write bench/results/DATE-NAME.md and .json (bench/report.py).
# See bench/README.md for what the figures mean.
set -eu

cd "$(dirname "$0")/.."
SHARED="${TRAWL_SHARED:-../shared}"

corpora=""
docs=""
reps=20
warmup=2
threads=$(nproc 2>/dev/null || echo 2)
builds=3
pairs=3
keep=0
quick=0
usage() {
	sed -n '2,/^# Steps/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case "$1" in
	--corpus) [ $# -ge 2 ] || usage; corpora="$corpora $2"; shift 2 ;;
	--docs) [ $# -ge 2 ] || usage; docs=$2; shift 2 ;;
	--reps) [ $# -ge 2 ] || usage; reps=$2; shift 2 ;;
	--warmup) [ $# -ge 2 ] || usage; warmup=$2; shift 2 ;;
	--threads) [ $# -ge 2 ] || usage; threads=$2; shift 2 ;;
	--builds) [ $# -ge 2 ] || usage; builds=$2; shift 2 ;;
	--pairs) [ $# -ge 2 ] || usage; pairs=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	--quick) quick=1; shift ;;
	*) usage ;;
	esac
done

case "$builds" in ''|*[!0-9]*|0) usage ;; esac
case "$pairs" in ''|*[!0-9]*|0) usage ;; esac

# ---- Which input ---------------------------------------------------------
if [ "$quick" = 1 ]; then
	corpora="corpus/news.jsonl"
	name=bundled
elif [ -z "$corpora" ]; then
	if ls "$SHARED"/corpus/*.jsonl.gz > /dev/null 2>&1; then corpora=all
	else corpora="corpus/news.jsonl"; fi
fi
# shellcheck disable=SC2086,SC2116 # word splitting of $corpora is intended
if [ "$(echo $corpora)" = all ]; then
	corpora=$(ls "$SHARED"/corpus/*.jsonl.gz)
fi
ncorp=0
for f in $corpora; do
	[ -f "$f" ] || { echo "bench: no such corpus: $f" >&2; exit 2; }
	ncorp=$((ncorp + 1))
	n=$(basename "$f"); n=${n%.gz}; n=${n%.jsonl}
	[ "$n" = news ] && n=bundled
done
if [ "$quick" != 1 ]; then
	if [ "$ncorp" -gt 1 ]; then name="combined-$ncorp"; else name=$n; fi
fi
[ -n "$docs" ] && name="$name-sample$docs"

# The command that reproduces this run, for the top of the report.
repro="sh bench/run.sh"
if [ "$quick" = 1 ]; then
	repro="$repro --quick"
else
	for f in $corpora; do repro="$repro --corpus $f"; done
fi
[ -n "$docs" ] && repro="$repro --docs $docs"
repro="$repro --reps $reps --warmup $warmup --threads $threads --builds $builds --pairs $pairs"

W="bench/results/tmp/$name"
BIN="bench/results/tmp/bin"
say() { echo "bench: $*" >&2; }

# ---- Packages, trawl, harnesses -------------------------------------------
TRAWL_EXTRA_PKGS="libxapian-dev g++ libsqlite3-dev sqlite3 time python3" sh tools/deps.sh
${MAKE:-make} --no-print-directory -s all
# What was built, taken now: the tree may change while the run goes on.
built="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
[ -n "$(git status --porcelain -- lib include indexer query 2>/dev/null)" ] &&
	built="$built (with uncommitted changes in lib/ include/ indexer/ query/)"
mkdir -p "$BIN"
TRAWL_LDLIBS="${TRAWL_LDLIBS:--lstemmer -lutf8proc -lzstd -lisal -lz -lpthread -lm}"
HFLAGS="-O2 -g -Wall -Wextra -Iinclude -Ibench"
# stale BINARY SOURCE: true when BINARY is missing or older than what it is
# built from (its source, benchutil.h, libtrawl.a, trawl.h).
stale() {
	[ -f "$1" ] || return 0
	for dep in "$2" bench/benchutil.h build/libtrawl.a include/trawl.h; do
		[ -z "$(find "$dep" -newer "$1")" ] || return 0
	done
	return 1
}
if stale "$BIN/trawl_bench" bench/trawl_bench.c; then
	say "building trawl_bench"
	cc -std=c11 -D_GNU_SOURCE $HFLAGS -o "$BIN/trawl_bench" bench/trawl_bench.c \
		build/libtrawl.a $TRAWL_LDLIBS
fi
if stale "$BIN/bench_codec" bench/bench_codec.c; then
	say "building bench_codec"
	cc -std=c11 -D_GNU_SOURCE $HFLAGS -Ilib -o "$BIN/bench_codec" bench/bench_codec.c \
		build/libtrawl.a $TRAWL_LDLIBS
fi
if stale "$BIN/fts5_bench" bench/fts5_bench.c; then
	say "building fts5_bench"
	cc -std=c11 -D_GNU_SOURCE $HFLAGS $(pkg-config --cflags sqlite3) \
		-o "$BIN/fts5_bench" bench/fts5_bench.c build/libtrawl.a $TRAWL_LDLIBS \
		$(pkg-config --libs sqlite3)
fi
if stale "$BIN/xapian_bench" bench/xapian_bench.cc; then
	say "building xapian_bench"
	c++ -std=c++17 $HFLAGS $(pkg-config --cflags xapian-core) \
		-o "$BIN/xapian_bench" bench/xapian_bench.cc build/libtrawl.a $TRAWL_LDLIBS \
		$(pkg-config --libs xapian-core)
fi

# ---- Input ------------------------------------------------------------------
# One plain .jsonl that every engine reads, so that no engine pays for gzip
# and all see the same documents; then its first quarter and half.
rm -rf "$W"
mkdir -p "$W"
say "preparing the input in $W"
for f in $corpora; do
	case "$f" in *.gz) gzip -dc "$f" ;; *) cat "$f" ;; esac
done > "$W/full.jsonl"
full_lines=$(wc -l < "$W/full.jsonl")
if [ -n "$docs" ]; then
	total=$full_lines
	# Every line i where floor(i*N/total) steps up: N lines, evenly spread.
	awk -v n="$docs" -v t="$total" \
		'int(NR * n / t) > int((NR - 1) * n / t)' "$W/full.jsonl" > "$W/input.jsonl"
	rm "$W/full.jsonl"
else
	mv "$W/full.jsonl" "$W/input.jsonl"
fi
# The scaling lines: 1/4, 1/2 and all of the largest collection alone
# (with one collection, "all" is the input itself).
largest=$(ls -S $corpora | head -n 1)
if [ "$ncorp" -gt 1 ]; then
	case "$largest" in *.gz) gzip -dc "$largest" ;; *) cat "$largest" ;; esac > "$W/largest.jsonl"
	if [ -n "$docs" ]; then
		total=$(wc -l < "$W/largest.jsonl")
		share=$(( docs * total / full_lines + 1 ))
		awk -v n="$share" -v t="$total" \
			'int(NR * n / t) > int((NR - 1) * n / t)' "$W/largest.jsonl" > "$W/largest.tmp"
		mv "$W/largest.tmp" "$W/largest.jsonl"
	fi
	scale_all="$W/largest.jsonl"
else
	scale_all="$W/input.jsonl"
fi
lines=$(wc -l < "$scale_all")
head -n $((lines / 4)) "$scale_all" > "$W/quarter.jsonl"
head -n $((lines / 2)) "$scale_all" > "$W/half.jsonl"

# Runs "$@" under /usr/bin/time; writes "wall user sys maxrss_kb" to
# $W/time.$1-name.  Exit status 1 from trawl-index (malformed documents
# skipped) is not a failure.
timed() {
	tag=$1; shift
	rc=0
	/usr/bin/time -f '%e %U %S %M' -o "$W/time.$tag" "$@" > "$W/out.$tag" 2> "$W/err.$tag" || rc=$?
	if [ "$rc" -gt 1 ]; then
		say "$tag failed (exit $rc):"; cat "$W/err.$tag" >&2; exit 1
	fi
	# GNU time prints "Command exited with non-zero status" first then.
	tail -n 1 "$W/time.$tag" > "$W/time.$tag.tmp" && mv "$W/time.$tag.tmp" "$W/time.$tag"
}

# ---- Indexing ---------------------------------------------------------------
# Every engine builds $builds times, in rounds (each engine once a round, so
# that a slow spell of the shared machine falls on all of them); each
# engine's median run by wall time is the one reported.  trawl builds
# with one thread and with $threads back to back, $pairs times a round: the
# machine's speed drifts by a third within minutes, and a pair's ratio,
# its two builds seconds apart, is what the drift disturbs least; the
# order within a pair alternates.
cat "$W/input.jsonl" > /dev/null # same page-cache state for every engine
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
round=1
k=1
while [ "$round" -le "$builds" ]; do
	say "indexing, round $round of $builds: trawl 1 thread and $threads threads ($pairs pairs), Xapian, SQLite FTS5"
	p=1
	while [ "$p" -le "$pairs" ]; do
		rm -rf "$W/trawl1.idx" "$W/trawlN.idx"
		# which goes first alternates, so that going first or second
		# favours neither
		for t in $(if [ $((k % 2)) = 1 ]; then echo 1 N; else echo N 1; fi); do
			j=1; [ "$t" = N ] && j=$threads
			timed "trawl$t.$k" bin/trawl-index build -q -j "$j" -o "$W/trawl$t.idx" "$W/input.jsonl"
		done
		p=$((p + 1))
		k=$((k + 1))
	done
	rm -rf "$W/xapian.db" "$W/fts5.db"
	timed "xapian.$round" "$BIN/xapian_bench" index "$W/xapian.db" "$W/input.jsonl"
	timed "fts5.$round" "$BIN/fts5_bench" index "$W/fts5.db" "$W/input.jsonl"
	round=$((round + 1))
done
for tag in trawl1 trawlN xapian fts5; do
	case $tag in trawl*) n=$((builds * pairs)) ;; *) n=$builds ;; esac
	median=$(r=1; while [ "$r" -le "$n" ]; do
			echo "$(cut -d' ' -f1 "$W/time.$tag.$r") $r"; r=$((r + 1)); done |
		sort -n | sed -n "$(( (n + 1) / 2 ))p" | cut -d' ' -f2)
	for f in time out err; do cp "$W/$f.$tag.$median" "$W/$f.$tag"; done
done
"$BIN/trawl_bench" stats "$W/trawl1.idx" > "$W/stats.trawl1"
"$BIN/fts5_bench" stats "$W/fts5.db" > "$W/stats.fts5"

# ---- Queries ----------------------------------------------------------------
# In rounds, like the builds: the timed runs of each query are split over
# $builds rounds, each engine once a round (with its own warm-up), so that
# a slow spell of the machine falls on every engine alike.  report.py
# pools the rounds' samples (q.ENGINE.R, samples.ENGINE.R).
# Every engine's queries run on the same core (the last): this machine's
# two cores have differed in speed by a third, and which one a
# single-threaded process lands on would otherwise decide its figures.
pin=""
if command -v taskset > /dev/null 2>&1; then
	pin="taskset -c $(( $(nproc) - 1 ))"
fi
qreps=$(( (reps + builds - 1) / builds ))
Q="-q bench/queries.txt -r $qreps -w $warmup"
rm -f "$W"/q.trawl* "$W"/q.xapian* "$W"/q.fts5* "$W"/samples.trawl* \
	"$W"/samples.xapian* "$W"/samples.fts5*
r=1
while [ "$r" -le "$builds" ]; do
	say "queries, round $r of $builds: trawl (1 and $threads threads a search), Xapian, SQLite FTS5"
	$pin "$BIN/trawl_bench" query "$W/trawl1.idx" $Q -s "$W/samples.trawl.$r" \
		> "$W/q.trawl.$r" 2> "$W/qerr.trawl"
	# a search on every core ($threads): not pinned
	"$BIN/trawl_bench" query "$W/trawl1.idx" $Q -t "$threads" -s "$W/samples.trawlN.$r" \
		> "$W/q.trawlN.$r" 2> "$W/qerr.trawlN"
	$pin "$BIN/xapian_bench" query "$W/xapian.db" $Q -s "$W/samples.xapian.$r" \
		> "$W/q.xapian.$r" 2> "$W/qerr.xapian"
	$pin "$BIN/fts5_bench" query "$W/fts5.db" $Q -s "$W/samples.fts5.$r" \
		> "$W/q.fts5.$r" 2> "$W/qerr.fts5"
	r=$((r + 1))
done

# ---- Scaling: trawl on 1/4, 1/2 and all of the largest collection ---------
# (all = the 1-thread run above when the input is one collection)
parts="quarter half"
[ "$ncorp" -gt 1 ] && parts="quarter half largest"
for part in $parts; do
	say "scaling: trawl on the $part"
	timed "scale-$part" bin/trawl-index build -q -j 1 -o "$W/$part.idx" "$W/$part.jsonl"
	"$BIN/trawl_bench" stats "$W/$part.idx" > "$W/stats.$part"
	$pin "$BIN/trawl_bench" query "$W/$part.idx" $Q -s "$W/samples.$part" > "$W/q.$part" 2> "$W/qerr.$part"
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- Report -----------------------------------------------------------------
python3 bench/report.py --work "$W" --name "$name" --queries bench/queries.txt \
	--out bench/results --command "$repro" --threads "$threads" --reps "$((qreps * builds))" \
	--builds "$builds" --pairs "$pairs" \
	--warmup "$warmup" --corpora "$(echo $corpora)" \
	--commit "$built" \
	--load-start "$load_start" --load-end "$load_end" \
	--versions "Xapian $(pkg-config --modversion xapian-core), SQLite $(pkg-config --modversion sqlite3), $(cc --version | head -n 1)"

if [ "$keep" = 0 ]; then
	rm -rf "$W"/*.idx "$W"/*.db "$W"/*.jsonl
fi
