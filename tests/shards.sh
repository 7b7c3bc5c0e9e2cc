#!/bin/sh
# shard=I/N and merge: N shards of an experiment, run in separate
# processes with different thread counts and merged in a third, give the
# export a single run gives, byte for byte (after the first line, which
# names the object); shards that do not add up, or come from another
# experiment, are refused with the reason and nothing is stored.
set -u
fails=0
check() { # description, expected, actual
    if [ "$2" = "$3" ]; then echo "ok: $1"; else
        echo "FAILED: $1"; echo "  expected: $2"; echo "  got:      $3"; fails=$((fails + 1)); fi
}
S=$SINGSCOPE
dir=$(mktemp -d "${TMPDIR:-/tmp}/ss_shards.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1
export LANG=C NO_COLOR=1
M='model g gmm v=0.3 w1=-1 w2=1'
E='replicate g n=150 reps=30 seed=11'
run() { "$S" --batch -e "$M" "$@" </dev/null; }

run -e "$E threads=2 as e" -e 'export e full.csv' >/dev/null
for i in 1 2 3 4; do
    run -e "$E shard=$i/4 threads=$(( (i % 2) + 1 )) as e" \
        -e "export e shard-$i.csv" >/dev/null
done
check "four shard files" 4 "$(ls shard-*.csv | wc -l)"
check "shard 2/4 holds replicates 8..15" \
    "# replicates: 8..15 of 30 (shard 2/4)" "$(grep '^# replicates' shard-2.csv)"
# the rows of the shards are the rows of the full run
tail -n +6 full.csv | sort > full.rows
cat shard-*.csv | grep -v '^#' | grep -v '^rep' | sort > shard.rows
cmp -s full.rows shard.rows; check "shard rows are the full run's rows" 0 $?

run -e 'merge shard-3.csv shard-1.csv "shard-[24].csv" as e' \
    -e 'export e merged.csv' > merge.out 2>&1
check "merge succeeds" 0 $?
tail -n +2 full.csv > a; tail -n +2 merged.csv > b
cmp -s a b; check "merged export equals the single run's, byte for byte" 0 $?
run -e "$E as e" -e 'show e' > show-full.txt 2>&1
run -e 'merge "shard-*.csv" as e' -e 'show e' > show-merged.txt 2>&1
cmp -s show-full.txt show-merged.txt; check "merged show equals the single run's" 0 $?
# a merged result can be merged again (it is a whole run's export)
run -e 'merge merged.csv as e' -e 'export e again.csv' >/dev/null 2>&1
tail -n +2 again.csv > c; cmp -s a c; check "a whole export merges to itself" 0 $?

# a selection experiment the same way (3 shards, different threads)
SM='model m0 gmm v=0 w1=0 w2=0; fix m0 v w1 w2; model m1 gmm v=0.5 w1=0 w2=0.5; fix m1 w1; bound m1 w2=-1..1'
SE='select truth=m0 models=[m0,m1] n=[20,60] reps=6 seed=4 starts=2'
"$S" --batch -e "$SM" -e "$SE as e" -e 'export e selfull.csv' >/dev/null </dev/null
for i in 1 2 3; do
    "$S" --batch -e "$SM" -e "$SE shard=$i/3 threads=$i as e" \
        -e "export e sel-$i.csv" >/dev/null </dev/null
done
"$S" --batch -e "$SM" -e 'merge "sel-*.csv" as e' -e 'export e selmerged.csv' \
    >/dev/null 2>&1 </dev/null
check "select: merge succeeds" 0 $?
tail -n +2 selfull.csv > a; tail -n +2 selmerged.csv > b
cmp -s a b; check "select: merged export equals the single run's" 0 $?

# and a likelihood-ratio experiment (2 shards)
LE='llr truth=m0 null=m0 alt=m1 n=80 reps=10 seed=5 sims=500'
"$S" --batch -e "$SM" -e "$LE as e" -e 'export e llrfull.csv' >/dev/null </dev/null
for i in 1 2; do
    "$S" --batch -e "$SM" -e "$LE shard=$i/2 threads=$i as e" \
        -e "export e llr-$i.csv" >/dev/null </dev/null
done
"$S" --batch -e "$SM" -e 'merge llr-2.csv llr-1.csv as e' \
    -e 'export e llrmerged.csv' >/dev/null 2>&1 </dev/null
check "llr: merge succeeds" 0 $?
tail -n +2 llrfull.csv > a; tail -n +2 llrmerged.csv > b
cmp -s a b; check "llr: merged export equals the single run's" 0 $?

err() { run -k "$@" 2>&1 >/dev/null | head -1; }
check "a missing shard is named" \
    "-e:1:7: error: the files hold 22 of the 30 replicates of \`replicate g n=150 reps=30 seed=11\`: 8..15 are missing (a shard not given, or interrupted)" \
    "$(err -e 'merge shard-1.csv shard-3.csv shard-4.csv as e')"
check "a replicate twice is refused" \
    "-e:1:7: error: shard-1.csv:6: replicate 1 is also in shard-1.csv" \
    "$(err -e 'merge shard-1.csv shard-1.csv as e')"
out=$("$S" --batch -k -e 'model g gmm v=0.31 w1=-1 w2=1' \
    -e 'merge "shard-*.csv" as e' -e list 2>&1 </dev/null)
case $out in *"from other models or data than this session's"*) r=0 ;; *) r=1 ;; esac
check "shards of a different model are refused" 0 $r
case $out in *"  e "*) r=1 ;; *) r=0 ;; esac
check "nothing stored after a refused merge" 0 $r
run -e 'replicate g n=150 reps=30 seed=12 shard=1/2 as e' -e 'export e other.csv' >/dev/null
case $(err -e 'merge shard-1.csv other.csv as e') in
*"is a shard of another experiment"*) r=0 ;; *) r=1 ;; esac
check "shards of another experiment are refused" 0 $r
check "shard= needs seed=" \
    "-e:1:25: error: shard= needs seed=: every shard must draw the replicates of the same experiment" \
    "$(err -e 'replicate g n=10 reps=4 shard=1/2 as e')"
