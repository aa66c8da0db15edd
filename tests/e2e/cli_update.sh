#!/bin/sh
# End-to-end tests of updating an index with bin/trawl-index: add (creates
# the index, replaces by id, skips malformed lines with file:line warnings,
# --strict, an interrupted add), delete (ids, --ids-from, unknown ids),
# merge (--max-segments), stats (segments, deleted) and the writer lock.
# Run from the repository root (tests/run.sh does); prints each failed check
# and exits non-zero if any failed.
set -u
IDX=${TRAWL_INDEX:-bin/trawl-index}
QRY=${TRAWL_QUERY:-bin/trawl-query}
[ -x "$IDX" ] && [ -x "$QRY" ] || { echo "FAIL: $IDX or $QRY not built"; exit 1; }

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
nfail=0
npass=0

pass() { npass=$((npass + 1)); }
fail() {
	nfail=$((nfail + 1))
	echo "FAIL: $*"
	for f in "$T/out" "$T/err"; do
		[ -s "$f" ] && { echo "--- ${f##*/}:"; head -n 20 "$f"; }
	done
}
run() {
	rc=0
	"$@" >"$T/out" 2>"$T/err" || rc=$?
}
expect_rc() { # WANT LABEL
	if [ "$rc" -eq "$1" ]; then pass; else fail "$2: exit $rc, want $1"; fi
}
expect_out() { # PATTERN LABEL (grep -E on stdout)
	if grep -Eq -- "$1" "$T/out"; then pass; else fail "$2: stdout lacks /$1/"; fi
}
expect_err() { # PATTERN LABEL (grep -F on stderr)
	if grep -Fq -- "$1" "$T/err"; then pass; else fail "$2: stderr lacks '$1'"; fi
}
stat_of() { # INDEX FIELD -> the number after FIELD in `stats`
	"$IDX" stats "$1" 2>/dev/null | sed -n "s/^$2 *\\([0-9]*\\).*/\\1/p"
}
ids() { # INDEX QUERY -> ids, sorted, on one line
	"$QRY" "$1" --ids -- "$2" 2>/dev/null | LC_ALL=C sort | tr '\n' ' '
}
count() { "$QRY" "$1" --count -- "$2" 2>/dev/null; }

cat >"$T/a.jsonl" <<'EOF'
{"id": "a1", "title": "Oil prices rise", "body": "Crude oil prices rose sharply. common"}
{"id": "a2", "title": "Gas market", "body": "Natural gas futures fell. common"}
{"id": "a3", "title": "Weather", "body": "Sunny skies over the harbour. common"}
EOF
cat >"$T/b.jsonl" <<'EOF'
{"id": "a2", "title": "Gas market", "body": "Gas futures recovered: a walrus. common"}
{"id": "b1", "title": "Wheat", "body": "Wheat harvest. common"}
{"id": "bad", "title": "broken" "body": "no comma"}
{"id": "b2", "title": "Corn", "date": "2021-02-30", "body": "a bad date. common"}
{"id": "b3", "title": "Corn", "body": "Corn prices. common"}
EOF

# -- help and usage -------------------------------------------------------------
run "$IDX" --help;          expect_rc 0 "--help"
expect_out "add INDEX" "--help lists add"
expect_out "delete INDEX" "--help lists delete"
expect_out "merge INDEX" "--help lists merge"
for c in add delete merge; do
	run "$IDX" $c --help;   expect_rc 0 "$c --help"
done
run "$IDX" add;                      expect_rc 2 "add without INDEX"
run "$IDX" add "$T/i";               expect_rc 2 "add without INPUT"
run "$IDX" add "$T/i" "$T/missing.jsonl"
expect_rc 2 "add of a missing input"
[ ! -e "$T/i" ] && pass || fail "add of a missing input created the index"
run "$IDX" add -o "$T/x" "$T/i" "$T/a.jsonl"; expect_rc 2 "add takes no -o"
run "$IDX" delete "$T/i";            expect_rc 2 "delete without ids"
run "$IDX" merge "$T/i" --max-segments 0; expect_rc 2 "merge --max-segments 0"
run "$IDX" add -l klingon "$T/i" "$T/a.jsonl"
expect_rc 2 "add with an unknown language"
[ ! -e "$T/i" ] && pass || fail "unknown language: the index was created"

