#!/bin/sh
# Crash safety of `trawl-index add`, `delete` and `merge`.
#
# 1. CRASH_TRIALS trials (default 30; CRASH_TRIALS=200 for a long run), each
#    a random add (new and replacing documents), delete or merge, killed
#    with SIGKILL after a random delay by build/tools/killafter.  After each:
#    `trawl-index check` passes, and the ids of a query matching every
#    document ("common", in every document) are exactly those of the last
#    completed commit.  A command that exited on its own must have
#    committed; a killed one may or may not have -- its index holds the
#    previous state or the new one, nothing in between (an add is also
#    checked through its own tag word: none of its documents, or all).
#    Some trials must be killed and some complete; on a machine so loaded
#    (or so fast) that none did, more trials run with the delays scaled.
# 2. Concurrent readers: while a writer adds and merges in a loop, reader
#    processes run trawl-query and trawl-index stats over and over; each
#    must succeed and see a committed document count.
#
# CRASH_SEED replays a run (printed first).  Run from the repository root.
set -u
IDX=${TRAWL_INDEX:-bin/trawl-index}
QRY=${TRAWL_QUERY:-bin/trawl-query}
KILLAFTER=${TRAWL_KILLAFTER:-build/tools/killafter}
TRIALS=${CRASH_TRIALS:-30}
MAX_US=${CRASH_MAX_US:-100000}
SEED=${CRASH_SEED:-$(($(date +%s) % 100000))}
for x in "$IDX" "$QRY" "$KILLAFTER"; do
	[ -x "$x" ] || { echo "FAIL: $x not built"; exit 1; }
done
echo "crash: CRASH_SEED=$SEED CRASH_TRIALS=$TRIALS"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
nfail=0
npass=0
pass() { npass=$((npass + 1)); }
fail() {
	nfail=$((nfail + 1))
	echo "FAIL (seed $SEED): $*"
	[ -s "$T/err" ] && { echo "--- stderr:"; head -n 10 "$T/err"; }
}

# A linear congruential generator: rand N sets r to 0..N-1 (N < 2^30),
# from the high 15 bits of two steps.
state=$SEED
rand() {
	state=$(((state * 1103515245 + 12345) % 2147483648))
	r=$((state / 65536))
	state=$(((state * 1103515245 + 12345) % 2147483648))
	r=$(((r * 32768 + state / 65536) % $1))
}

# gen FIRST N TAG [IDS_FILE]: N JSON Lines documents with ids dFIRST...
# (or the ids listed in IDS_FILE), each with "common" and TAG in its body.
gen() {
	awk -v first="$1" -v n="$2" -v tag="$3" -v seed="$SEED$1" -v idf="${4:-}" '
	BEGIN {
		srand(seed)
		nw = split("oil gas price market bank rate crude opec said rise " \
			   "fell cut supply demand tanker port ship grain wheat " \
			   "corn dollar trade", w, " ")
		k = 0
		if (idf != "")
			while ((getline line < idf) > 0)
				ids[k++] = line
		for (i = 0; i < n; i++) {
			id = idf != "" ? ids[i % k] : "d" (first + i)
			b = "common " tag
			for (j = 0; j < 30; j++)
				b = b " " w[int(rand() * nw) + 1]
			printf "{\"id\": \"%s\", \"title\": \"%s %s\", \"body\": \"%s\"}\n",
			       id, w[int(rand() * nw) + 1], tag, b
		}
	}'
}

# pick N FILE: N distinct random lines of FILE.
pick() {
	rand 1000000
	awk -v n="$1" -v seed="$r" 'BEGIN { srand(seed) }
		{ l[NR] = $0 }
		END {
			for (i = NR; i > 1; i--) {
				j = int(rand() * i) + 1
				t = l[i]; l[i] = l[j]; l[j] = t
			}
			for (i = 1; i <= n && i <= NR; i++) print l[i]
		}' "$2"
}

