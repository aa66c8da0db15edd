#!/bin/sh
# `make -j` on a bare machine: every compile must wait for tools/deps.sh,
# which installs the headers it needs.  In a copy of the build files whose
# deps.sh is a stand-in that takes a moment and leaves a mark, building one
# object with -j2 must run the stand-in to its end before the compiler
# starts (without the order-only prerequisite the object was compiled
# without the package check at all).  Run from the repository root.
set -u
work=$(mktemp -d "${TMPDIR:-/tmp}/trawl-make.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
cp -R Makefile include lib "$work"/ || exit 1
mkdir -p "$work/tools"
cat > "$work/tools/deps.sh" <<'EOF'
#!/bin/sh
sleep 1
echo "DEPS-CHECKED"
EOF
make -C "$work" -j2 --no-print-directory B=out out/lib/buf.o > "$work/log" 2>&1 || {
	cat "$work/log"; echo "make failed"; exit 1; }
cat "$work/log"
deps_at=$(grep -n '^DEPS-CHECKED$' "$work/log" | head -n 1 | cut -d: -f1)
cc_at=$(grep -n 'lib/buf.c' "$work/log" | head -n 1 | cut -d: -f1)
[ -n "$deps_at" ] || { echo "FAIL: the compile ran without the package check"; exit 1; }
[ -n "$cc_at" ] || { echo "FAIL: no compile of lib/buf.c in the log"; exit 1; }
[ "$deps_at" -lt "$cc_at" ] || { echo "FAIL: the compiler started before the package check ended"; exit 1; }
[ -f "$work/out/lib/buf.o" ] || { echo "FAIL: no object"; exit 1; }
echo "ok: package check (line $deps_at) before the compile (line $cc_at)"