# -- add creates the index ----------------------------------------------------------
run "$IDX" add -l none "$T/i" "$T/a.jsonl"
expect_rc 0 "add creates the index"
expect_out "^added +3" "summary: added"
expect_out "^replaced +0" "summary: replaced"
expect_out "^skipped +0" "summary: skipped"
expect_out "^segments +1" "summary: segments"
expect_out "^live docs +3" "summary: live docs"
expect_out "language none" "summary: language"
run "$IDX" check "$T/i";    expect_rc 0 "check after add"
[ "$(count "$T/i" prices)" = 1 ] && pass || fail "no stemming: prices"
[ "$(count "$T/i" price)" = 0 ] && pass || fail "no stemming: price"

# -- add to it: replace, skip, warnings ---------------------------------------------
run "$IDX" add -l english "$T/i" "$T/b.jsonl"
expect_rc 1 "add with malformed documents: exit 1"
expect_err "b.jsonl:3" "malformed line: warning names file:line"
expect_err "2021-02-30" "bad date: warning"
expect_err "language none" "--language of an existing index: warning"
expect_out "^added +3" "second add: added"
expect_out "^replaced +1" "second add: replaced"
expect_out "^skipped +2" "second add: skipped"
expect_out "^segments +2" "second add: segments"
expect_out "^live docs +5" "second add: live docs"
[ "$(ids "$T/i" common)" = "a1 a2 a3 b1 b3 " ] && pass || fail "ids after add: $(ids "$T/i" common)"
[ "$(count "$T/i" walrus)" = 1 ] && pass || fail "replacement not found"
[ "$(count "$T/i" natural)" = 0 ] && pass || fail "replaced document still found"
run "$IDX" stats "$T/i"; expect_rc 0 "stats"
expect_out "^documents +5" "stats: documents"
expect_out "^deleted +1" "stats: deleted"
expect_out "^segments +2" "stats: segments"

before=$(ids "$T/i" common)
run "$IDX" add --strict "$T/i" "$T/b.jsonl"
expect_rc 2 "--strict: exit 2"
expect_err "b.jsonl:3" "--strict names file:line"
[ "$(ids "$T/i" common)" = "$before" ] && pass || fail "--strict: index changed"
[ "$(count "$T/i" walrus)" = 1 ] && pass || fail "--strict: index changed"
run "$IDX" check "$T/i";    expect_rc 0 "check after --strict"

# stdin
rc=0
printf '%s\n' '{"id": "s1", "title": "", "body": "from stdin common"}' |
	"$IDX" add "$T/i" - >"$T/out" 2>"$T/err" || rc=$?
expect_rc 0 "add from stdin"
[ "$(count "$T/i" stdin)" = 1 ] && pass || fail "stdin document not found"

# -- delete ---------------------------------------------------------------------------
run "$IDX" delete "$T/i" a1 nope
expect_rc 1 "delete with an unknown id: exit 1"
expect_err "not found: nope" "unknown id reported"
expect_out "^deleted +1" "delete summary"
[ "$(ids "$T/i" common)" = "a2 a3 b1 b3 s1 " ] && pass || fail "ids after delete: $(ids "$T/i" common)"
printf 'a3\n\nb1\r\n' >"$T/del.txt"
run "$IDX" delete "$T/i" --ids-from "$T/del.txt"
expect_rc 0 "delete --ids-from"
[ "$(ids "$T/i" common)" = "a2 b3 s1 " ] && pass || fail "ids after --ids-from: $(ids "$T/i" common)"
rc=0
echo s1 | "$IDX" delete "$T/i" --ids-from - >"$T/out" 2>"$T/err" || rc=$?
expect_rc 0 "delete --ids-from -"
run "$IDX" delete "$T/nowhere" a1
expect_rc 2 "delete from a missing index"
[ ! -e "$T/nowhere" ] && pass || fail "delete created an index"
# a1 a2(old) a3 and s1 went with their segments, in which nothing lived;
# b1 stays stored (deleted) until a merge
[ "$(stat_of "$T/i" deleted)" = 1 ] && pass || fail "stats: deleted $(stat_of "$T/i" deleted), want 1"
[ "$(stat_of "$T/i" segments)" = 1 ] && pass || fail "stats: segments $(stat_of "$T/i" segments), want 1"

