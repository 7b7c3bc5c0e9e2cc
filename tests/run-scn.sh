#!/bin/sh
# Runs one scenario test: `singscope --batch` on the script, comparing
# stdout+stderr and the exit status with SCRIPT.expected. The expected file
# starts with a line "# exit: N"; the rest is the exact output. Scripts run
# from their own directory's parent-relative names, so paths in errors are
# stable: the script is given by its base name after a cd.
# With SINGSCOPE_REGOLD=1 the expected file is rewritten instead (make regold).
# Usage: run-scn.sh SINGSCOPE path/to/test.scn
set -u
prog=$1
script=$2
dir=$(dirname "$script")
base=$(basename "$script" .scn)
expected="$dir/$base.expected"
prog_abs=$(cd "$(dirname "$prog")" && pwd)/$(basename "$prog")
out=$(cd "$dir" && LC_ALL=C.UTF-8 "$prog_abs" --batch --seed 1 "$base.scn" 2>&1)
status=$?
if [ "${SINGSCOPE_REGOLD:-}" = 1 ]; then
    # make regold: rewrite the transcript; read the diff before committing.
    { echo "# exit: $status"; printf '%s\n' "$out"; } > "$expected"
    echo "PASS: $script (rewritten)"
    exit 0
fi
want_status=$(sed -n '1s/^# exit: *//p' "$expected")
want_out=$(sed '1d' "$expected")
fail=0
if [ "$status" != "$want_status" ]; then
    echo "exit status $status, expected $want_status"
    fail=1
fi
if [ "$out" != "$want_out" ]; then
    echo "output differs from $expected:"
    printf '%s\n' "$want_out" > "${TMPDIR:-/tmp}/scn-want.$$"
    printf '%s\n' "$out" > "${TMPDIR:-/tmp}/scn-got.$$"
    diff -u "${TMPDIR:-/tmp}/scn-want.$$" "${TMPDIR:-/tmp}/scn-got.$$"
    rm -f "${TMPDIR:-/tmp}/scn-want.$$" "${TMPDIR:-/tmp}/scn-got.$$"
    fail=1
fi
[ $fail = 0 ] && echo "PASS: $script"
exit $fail
