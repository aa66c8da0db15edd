#!/bin/sh
# End-to-end tests of bin/trawl-index: build from JSONL, .txt directories,
# stdin and gzip; exit codes 0/1/2; --strict, --force and an existing index;
# an interrupted build; stats, check and a damaged index.
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
# run CMD...: runs it with stdout in $T/out, stderr in $T/err, exit in $rc
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
ndocs() { # INDEX -> document count from `stats`
	"$IDX" stats "$1" 2>/dev/null | sed -n 's/^documents *\([0-9]*\).*/\1/p'
}
count() { # INDEX QUERY -> exact count
	"$QRY" "$1" --count -- "$2" 2>/dev/null
}
# flip FILE OFFSET: inverts the bits of one byte in place
flip() {
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' \n')
	o=$(printf '%03o' $((b ^ 255)))
	printf "\\$o" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

cat >"$T/small.jsonl" <<'EOF'
{"id": "a1", "title": "Oil prices rise", "date": "2020-01-15", "source": "wire", "body": "Crude oil prices rose sharply on Monday."}
{"id": "a2", "title": "Gas market", "date": "2021-06-01", "source": "wire", "body": "Natural gas futures fell while oil held steady."}
{"id": "a3", "title": "Weather", "body": "Sunny skies over the harbour."}
{"id": "a4", "title": "Café", "date": "2019-03-10", "body": "Nicolás drank coffee near the well."}
{"id": "a5", "title": null, "body": "A zebra walked past the gate."}
EOF

# -- help, languages, usage errors -------------------------------------------
run "$IDX" --help;              expect_rc 0 "--help"
expect_out "build" "--help lists build"
run "$IDX" build --help;        expect_rc 0 "build --help"
expect_out "--strict" "build --help lists --strict"
run "$IDX" stats --help;        expect_rc 0 "stats --help"
run "$IDX" check --help;        expect_rc 0 "check --help"
run "$IDX" languages;           expect_rc 0 "languages"
expect_out "^english$" "languages lists english"
expect_out "^none$" "languages lists none"
run "$IDX" frobnicate;          expect_rc 2 "unknown command"
run "$IDX" build "$T/small.jsonl"; expect_rc 2 "build without -o"
run "$IDX" build -o "$T/x" --memory 12Q "$T/small.jsonl"
expect_rc 2 "bad --memory"
run "$IDX" build -o "$T/x" "$T/nonexistent.jsonl"
expect_rc 2 "missing input"
expect_err "nonexistent.jsonl" "missing input named"
[ ! -e "$T/x" ] && pass || fail "missing input: $T/x was created"
run "$IDX" build -o "$T/x" --language klingon "$T/small.jsonl"
expect_rc 2 "unknown language"
[ ! -e "$T/x" ] && pass || fail "unknown language: $T/x was created"

# -- a clean build: exit 0, summary on stdout ---------------------------------
run "$IDX" build -o "$T/i1" --memory 1M "$T/small.jsonl"
expect_rc 0 "build small.jsonl"
expect_out "^documents +5" "summary: documents"
expect_out "^terms" "summary: terms"
expect_out "^postings" "summary: postings"
expect_out "^positions" "summary: positions"
expect_out "dictionary" "summary: dictionary part"
expect_out "stored documents" "summary: stored documents part"
expect_out "^peak memory" "summary: peak memory"
[ ! -s "$T/err" ] && pass || fail "clean build wrote to stderr (not a terminal)"
[ -d "$T/i1" ] && pass || fail "index directory not created"

run "$IDX" stats "$T/i1";      expect_rc 0 "stats"
expect_out "^documents +5" "stats: document count"
expect_out "^terms" "stats: terms"
run "$IDX" check "$T/i1";      expect_rc 0 "check"
expect_out "^ok$" "check prints ok"
[ "$(count "$T/i1" oil)" = 2 ] && pass || fail "query oil: count $(count "$T/i1" oil), want 2"

# -- missing index -------------------------------------------------------------
run "$IDX" stats "$T/nowhere";  expect_rc 2 "stats of a missing index"
expect_err "$T/nowhere" "stats names the missing directory"
run "$IDX" check "$T/nowhere";  expect_rc 2 "check of a missing index"
expect_err "$T/nowhere" "check names the missing directory"
mkdir "$T/empty"
run "$IDX" check "$T/empty";    expect_rc 2 "check of an empty directory"
expect_err "$T/empty" "check names the empty directory"