ids_of() { # INDEX QUERY -> sorted ids on stdout
	"$QRY" "$1" --ids -- "$2" 2>>"$T/qerr" | LC_ALL=C sort
}

# -- 1. killed writers ---------------------------------------------------------
I="$T/idx"
gen 0 1500 t0 >"$T/batch.jsonl"
if ! "$IDX" add "$I" "$T/batch.jsonl" >/dev/null 2>"$T/err"; then
	fail "initial add"
	exit 1
fi
ids_of "$I" common >"$T/state"
next=1500
killed=0
killed_new=0
completed=0
trial=0
# After TRIALS, up to 2 x TRIALS more while every trial so far was killed
# (or every one completed), the delays doubled (or halved) each time: a
# loaded machine slows every command, and the check below needs both.
while [ "$trial" -lt "$TRIALS" ] ||
	{ [ "$TRIALS" -ge 10 ] && [ "$trial" -lt $((3 * TRIALS)) ] &&
	  { [ "$killed" = 0 ] || [ "$completed" = 0 ]; }; }; do
	if [ "$trial" -ge "$TRIALS" ]; then
		if [ "$completed" = 0 ] && [ "$MAX_US" -lt 100000000 ]; then
			MAX_US=$((MAX_US * 2))
		elif [ "$killed" = 0 ] && [ "$MAX_US" -gt 1000 ]; then
			MAX_US=$((MAX_US / 2))
		fi
	fi
	trial=$((trial + 1))
	tag="tag$trial"
	rand 10
	op=$r
	: >"$T/tagnew"
	if [ "$op" -lt 5 ]; then
		# add: new documents, and some replacing live ones
		rand 300; n=$((100 + r))
		rand 100; nrep=$r
		pick "$nrep" "$T/state" >"$T/rep"
		{
			gen "$next" "$n" "$tag"
			[ -s "$T/rep" ] && gen 0 "$(wc -l <"$T/rep")" "$tag" "$T/rep"
		} >"$T/batch.jsonl"
		sed 's/^{"id": "\([^"]*\)".*/\1/' "$T/batch.jsonl" | LC_ALL=C sort -u >"$T/tagnew"
		LC_ALL=C sort -u "$T/state" "$T/tagnew" >"$T/new"
		next=$((next + n))
		what="add of $n documents ($nrep replacing)"
		set -- "$IDX" add -q "$I" "$T/batch.jsonl"
	elif [ "$op" -lt 8 ]; then
		rand 400; n=$((1 + r))
		# keep the index small, so that trials stay fast
		[ "$(wc -l <"$T/state")" -gt 3000 ] && n=$((n + 600))
		pick "$n" "$T/state" >"$T/del"
		echo "no-such-id-$trial" >>"$T/del"
		LC_ALL=C sort "$T/del" >"$T/dels"
		LC_ALL=C comm -23 "$T/state" "$T/dels" >"$T/new"
		what="delete of $n ids"
		set -- "$IDX" delete "$I" --ids-from "$T/del"
	else
		rand 3; n=$((1 + r))
		cp "$T/state" "$T/new"
		what="merge to $n segments"
		set -- "$IDX" merge "$I" --max-segments "$n"
	fi
	rand "$MAX_US"
	delay=$r
	rc=0
	"$KILLAFTER" "$delay" "$@" >/dev/null 2>"$T/err" || rc=$?
	what="trial $trial: $what, killed after ${delay}us (exit $rc)"
	if ! "$IDX" check "$I" >/dev/null 2>"$T/err"; then
		fail "$what: check failed"
		break
	fi
	ids_of "$I" common >"$T/now"
	ids_of "$I" "$tag" >"$T/tagnow"
	is_new=0
	is_old=0
	cmp -s "$T/now" "$T/new" && cmp -s "$T/tagnow" "$T/tagnew" && is_new=1
	cmp -s "$T/now" "$T/state" && [ ! -s "$T/tagnow" ] && is_old=1
	case $rc in
	0 | 1)
		completed=$((completed + 1))
		if [ "$is_new" = 1 ]; then pass; else
			fail "$what: completed, but the index is not its result"
			break
		fi ;;
	137)
		killed=$((killed + 1))
		[ "$is_new" = 1 ] && killed_new=$((killed_new + 1))
		if [ "$is_new" = 1 ] || [ "$is_old" = 1 ]; then pass; else
			fail "$what: a state between the old ($(wc -l <"$T/state") ids) and the new ($(wc -l <"$T/new") ids): $(wc -l <"$T/now") ids, $(wc -l <"$T/tagnow") tagged"
			break
		fi ;;
	*)
		fail "$what: unexpected exit"
		break ;;
	esac
	[ "$is_new" = 1 ] && cp "$T/new" "$T/state"
