#!/bin/sh
# End-to-end tests of bin/trawl-query: --count, --ids, --json, exit codes,
# the syntax-error caret, batch mode, --sort date, --since/--until, --threads,
# highlighting, and the worked example of SPEC section 5 on the seed article
# (alone, and inside Reuters-21578 when $TRAWL_SHARED has it).
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
ESC=$(printf '\033')

pass() { npass=$((npass + 1)); }
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
run_in() { # INPUT CMD...: as run, with stdin from the file INPUT
	rc=0
	_in=$1
	shift
	"$@" <"$_in" >"$T/out" 2>"$T/err" || rc=$?
}
expect_rc() { # WANT LABEL
	if [ "$rc" -eq "$1" ]; then pass; else fail "$2: exit $rc, want $1"; fi
}
expect_out() { # PATTERN LABEL (grep -E on stdout)
	if grep -Eq -- "$1" "$T/out"; then pass; else fail "$2: stdout lacks /$1/"; fi
}
reject_out() { # PATTERN LABEL
	if grep -Eq -- "$1" "$T/out"; then fail "$2: stdout has /$1/"; else pass; fi
}
expect_err() { # FIXED-STRING LABEL
	if grep -Fq -- "$1" "$T/err"; then pass; else fail "$2: stderr lacks '$1'"; fi
}
expect_stdout_is() { # TEXT LABEL (exact stdout, lines joined by spaces)
	got=$(tr '\n' ' ' <"$T/out" | sed 's/ $//')
	if [ "$got" = "$1" ]; then pass; else fail "$2: got '$got', want '$1'"; fi
}

cat >"$T/docs.jsonl" <<'EOF'
{"id": "q1", "title": "Oil prices rise", "date": "2020-01-15", "source": "wire", "body": "Crude oil prices rose sharply on Monday as producers cut output."}
{"id": "q2", "title": "Gas market", "date": "2021-06-01", "source": "wire", "body": "Natural gas futures fell.\n\nThe oil market was calm and oil traders waited."}
{"id": "q3", "title": "Weather\treport\u0001", "date": "2019-03-10", "body": "Sunny skies with \"quoted\" words, a backslash \\ and a\ttab."}
{"id": "q4", "title": "Café talk", "body": "Nicolás drank coffee near the old oil well."}
{"id": "q5", "title": "Shipping", "date": "2020-07-04", "source": "wire", "body": "Tankers waited outside the port for weeks."}
EOF
run "$IDX" build -o "$T/ix" "$T/docs.jsonl"
if [ "$rc" -ne 0 ]; then fail "building the test index: exit $rc"; exit 1; fi
ix="$T/ix"

# -- help and usage ----------------------------------------------------------------
run "$QRY" --help;               expect_rc 0 "--help"
expect_out "--count" "--help lists --count"
run "$QRY";                      expect_rc 2 "no INDEX"
run "$QRY" "$ix" --frobnicate x; expect_rc 2 "unknown option"
run "$QRY" "$ix" -n x oil;       expect_rc 2 "bad -n"
run "$QRY" "$ix" --sort size oil; expect_rc 2 "bad --sort"
run "$QRY" "$ix" --threads -1 oil; expect_rc 2 "bad --threads"
expect_err "bad --threads" "bad --threads: says which option"
run "$QRY" "$ix" --threads=x oil; expect_rc 2 "bad --threads=x"
run "$QRY" "$ix" --json --threads 1 tankers OR oil; expect_rc 0 "--threads 1"
cp "$T/out" "$T/one"
run "$QRY" "$ix" --json --threads=3 tankers OR oil; expect_rc 0 "--threads=3"
if cmp -s "$T/one" "$T/out"; then pass; else fail "--threads 3 answers differ from --threads 1"; fi

# -- --count and exit codes 0/1/2 ------------------------------------------------------
run "$QRY" "$ix" --count oil;    expect_rc 0 "--count oil"
expect_stdout_is "3" "--count oil"
run "$QRY" "$ix" --count zzzzqx; expect_rc 1 "--count with no match"
expect_stdout_is "0" "--count with no match"
run "$QRY" "$ix" zzzzqx;         expect_rc 1 "no match: exit 1"
expect_out "^0 matches" "no match: header"
run "$QRY" "$ix" oil;            expect_rc 0 "match: exit 0"
expect_out "^3 matches \\([0-9.]+ ms\\)" "header line"
run "$QRY" "$ix" oil NOT crude --count; expect_rc 0 "words joined into one query"
expect_stdout_is "2" "oil NOT crude"
run "$QRY" "$ix" --count -- oil -crude; expect_rc 0 "-word after --"
expect_stdout_is "2" "oil -crude"
run "$QRY" "$ix" --count oil -crude; expect_rc 0 "-word as a query word"
expect_stdout_is "2" "oil -crude without --"
run "$QRY" "$ix" --count oil -nuclear; expect_rc 0 "-n... word is a query word"
expect_stdout_is "3" "oil -nuclear is not -n uclear"
run "$QRY" "$ix" -n2 oil;        expect_rc 0 "-n2"
[ "$(grep -c '^ *[0-9][0-9]*\. ' "$T/out")" = 2 ] && pass || fail "-n2 shows two hits"