# -- an existing index: refused without --force, kept intact -------------------
printf '%s\n' '{"id": "n1", "title": "New", "body": "unicorn herd"}' >"$T/new.jsonl"
before=$(cd "$T/i1" && ls -l)
run "$IDX" build -o "$T/i1" "$T/new.jsonl"
expect_rc 2 "existing index without --force"
expect_err "$T/i1" "existing index named"
[ "$(cd "$T/i1" && ls -l)" = "$before" ] && pass || fail "existing index files changed"
[ "$(ndocs "$T/i1")" = 5 ] && pass || fail "existing index no longer has 5 docs"
run "$IDX" check "$T/i1";       expect_rc 0 "existing index still checks ok"
run "$IDX" build -o "$T/i1" --force "$T/new.jsonl"
expect_rc 0 "--force replaces"
[ "$(ndocs "$T/i1")" = 1 ] && pass || fail "--force: index has $(ndocs "$T/i1") docs, want 1"
[ "$(count "$T/i1" unicorn)" = 1 ] && pass || fail "--force: new document not found"
[ "$(count "$T/i1" oil)" = 0 ] && pass || fail "--force: old documents still found"
run "$IDX" build -o "$T/i1" -f "$T/small.jsonl"
expect_rc 0 "-f replaces again"
[ "$(ndocs "$T/i1")" = 5 ] && pass || fail "-f: index has $(ndocs "$T/i1") docs, want 5"

# -- malformed lines: warning naming file:line, exit 1; --strict: exit 2 --------
{
	sed -n 1,2p "$T/small.jsonl"
	echo '{"id": "bad", "title": "broken" "body": "no comma"}'
	sed -n 3,5p "$T/small.jsonl"
} >"$T/bad.jsonl"
run "$IDX" build -o "$T/i2" "$T/bad.jsonl"
expect_rc 1 "malformed line: exit 1"
expect_err "bad.jsonl:3" "malformed line: warning names file:line"
[ "$(ndocs "$T/i2")" = 5 ] && pass || fail "malformed line: $(ndocs "$T/i2") docs, want 5"
expect_out "^skipped +1" "summary counts the skipped document"

listing() { ls -A "$T" | grep -v -e '^out$' -e '^err$' | sort; }
before=$(listing)
run "$IDX" build -o "$T/i3" --strict "$T/bad.jsonl"
expect_rc 2 "--strict: exit 2"
expect_err "bad.jsonl:3" "--strict: error names file:line"
[ ! -e "$T/i3" ] && pass || fail "--strict: index directory was created"
# a failed build leaves no temporary files next to the index either
[ "$(listing)" = "$before" ] && pass || fail "--strict: files left in $T: $(listing | tr '\n' ' ')"

# -- repeated ids: warning, later document wins --------------------------------
cat >"$T/dup.jsonl" <<'EOF'
{"id": "d1", "title": "first", "body": "aardvark"}
{"id": "d2", "title": "other", "body": "badger"}
{"id": "d1", "title": "second", "body": "capybara"}
EOF
run "$IDX" build -o "$T/i4" "$T/dup.jsonl"
expect_rc 0 "repeated id: exit 0"
expect_err "id d1 repeated: later document wins" "repeated id warning"
[ "$(ndocs "$T/i4")" = 2 ] && pass || fail "repeated id: $(ndocs "$T/i4") docs, want 2"
[ "$(count "$T/i4" capybara)" = 1 ] && pass || fail "repeated id: later document not found"
[ "$(count "$T/i4" aardvark)" = 0 ] && pass || fail "repeated id: earlier document still found"

