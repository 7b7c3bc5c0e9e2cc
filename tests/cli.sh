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
# --help says only what exists
"$S" --help | grep -q -i -E 'model selection|bayes'; check "--help promises nothing that is not there" 1 $?
# what it does promise (learning dynamics, replicates, data, fits) has its commands
for c in train flow plateaus portrait replicate load fit; do
    "$S" --batch -e "help $c" >/dev/null 2>&1 </dev/null
    check "--help's promise: help $c" 0 $?
done
# seeds: the whole 64-bit range, strictly
for bad in 18446744073709551616 99999999999999999999 -1 ' 7' 7x 1e3 '' +7; do
    "$S" --seed="$bad" -e 'echo x' >/dev/null 2>&1 </dev/null
    check "--seed '$bad' is refused" 2 $?
done
out=$("$S" --seed=18446744073709551615 -e 'echo ok' </dev/null 2>&1); check "--seed 2^64-1 is accepted" "ok" "$out"
# echo: the rest of the line is text; control characters are shown
out=$("$S" -b -e 'echo Hello, world!' </dev/null 2>&1); check "echo Hello, world!" "Hello, world!" "$out"
out=$(printf 'echo \033[2J\033[31mred\007\n' | "$S" 2>&1); check "echo shows escapes in batch" "^[[2J^[[31mred^G" "$out"
# a UTF-8 byte-order mark before the first line
tmp=${TMPDIR:-/tmp}/cli-sh.$$
mkdir -p "$tmp"
printf '\357\273\277echo bom\n' > "$tmp/bom.scn"
out=$("$S" -b "$tmp/bom.scn" 2>&1); check "a BOM opens a script" "bom" "$out"
# endless input without a newline: bounded memory, an error, exit 1
# (under a 400 MB address-space limit, unless the build cannot start with
# one: AddressSanitizer reserves terabytes of shadow memory)
lim="ulimit -v 400000"
(eval "$lim"; "$S" --version) >/dev/null 2>&1 || lim=:
out=$( (eval "$lim"; "$S" -b /dev/zero) 2>&1 </dev/null); st=$?
check "/dev/zero is refused" "/dev/zero:1: error: line too long (more than 65536 bytes): not a script?" "$out"
check "/dev/zero exits 1" 1 $st
# output that cannot be written is a failure
if [ -w /dev/full ]; then
    "$S" -b -e 'models' >/dev/full 2>/dev/null </dev/null; check "a full disk exits 1" 1 $?
fi
# Ctrl-C during the last command of a batch run exits 130 (the map keeps
# the rows it finished and returns)
"$S" -b -e 'model g gmm' -e 'map g x=w1:-1..1 y=w2:-1..1 res=1000x1000' >/dev/null 2>"$tmp/int.err" </dev/null &
pid=$!
sleep 1
kill -INT $pid
wait $pid; check "SIGINT in the last command exits 130" 130 $?
# ... and while reading commands from stdin
(sleep 5) | "$S" -b >/dev/null 2>&1 &
pid=$!
sleep 1
kill -INT $pid
wait $pid; check "SIGINT while reading stdin exits 130" 130 $?
rm -rf "$tmp"
[ $fails = 0 ]
