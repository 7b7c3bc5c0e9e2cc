#!/bin/sh
# Replays the seed corpus through the libFuzzer target (each input once, no
# mutation, nothing written): the target builds, and no seed crashes, leaks
# or trips a sanitizer. `make fuzz` does the actual fuzzing.
set -u
fuzz=./tests/fuzz/fuzz_interp
[ -x "$fuzz" ] || { echo "no $fuzz: skipped"; exit 77; }
out=fuzz-replay.$$.out
"$fuzz" -timeout=60 "$srcdir"/tests/fuzz/corpus/* >"$out" 2>&1
st=$?
tail -n 30 "$out"
rm -f "$out"
exit $st