# -- many bad documents: 20 warnings shown, the rest counted ------------------
{
	cat "$T/small.jsonl"
	i=1
	while [ "$i" -le 26 ]; do echo "not json $i"; i=$((i + 1)); done
	cat "$T/dup.jsonl"
	cat "$T/dup.jsonl" # 4 repeats in all: 30 warnings
} >"$T/many.jsonl"
nwarn() { grep -c -e 'document skipped' -e 'repeated: later' "$T/err"; }
run "$IDX" build -o "$T/warn5" "$T/many.jsonl"
expect_rc 1 "many bad lines: exit 1"
[ "$(nwarn)" = 20 ] && pass || fail "default limit: $(nwarn) warnings shown, want 20"
expect_err "many.jsonl:25:1" "the 20th warning is shown"
grep -Fq "many.jsonl:26:1" "$T/err" && fail "the 21st warning is shown" || pass
expect_err "10 warnings about documents not shown" "the held-back ones are counted"
expect_err "26 malformed documents skipped" "every skipped document is counted"
[ "$(ndocs "$T/warn5")" = 7 ] && pass || fail "many bad lines: $(ndocs "$T/warn5") docs, want 7"
run "$IDX" build -o "$T/warn6" --max-warnings all "$T/many.jsonl"
expect_rc 1 "--max-warnings all: exit 1"
[ "$(nwarn)" = 30 ] && pass || fail "--max-warnings all: $(nwarn) warnings shown, want 30"
grep -Fq "not shown" "$T/err" && fail "--max-warnings all: some not shown" || pass
run "$IDX" add "$T/warn7" --max-warnings 3 "$T/many.jsonl"
expect_rc 1 "add --max-warnings 3: exit 1"
[ "$(nwarn)" = 3 ] && pass || fail "add --max-warnings 3: $(nwarn) warnings shown, want 3"
expect_err "23 warnings about documents not shown" "add counts the held-back ones"
run "$IDX" build -o "$T/warn8" --max-warnings 0 "$T/many.jsonl"
[ "$(nwarn)" = 0 ] && pass || fail "--max-warnings 0: $(nwarn) warnings shown, want 0"
expect_err "30 warnings about documents not shown" "--max-warnings 0 counts them all"
run "$IDX" build -o "$T/warn9" --max-warnings -2 "$T/many.jsonl"
expect_rc 2 "bad --max-warnings"
expect_err "bad --max-warnings '-2'" "bad --max-warnings is named"

# -- a directory of .txt files --------------------------------------------------
mkdir -p "$T/txt/sub/deeper"
printf 'First title\nBody about walruses.\nMore body.\n' >"$T/txt/one.txt"
printf 'Second title\nA body about narwhals.\n' >"$T/txt/sub/two.txt"
printf 'Third\nnarwhals again\n' >"$T/txt/sub/deeper/three.txt"
printf 'not a text file: walruses\n' >"$T/txt/notes.md"
run "$IDX" build -o "$T/i5" "$T/txt"
expect_rc 0 "build from a .txt directory"
[ "$(ndocs "$T/i5")" = 3 ] && pass || fail ".txt directory: $(ndocs "$T/i5") docs, want 3"
run "$QRY" "$T/i5" --ids narwhals
expect_rc 0 ".txt directory: query"
[ "$(sort "$T/out" | tr '\n' ' ')" = "sub/deeper/three.txt sub/two.txt " ] && pass ||
	fail ".txt directory: ids are not the relative paths"
[ "$(count "$T/i5" 'title:first')" = 1 ] && pass || fail ".txt directory: first line is not the title"

# -- standard input -------------------------------------------------------------
rc=0
"$IDX" build -o "$T/i6" - <"$T/small.jsonl" >"$T/out" 2>"$T/err" || rc=$?
expect_rc 0 "build from stdin"
[ "$(ndocs "$T/i6")" = 5 ] && pass || fail "stdin: $(ndocs "$T/i6") docs, want 5"
rc=0
cat "$T/small.jsonl" | "$IDX" build -o "$T/i6b" - "$T/new.jsonl" >"$T/out" 2>"$T/err" || rc=$?
expect_rc 0 "build from a pipe and a file"
[ "$(ndocs "$T/i6b")" = 6 ] && pass || fail "pipe+file: $(ndocs "$T/i6b") docs, want 6"

# -- gzip: whole, then cut short ------------------------------------------------
i=0
while [ $i -lt 400 ]; do
	echo "{\"id\": \"g$i\", \"title\": \"Story $i\", \"body\": \"Paragraph $i about markets, tankers $((i * 7)) and refineries $((i * 13)) in port $((i % 17)).\"}"
	i=$((i + 1))
done >"$T/many.jsonl"
gzip -9 -c "$T/many.jsonl" >"$T/many.jsonl.gz"
run "$IDX" build -o "$T/i7" "$T/many.jsonl.gz"
expect_rc 0 "build from .jsonl.gz"
[ "$(ndocs "$T/i7")" = 400 ] && pass || fail ".gz: $(ndocs "$T/i7") docs, want 400"
gzip -c "$T/small.jsonl" >"$T/renamed.jsonl"   # gzip found by magic bytes
run "$IDX" build -o "$T/i7b" "$T/renamed.jsonl"
expect_rc 0 "gzip detected by content"
[ "$(ndocs "$T/i7b")" = 5 ] && pass || fail "gzip by content: $(ndocs "$T/i7b") docs"

