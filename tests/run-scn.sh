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
# The first line "# scn: OPTION ..." of a script sets options:
#   scratch     it writes files: run it in a fresh temporary directory
#               holding a copy of it and of the directory NAME.d next to it
#               (its input files), removed afterwards (the source tree may
#               be read-only, as in distcheck);
#   more        then run the scripts NAME.d/*.scn in name order, each on
#               its own with --keep-going, so that one transcript shows
#               several errors (an error stops only its own script).
rundir=$dir
scratch=
keep=
first=$(sed -n '1p' "$script")
case $first in
"# scn:"*) opts=${first#"# scn:"} ;;
*) opts= ;;
esac
for o in $opts; do
    case $o in
    scratch)
        scratch=$(mktemp -d "${TMPDIR:-/tmp}/scn.XXXXXX") || exit 1
        cp "$script" "$scratch/" || exit 1
        if [ -d "$dir/$base.d" ]; then
            cp -R "$dir/$base.d" "$scratch/" || exit 1
            chmod -R u+w "$scratch" || exit 1
        fi
        rundir=$scratch
        ;;
    more) keep=--keep-going ;;
    *) echo "$script: unknown scn option '$o'"; exit 1 ;;
    esac
done
more=
if [ -n "$keep" ]; then
    more=$(cd "$rundir" && ls "$base.d"/*.scn 2>/dev/null | LC_ALL=C sort)
fi
# shellcheck disable=SC2086 # the names of NAME.d have no blanks
out=$(cd "$rundir" && LC_ALL=C.UTF-8 "$prog_abs" --batch $keep --seed 1 "$base.scn" $more 2>&1)
status=$?
[ -n "$scratch" ] && rm -rf "$scratch"
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