# -- missing or damaged index --------------------------------------------------------
run "$QRY" "$T/nowhere" oil;     expect_rc 2 "missing index: exit 2"
expect_err "$T/nowhere" "missing index: directory named"
mkdir "$T/empty"
run "$QRY" "$T/empty" oil;       expect_rc 2 "empty directory: exit 2"
expect_err "$T/empty" "empty directory named"

# -- syntax errors: message, query, caret under the column ---------------------------
# caret_ok QUERY: exit 2, "syntax error at column C", caret line has 2+C-1
# spaces (columns count code points, whatever the bytes).
caret_ok() {
	run "$QRY" "$ix" -- "$1"
	expect_rc 2 "bad query '$1': exit 2"
	col=$(sed -n 's/^trawl-query: syntax error at column \([0-9][0-9]*\): .*/\1/p' "$T/err")
	if [ -z "$col" ]; then fail "bad query '$1': no 'syntax error at column C: ...'"; return; fi
	qline=$(sed -n 2p "$T/err")
	[ "$qline" = "  $1" ] && pass || fail "bad query '$1': query line is '$qline'"
	caret=$(sed -n 3p "$T/err")
	want=$(printf "%$((col + 1))s^" "")
	[ "$caret" = "$want" ] && pass || fail "bad query '$1': caret line '$caret' for column $col"
}
caret_ok "oil NEAR"
case $col in 5 | 9) pass ;; *) fail "'oil NEAR': column $col, want 5 (NEAR) or 9 (end)" ;; esac
caret_ok "Nicolás café NEAR"
case $col in 14 | 18) pass ;; *) fail "'Nicolás café NEAR': column $col (code points), want 14 or 18" ;; esac
caret_ok '"unclosed phrase'
caret_ok "oil NEAR/x gas"
caret_ok "(oil gas"
caret_ok "-oil"

# -- --ids -----------------------------------------------------------------------------
run "$QRY" "$ix" --ids oil;      expect_rc 0 "--ids"
expect_stdout_is "q1 q2 q4" "--ids oil (document order)"
run "$QRY" "$ix" --ids -n 1 oil; expect_rc 0 "--ids ignores -n"
expect_stdout_is "q1 q2 q4" "--ids lists every match"
run "$QRY" "$ix" --ids zzzzqx;   expect_rc 1 "--ids no match"
[ ! -s "$T/out" ] && pass || fail "--ids no match printed something"

# -- default output, -n, --offset, highlighting -------------------------------------
run "$QRY" "$ix" -n 1 oil;       expect_rc 0 "-n 1"
[ "$(grep -c '^ *[0-9][0-9]*\. ' "$T/out")" = 1 ] && pass || fail "-n 1 shows one hit"
run "$QRY" "$ix" -n 2 --offset 1 oil; expect_rc 0 "--offset"
expect_out "^ +2\\. " "--offset 1 starts at rank 2"
reject_out "^ +1\\. " "--offset 1 hides rank 1"
run "$QRY" "$ix" tankers;        expect_rc 0 "default output"
expect_out "^ +1\\. [0-9]+\\.[0-9]{3} +2020-07-04 +q5 +Shipping" "rank line: rank, score, date, id, title"
expect_out "^ +.*\\[Tankers\\]" "piped output marks matches with brackets"
reject_out "$ESC" "piped output has no ANSI escapes"
run "$QRY" "$ix" --no-highlight tankers; expect_rc 0 "--no-highlight"
expect_out "Tankers waited" "--no-highlight keeps the text"
reject_out "\\[Tankers\\]" "--no-highlight: no brackets"
reject_out "$ESC" "--no-highlight: no escapes"
run "$QRY" "$ix" --highlight=ansi tankers; expect_rc 0 "--highlight=ansi"
expect_out "$ESC\\[[0-9;]*m" "--highlight=ansi uses escapes"
reject_out "\\[Tankers\\]" "--highlight=ansi: no brackets"
run "$QRY" "$ix" --color=always tankers; expect_rc 0 "--color=always"
expect_out "$ESC" "--color=always uses escapes"
run "$QRY" "$ix" --color=never --highlight=brackets tankers; expect_rc 0 "--color=never"
reject_out "$ESC" "--color=never: no escapes"
run "$QRY" "$ix" market;         expect_rc 0 "snippet of a multi-paragraph body"
[ "$(grep -c '' "$T/out")" -le 4 ] && pass || fail "snippet spread over several lines when piped"
plain=$("$QRY" "$ix" oil 2>/dev/null | grep -c '')
run "$QRY" "$ix" --explain oil;  expect_rc 0 "--explain"
[ "$(grep -c '' "$T/out")" -gt "$((plain + 3))" ] && pass ||
	fail "--explain adds no query tree or score explanations"