size=$(wc -c <"$T/many.jsonl.gz")
head -c $((size / 2)) "$T/many.jsonl.gz" >"$T/cut.jsonl.gz"
run "$IDX" build -o "$T/i8" "$T/cut.jsonl.gz"
case $rc in
1 | 2) pass ;;
*) fail "cut .gz: exit $rc, want 2 (or 1)" ;;
esac
[ -s "$T/err" ] && pass || fail "cut .gz: no message on stderr"
if [ "$rc" -eq 2 ]; then
	[ ! -e "$T/i8" ] && pass || fail "cut .gz: exit 2 but index created"
fi

# -- a file size limit (as a full disk): a clear error, the old index kept ----
# SIGXFSZ is ignored, so the write fails with EFBIG; the build reports it
# and removes its temporary directory, with one thread and with two.
awk 'BEGIN { for (i = 0; i < 3000; i++)
	printf "{\"id\":\"fs%d\",\"title\":\"oil report %d\",\"body\":\"crude oil prices rose %d points in trading %d\"}\n", i, i, i % 97, i }' >"$T/fs.jsonl"
run "$IDX" build -q -o "$T/fs" "$T/fs.jsonl"
expect_rc 0 "build before the size limit"
before_fs=$(count "$T/fs" oil)
before=$(listing)
for j in 1 2; do
	run sh -c 'ulimit -f 16; exec "$@"' sh "$IDX" build -q -j "$j" --force \
		-o "$T/fs" "$T/fs.jsonl"
	expect_rc 2 "-j $j past the file size limit"
	expect_err "File too large" "-j $j past the file size limit says so"
	[ "$(listing)" = "$before" ] && pass ||
		fail "-j $j past the size limit: files left: $(listing | tr '\n' ' ')"
	[ "$(count "$T/fs" oil)" = "$before_fs" ] && pass ||
		fail "-j $j past the size limit: the old index changed"
done
rm -rf "$T/fs" "$T/fs.jsonl"

# -- an interrupted build leaves nothing ---------------------------------------
before=$(listing)
mkfifo "$T/fifo"
"$IDX" build -o "$T/i9" "$T/fifo" >"$T/int.out" 2>"$T/int.err" &
pid=$!
exec 3<>"$T/fifo"   # read-write: never blocks, even if the build died
head -n 200 "$T/many.jsonl" >&3
sleep 1
kill -TERM "$pid" 2>/dev/null
sleep 1
exec 3>&-
rc=0
wait "$pid" || rc=$?
expect_rc 2 "SIGTERM during build: exit 2"
[ ! -e "$T/i9" ] && pass || fail "SIGTERM: index directory created"
rm -f "$T/fifo" "$T/int.out" "$T/int.err"
[ "$(listing)" = "$before" ] && pass ||
	fail "SIGTERM: files left in $T: $(listing | tr '\n' ' ')"

# -- check finds a flipped byte in any index file, and names the file ---------
run "$IDX" build -o "$T/i10" "$T/many.jsonl"
expect_rc 0 "build for corruption"
run "$IDX" check "$T/i10";  expect_rc 0 "check before corruption"
nfiles=0
for f in $(cd "$T/i10" && find . -type f | sed 's|^\./||' | sort); do
	sz=$(wc -c <"$T/i10/$f")
	[ "$sz" -gt 0 ] || continue
	nfiles=$((nfiles + 1))
	rm -rf "$T/bad"
	cp -R "$T/i10" "$T/bad"
	flip "$T/bad/$f" $((sz / 2))
	if cmp -s "$T/i10/$f" "$T/bad/$f"; then fail "could not flip a byte of $f"; continue; fi
	run "$IDX" check "$T/bad"
	expect_rc 2 "check with a byte of $f flipped"
	expect_err "$(basename "$f")" "check names the damaged file $f"
	# stats and queries on the damaged index must not crash either
	run "$IDX" stats "$T/bad"
	[ "$rc" -le 2 ] && pass || fail "stats with $f damaged: exit $rc (crash?)"
	run "$QRY" "$T/bad" --count tankers
	[ "$rc" -le 2 ] && pass || fail "query with $f damaged: exit $rc (crash?)"
done
[ "$nfiles" -gt 0 ] && pass || fail "index directory has no files"
rm -rf "$T/bad"

echo "cli_index: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