# -- merge ----------------------------------------------------------------------------
n=0
while [ $n -lt 4 ]; do
	echo "{\"id\": \"m$n\", \"title\": \"\", \"body\": \"merge me common\"}" >"$T/m.jsonl"
	"$IDX" add -q "$T/i" "$T/m.jsonl" >/dev/null 2>&1
	n=$((n + 1))
done
"$IDX" delete "$T/i" m0 >/dev/null 2>&1
segs=$(stat_of "$T/i" segments)
[ "$segs" -ge 3 ] && pass || fail "segments before merge: $segs"
before=$(ids "$T/i" common)
run "$IDX" merge "$T/i" --max-segments 2
expect_rc 0 "merge --max-segments 2"
[ "$(stat_of "$T/i" segments)" -le 2 ] && pass || fail "merge to 2: $(stat_of "$T/i" segments) segments"
[ "$(stat_of "$T/i" deleted)" = 0 ] && pass || fail "merge to 2 kept deleted documents"
run "$IDX" merge "$T/i"
expect_rc 0 "merge"
expect_out "^segments +[0-9]+ -> 1" "merge summary"
[ "$(stat_of "$T/i" segments)" = 1 ] && pass || fail "merge: $(stat_of "$T/i" segments) segments"
[ "$(ids "$T/i" common)" = "$before" ] && pass || fail "merge changed the results"
run "$IDX" check "$T/i";    expect_rc 0 "check after merge"
run "$IDX" merge "$T/nowhere"; expect_rc 2 "merge of a missing index"

# -- the lock; an interrupted add -----------------------------------------------------
mkfifo "$T/fifo"
"$IDX" add "$T/i" "$T/fifo" >"$T/int.out" 2>"$T/int.err" &
pid=$!
exec 3<>"$T/fifo"
echo '{"id": "z1", "title": "", "body": "interrupted common"}' >&3
sleep 1
run "$IDX" delete "$T/i" a2
expect_rc 2 "second writer: exit 2"
expect_err "$T/i/LOCK" "second writer: the lock is named"
expect_err "another writer" "second writer: says why"
run "$QRY" "$T/i" --count common
expect_rc 0 "a reader while a writer works"
kill -TERM "$pid" 2>/dev/null
sleep 1
exec 3>&-
rc=0
wait "$pid" || rc=$?
expect_rc 2 "SIGTERM during add: exit 2"
grep -q "nothing committed" "$T/int.err" && pass || fail "SIGTERM: no message"
[ "$(count "$T/i" interrupted)" = 0 ] && pass || fail "interrupted add is visible"
[ "$(ids "$T/i" common)" = "$before" ] && pass || fail "interrupted add changed the index"
# an interrupted add into a new index leaves nothing
"$IDX" add "$T/new" "$T/fifo" >/dev/null 2>&1 &
pid=$!
exec 3<>"$T/fifo"
echo '{"id": "z1", "title": "", "body": "x"}' >&3
sleep 1
kill -INT "$pid" 2>/dev/null
sleep 1
exec 3>&-
rc=0
wait "$pid" || rc=$?
expect_rc 2 "SIGINT during add to a new index: exit 2"
[ ! -e "$T/new" ] && pass || fail "interrupted add left $T/new: $(ls -A "$T/new" | tr '\n' ' ')"
run "$IDX" delete "$T/i" a2
expect_rc 0 "the lock is free again"
run "$IDX" check "$T/i";    expect_rc 0 "check at the end"

echo "cli_update: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