# -- --json -----------------------------------------------------------------------------
run "$QRY" "$ix" --json oil;     expect_rc 0 "--json"
[ "$(grep -c '' "$T/out")" = 3 ] && pass || fail "--json: one line per hit"
[ "$(grep -c '^{"id":"q[0-9]","rank":[0-9]*,"score":[0-9.e+-]*,"date":' "$T/out")" = 3 ] &&
	pass || fail "--json: id, rank, score, date"
expect_out '"rank":1,' "--json rank 1"
expect_out '"matches":\[\{"field":"(title|body)","position":[0-9]+,"start":[0-9]+,"end":[0-9]+\}' "--json matches"
expect_out '"id":"q4",.*"date":null' "--json: absent date is null"
expect_out '"source":"wire"' "--json source"
reject_out '\[oil\]|\[Oil\]' "--json snippet has no markers"
run "$QRY" "$ix" --json backslash; expect_rc 0 "--json escaping"
expect_out '\\"quoted\\"' "--json escapes quotes"
expect_out 'backslash \\\\ and' "--json escapes backslash"
expect_out '"title":"Weather\\treport\\u0001"' "--json escapes tab and control characters"
run "$QRY" "$ix" --json Nicolás; expect_rc 0 "--json UTF-8"
expect_out '"title":"Café talk"' "--json keeps UTF-8"
if command -v python3 >/dev/null 2>&1; then
	for qq in oil backslash Nicolás market; do
		"$QRY" "$ix" --json "$qq" >"$T/j" 2>/dev/null
		if python3 -c 'import json,sys
for l in open(sys.argv[1], encoding="utf-8"):
    o = json.loads(l)
    assert {"id","rank","score","date","source","title","snippet","matches"} <= set(o), o
    for m in o["matches"]:
        assert m["field"] in ("title", "body") and m["start"] < m["end"], m
' "$T/j" 2>"$T/err"; then pass; else fail "--json output for '$qq' is not valid JSON"; fi
	done
fi

# -- --sort date, --since, --until ----------------------------------------------------------
run "$QRY" "$ix" --json --sort date oil; expect_rc 0 "--sort date"
order=$(sed 's/^{"id":"\([^"]*\)".*/\1/' "$T/out" | tr '\n' ' ')
case $order in "q2 q1 "*) pass ;; *) fail "--sort date: order '$order', want q2 q1 first" ;; esac
run "$QRY" "$ix" --json --sort=date tankers OR oil; expect_rc 0 "--sort=date"
order=$(sed 's/^{"id":"\([^"]*\)".*/\1/' "$T/out" | tr '\n' ' ')
case $order in "q2 q5 q1 "*) pass ;; *) fail "--sort=date: order '$order', want q2 q5 q1 first" ;; esac
run "$QRY" "$ix" --count --since 2020-01-01 oil; expect_rc 0 "--since"
expect_stdout_is "2" "--since 2020-01-01 oil (undated excluded)"
run "$QRY" "$ix" --count --until 2020-12-31 oil; expect_rc 0 "--until"
expect_stdout_is "1" "--until 2020-12-31 oil"
run "$QRY" "$ix" --ids --since 2020-01-16 --until=2021-06-01 oil OR tankers; expect_rc 0 "--since and --until"
expect_stdout_is "q2 q5" "--since/--until range"
run "$QRY" "$ix" --count --since 2022-01-01 oil; expect_rc 1 "--since with nothing after"
for d in 2020-13-01 2020-1-1 2021-02-29 20200101 yesterday 2020-01-32; do
	run "$QRY" "$ix" --since "$d" oil
	expect_rc 2 "--since $d rejected"
	expect_err "$d" "--since $d named in the error"