done
[ -s "$T/qerr" ] && fail "trawl-query failed: $(head -n 3 "$T/qerr")"
# every trial killed or every one completed would test little
if [ "$TRIALS" -ge 10 ]; then
	[ "$killed" -gt 0 ] && [ "$completed" -gt 0 ] && pass ||
		fail "$killed killed, $completed completed: adjust CRASH_MAX_US"
fi
echo "crash: $trial trials: $killed killed ($killed_new after their commit)," \
	"$completed completed; $(wc -l <"$T/state") documents at the end;" \
	"delays up to ${MAX_US}us at the end"

# -- 2. readers while a writer adds and merges ---------------------------------
R="$T/ridx"
gen 100000 300 r0 >"$T/r0.jsonl"
"$IDX" add "$R" "$T/r0.jsonl" >/dev/null 2>"$T/err" || fail "reader index"
ROUNDS=${CRASH_READER_ROUNDS:-10}
counts=300
k=1
while [ "$k" -le "$ROUNDS" ]; do
	gen $((100000 + 1000 * k)) 100 "r$k" >"$T/r$k.jsonl"
	counts="$counts $((300 + 100 * k))"
	k=$((k + 1))
done
(
	k=1
	while [ "$k" -le "$ROUNDS" ]; do
		"$IDX" add -q "$R" "$T/r$k.jsonl" >/dev/null 2>>"$T/werr" ||
			echo "add $k failed" >>"$T/werr"
		if [ $((k % 3)) = 0 ]; then
			"$IDX" merge "$R" >/dev/null 2>>"$T/werr" ||
				echo "merge $k failed" >>"$T/werr"
		fi
		k=$((k + 1))
	done
	touch "$T/stop"
) &
writer=$!
readers=""
for n in 1 2 3; do
	(
		while [ ! -e "$T/stop" ]; do
			if [ "$n" = 3 ]; then
				out=$("$IDX" stats "$R" 2>&1) && rc=0 || rc=$?
				c=$(echo "$out" | sed -n 's/^documents *\([0-9]*\).*/\1/p')
			else
				c=$("$QRY" "$R" --count -- common 2>&1) && rc=0 || rc=$?
			fi
			echo "$rc $c" >>"$T/reader$n"
		done
	) &
	readers="$readers $!"
done
wait "$writer"
for p in $readers; do wait "$p"; done
[ -s "$T/werr" ] && fail "writer: $(head -n 3 "$T/werr")"
nreads=0
for n in 1 2 3; do
	while read -r rc c; do
		nreads=$((nreads + 1))
		ok=0
		if [ "$rc" = 0 ]; then
			for v in $counts; do [ "$c" = "$v" ] && ok=1; done
		fi
		[ "$ok" = 1 ] || { fail "reader $n: exit $rc, saw '$c' (committed counts: $counts)"; break; }
	done <"$T/reader$n"
done
[ "$nreads" -ge 10 ] && pass || fail "readers ran only $nreads times"
"$IDX" check "$R" >/dev/null 2>"$T/err" && pass || fail "reader index check"
echo "crash: $nreads reads during $ROUNDS adds"

echo "crash: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
