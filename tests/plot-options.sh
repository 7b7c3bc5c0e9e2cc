#!/bin/sh
# `plot` refuses what a picture does not use, with a message saying what
# it takes, and checks sizes against what each picture needs (each size it
# accepts draws). Usage: plot-options.sh SINGSCOPE
set -u
prog=${SINGSCOPE:-${1:-src/singscope}}
fail=0
setup='model g gmm v=0.3 w1=0 w2=1
path g u: 1 -> 0 log steps=8 as p
map g x=w1:-1..1 y=w2:-1..1 res=20x20 as m
eig g as E
fim g as F
sample g n=100 seed=1 as d
model a arma ar=[0.5]
sample a n=50 seed=1 as x'
# expect_err COMMAND SUBSTRING
expect_err() {
    out=$(printf '%s\n%s\n' "$setup" "$1" | LC_ALL=C.UTF-8 "$prog" --batch /dev/stdin 2>&1)
    st=$?
    case $out in
    *"$2"*) [ $st -ne 0 ] || { echo "FAIL: '$1' exited 0"; fail=1; } ;;
    *) echo "FAIL: '$1': expected '$2' in:"; printf '%s\n' "$out" | tail -3
       fail=1 ;;
    esac
}
expect_ok() {
    out=$(printf '%s\n%s\n' "$setup" "$1" | LC_ALL=C.UTF-8 "$prog" --batch /dev/stdin 2>&1)
    [ $? -eq 0 ] || { echo "FAIL: '$1':"; printf '%s\n' "$out" | tail -3; fail=1; }
}
expect_err 'plot d logy=yes' 'logy= does not apply to a data picture'
expect_err 'plot x logx=yes' 'logx= does not apply to a data picture'
expect_err 'plot E palette=turbo' 'palette= does not apply to a spectrum'
expect_err 'plot p range=0..1' 'range= does not apply to a path picture'
expect_err 'plot m palette=hot' 'palette= takes one of viridis, turbo, light, coolwarm'
expect_err 'plot m range=1..0' 'range=1..0 is empty'
expect_err 'plot m range=3' 'range= takes LO..HI'
expect_err 'plot m width=20 height=6' 'width=20 is outside [30, 1000]'
expect_err 'plot p width=30 height=6' 'height=6 is outside [10, 500]'
expect_err 'plot g' 'nothing to draw for a model'
# the smallest sizes each picture accepts draw
for a in 'p width=30 height=10' 'm width=30 height=8' 'E width=20 height=8' \
         'F width=20 height=6' 'd width=30 height=8' 'x width=30 height=8' \
         'm range=-3..0 palette=light' 'F palette=coolwarm range=-1..1'; do
    expect_ok "plot $a"
    expect_ok "plot $a ascii"
done
exit $fail