check "shard=I/N with I > N" "-e:1:38: error: shard=5/2: I must be between 1 and N" \
    "$(err -e 'replicate g n=10 reps=4 seed=1 shard=5/2 as e')"
echo 'x' > plain.csv
case $(err -e 'merge plain.csv as e') in
*"not a shard file"*) r=0 ;; *) r=1 ;; esac
check "a CSV that is no shard is refused" 0 $r

# The Bayesian experiments: a shard holds raw replicate rows (chains,
# chunks of draws, runs), which only merge turns into the result; the
# merged `show` and `export` equal a single run's, byte for byte.
BM='model g gmm v=0 w1=0 w2=0; prior g v=uniform(0,1) w1=uniform(-1,1) w2=uniform(-1,1); model t gmm v=0 w1=0 w2=0; sample t n=60 seed=2 as d'
bayes() { # label, the experiment's command (without seed), shards
    "$S" --batch -e "$BM" -e "$2 seed=7 as e" -e 'show e' -e 'export e b-full.csv' \
        </dev/null 2>&1 | grep -v '^wrote' > b-full.txt
    rm -f b-shard-*.csv
    i=1
    while [ "$i" -le "$3" ]; do
        "$S" --batch -e "$BM" -e "$2 seed=7 shard=$i/$3 threads=$(( (i % 2) + 1 )) as e" \
            -e "export e b-shard-$i.csv" </dev/null >/dev/null 2>&1
        i=$((i + 1))
    done
    "$S" --batch -e "$BM" -e 'merge "b-shard-*.csv" as e' -e 'show e' \
        -e 'export e b-merged.csv' </dev/null 2>&1 | grep -v '^wrote' > b-merged.txt
    check "$1: $3 shard files" "$3" "$(ls b-shard-*.csv 2>/dev/null | wc -l)"
    [ -s b-full.txt ] && cmp -s b-full.txt b-merged.txt
    check "$1: merged show equals the single run's" 0 $?
    rm -f a b; tail -n +2 b-full.csv > a; tail -n +2 b-merged.csv > b
    [ -s a ] && cmp -s a b; check "$1: merged export equals the single run's" 0 $?
}
bayes posterior 'posterior g data=d samples=200 chains=4' 3
for f in b-shard-*.csv; do cp "$f" "post-$f"; done
bayes "posterior, tempered" 'posterior g data=d samples=200 chains=3 temps=2' 2
bayes "posterior, mala" 'posterior g data=d samples=200 chains=2 sampler=mala' 2
bayes "rlct volume" 'rlct g truth=t draws=2000000' 4
bayes "rlct wbic" 'rlct g truth=t method=wbic nmax=600 points=3 samples=200 burnin=100' 3
bayes "rlct llc" 'rlct g truth=t method=llc n=200 steps=300 burnin=100 chains=3' 3
# a shard says what it is and what to do with it
out=$("$S" --batch -e "$BM" -e 'posterior g data=d samples=200 chains=4 seed=7 shard=2/2 as e' \
    </dev/null 2>&1)
case $out in *"chains: 3..4 of 4 (shard 2/2)"*"merge"*) r=0 ;; *) r=1 ;; esac
check "a posterior shard names its chains and merge" 0 $r
check "posterior: shard= needs seed=" \
    "-e:1:41: error: shard= needs seed=: every shard must draw the replicates of the same experiment" \
    "$(run -k -e "$BM" -e 'posterior g data=d samples=200 chains=4 shard=1/2 as e' 2>&1 >/dev/null | head -1)"
check "rlct: more shards than chunks" \
    "-e:1:41: error: shard=11/20: 10 replicates cannot be cut into 20 slices (at most one slice per replicate)" \
    "$(run -k -e "$BM" -e 'rlct g truth=t draws=20000 seed=1 shard=11/20 as e' 2>&1 >/dev/null | head -1)"
# shards of a posterior and of an rlct estimate do not merge
"$S" --batch -e "$BM" -e 'posterior g data=d samples=200 chains=2 seed=7 shard=1/2 as e' \
    -e 'export e mix-1.csv' </dev/null >/dev/null 2>&1
"$S" --batch -e "$BM" -e 'rlct g truth=t draws=2000000 seed=7 shard=2/2 as e' \
    -e 'export e mix-2.csv' </dev/null >/dev/null 2>&1
case $("$S" --batch -k -e "$BM" -e 'merge mix-1.csv mix-2.csv as e' 2>&1 </dev/null) in
*"is a shard of another experiment"*) r=0 ;; *) r=1 ;; esac
check "a posterior shard and an rlct shard are refused together" 0 $r
# a posterior shard replayed against other data is refused, nothing stored
out=$("$S" --batch -k -e "$BM" -e 'sample t n=60 seed=3 as d' \
    -e 'merge "post-b-shard-*.csv" as e' -e list 2>&1 </dev/null)
case $out in *"from other models or data than this session's"*) r=0 ;; *) r=1 ;; esac
check "posterior shards with other data are refused" 0 $r
case $out in *"  e "*) r=1 ;; *) r=0 ;; esac
check "nothing stored after a refused posterior merge" 0 $r
[ "$fails" -eq 0 ]