done
run "$QRY" "$ix" --until 2024-02-29 --count oil; expect_rc 0 "leap day accepted"

# -- batch mode ---------------------------------------------------------------------------
printf 'oil\nzzzzqx\n\ntankers\n' >"$T/qs"
run_in "$T/qs" "$QRY" "$ix" --count; expect_rc 0 "batch --count"
printf '3\toil\n0\tzzzzqx\n1\ttankers\n' >"$T/want"
cmp -s "$T/out" "$T/want" && pass || fail "batch --count lines: COUNT<TAB>QUERY"
run_in "$T/qs" "$QRY" "$ix" --ids;   expect_rc 0 "batch --ids"
expect_stdout_is "# oil q1 q2 q4 # zzzzqx # tankers q5" "batch --ids headers"
run_in "$T/qs" "$QRY" "$ix";         expect_rc 0 "batch default"
expect_out "^# oil$" "batch prints the query"
expect_out "^# tankers$" "batch prints every query"
[ "$(grep -c 'match' "$T/out")" = 3 ] && pass || fail "batch: one header per query"
run_in "$T/qs" "$QRY" "$ix" --json;  expect_rc 0 "batch --json"
[ "$(grep -c '^{"query":"oil",' "$T/out")" = 3 ] && pass || fail "batch --json carries the query"
printf 'zzzzqx\nqqqqzz\n' >"$T/none"
run_in "$T/none" "$QRY" "$ix" --count; expect_rc 1 "batch with no match: exit 1"
printf 'oil\noil NEAR\ntankers\n' >"$T/badq"
run_in "$T/badq" "$QRY" "$ix" --count; expect_rc 2 "batch with a bad query: exit 2"
printf '3\toil\n1\ttankers\n' >"$T/want"
cmp -s "$T/out" "$T/want" && pass || fail "batch goes on after a bad query"
expect_err "syntax error at column" "batch reports the bad query"

# -- SPEC section 5: the worked example ------------------------------------------------------
SEED_ID=seed-tren-de-aragua-nic-assessment
cat >"$T/spec5" <<'EOF'
"Tren de Aragua" NEAR direct
"tren de aragua" NEAR/10 directing
title:(maduro venezuelan) "alien enemies act"
"national intelligence council" ADJ/30 maduro
EOF
spec5() { # INDEX LABEL: each query's --ids is exactly the seed
	while IFS= read -r q; do
		run "$QRY" "$1" --ids -- "$q"
		expect_rc 0 "$2: $q"
		expect_stdout_is "$SEED_ID" "$2: $q"
	done <"$T/spec5"
}
SHARED=${TRAWL_SHARED:-}
SEED="$SHARED/corpus/seed/seed.jsonl"
if [ -n "$SHARED" ] && [ -f "$SEED" ]; then
	run "$IDX" build -o "$T/seed" "$SEED"
	expect_rc 0 "build the seed index"
	spec5 "$T/seed" "seed"
	# closest: "directing or enabling Tren de Aragua", two tokens between
	run "$QRY" "$T/seed" --count -- '"Tren de Aragua" NEAR/1 direct'
	expect_rc 1 "seed: NEAR/1 does not match"
	run "$QRY" "$T/seed" --count -- '"Tren de Aragua" NEAR/2 direct'
	expect_rc 0 "seed: NEAR/2 matches"
	run "$QRY" "$T/seed" --count -- '"Tren de Aragua" ADJ/2 direct'
	expect_rc 1 "seed: ADJ/2 wants the phrase first"
	REUT="$SHARED/corpus/reuters21578.jsonl.gz"
	if [ -f "$REUT" ]; then
		run "$IDX" build -o "$T/reut" --memory 64M "$REUT" "$SEED"
		case $rc in 0 | 1) pass ;; *) fail "build reuters+seed: exit $rc" ;; esac
		spec5 "$T/reut" "reuters+seed"
		run "$QRY" "$T/reut" --count oil
		expect_rc 0 "reuters+seed: oil matches"
		[ "$(cat "$T/out")" -gt 1000 ] && pass || fail "reuters+seed: oil count $(cat "$T/out")"
	else
		echo "skip: $REUT absent"
	fi
else
	echo "skip: SPEC section 5 (no \$TRAWL_SHARED/corpus/seed/seed.jsonl)"
fi

echo "cli_query: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
