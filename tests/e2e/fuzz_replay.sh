#!/bin/sh
# Replays every fuzz target's corpus (fuzz/corpus/<target>/: the seeds and
# what the fuzzers found) through the ASan+UBSan build of the target, with
# a plain main instead of libFuzzer: a crash or sanitizer report fails.
status=0
for bin in build-san/replay/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	dir="fuzz/corpus/$name"
	[ -d "$dir" ] || { echo "$name: no corpus in $dir"; continue; }
	# shellcheck disable=SC2046
	if ! "$bin" $(find "$dir" -type f | sort) > /dev/null; then
		echo "$name: FAILED"
		status=1
	else
		echo "$name: $(find "$dir" -type f | wc -l) inputs ok"
	fi
done
exit $status
