#!/bin/sh
# Command-line behaviour: options, exit codes, modes, input order.
set -u
fails=0
check() { # description, expected, actual
    if [ "$2" = "$3" ]; then echo "ok: $1"; else
        echo "FAILED: $1"; echo "  expected: $2"; echo "  got:      $3"; fails=$((fails + 1)); fi
}
S=$SINGSCOPE
"$S" --help | grep -q '^Usage: singscope' ; check "--help prints usage" 0 $?
"$S" --version | head -n 1 | grep -q '^singscope [0-9]' ; check "--version" 0 $?
"$S" --bogus >/dev/null 2>&1 </dev/null; check "unknown option exits 2" 2 $?
"$S" --format=xml -e 'models' >/dev/null 2>&1 </dev/null; check "bad --format exits 2" 2 $?
"$S" --seed=abc -e 'models' >/dev/null 2>&1 </dev/null; check "bad --seed exits 2" 2 $?
out=$("$S" --batch -e 'echo one' -e 'echo two' </dev/null); check "-e in order" "one
two" "$out"
out=$(printf 'echo a\necho b\n' | "$S"); check "stdin not a tty: batch from stdin" "a
b" "$out"
out=$(printf 'echo a\nbogus\necho b\n' | "$S" 2>&1); st=$?
check "batch stops at the first error" "a
<stdin>:2:1: error: unknown command 'bogus' (type \`help\` for the list)" "$out"
check "batch error exits 1" 1 $st
out=$("$S" --batch -k -e 'bogus' -e 'echo after' 2>/dev/null </dev/null); st=$?
check "--keep-going continues" "after" "$out"
check "--keep-going still exits 1" 1 $st
out=$("$S" --batch nonexistent.scn 2>&1 </dev/null); st=$?
check "missing script" "error: cannot open 'nonexistent.scn': No such file or directory" "$out"
check "missing script exits 1" 1 $st
a=$("$S" --batch --seed 5 -e 'model g gmm' -e 'sample g n=3 as d' -e 'format csv' -e 'show d' </dev/null)
b=$("$S" --batch --seed 5 -e 'model g gmm' -e 'sample g n=3 as d' -e 'format csv' -e 'show d' </dev/null)
c=$("$S" --batch --seed 6 -e 'model g gmm' -e 'sample g n=3 as d' -e 'format csv' -e 'show d' </dev/null)
check "same --seed, same numbers" "$a" "$b"
[ "$a" != "$c" ]; check "different --seed, different numbers" 0 $?
out=$("$S" --batch --format csv -e 'model g gmm v=0.3 w1=0 w2=1.5' -e 'fim g' </dev/null | head -n 1)
check "--format csv fim header" "param,v,w1,w2" "$out"
out=$("$S" --batch --format csv -e 'model g gmm v=0.3 w1=0 w2=1.5' -e 'eig g' </dev/null | head -n 1)
check "--format csv eig header" "k,eigenvalue,v,w1,w2" "$out"
out=$("$S" --batch -e 'quit' -e 'echo never' </dev/null); check "quit stops" "" "$out"
"$S" --batch "$srcdir/scenarios/tour.scn" >/dev/null 2>&1 </dev/null
check "the tour scenario runs in batch mode" 0 $?
[ $fails = 0 ]
