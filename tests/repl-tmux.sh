#!/bin/sh
# The interactive REPL driven through a real terminal (tmux): completion,
# continuation lines, Ctrl-C at the prompt and during a computation, history
# saved to the XDG state directory, Ctrl-D leaving cleanly.
command -v tmux >/dev/null 2>&1 || { echo "tmux not installed: skipped"; exit 77; }
set -u
work=$(mktemp -d)
sock="$work/tmux.sock"
T="tmux -S $sock"
fails=0
cleanup() { $T kill-server 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
screen() { $T capture-pane -p -t s; }
wait_for() { # text, tries
    i=0
    while [ $i -lt 50 ]; do
        if screen | grep -qF -- "$1"; then return 0; fi
        sleep 0.1; i=$((i + 1))
    done
    echo "FAILED: screen never showed: $1"; screen; fails=$((fails + 1)); return 1
}
$T -f /dev/null new-session -d -s s -x 120 -y 40 \
    "env XDG_STATE_HOME=$work/state TERM=xterm $SINGSCOPE --plain; echo EXITED \$?; sleep 30"
wait_for "singscope>"
$T send-keys -t s 'model g gmm v=0.3 w1=0 w2=1.5' Enter
$T send-keys -t s 'ei' Tab ' g' Enter
wait_for "eigen-analysis of the exact FIM"
$T send-keys -t s 'set g w' Tab Tab
wait_for "w1=  w2="
$T send-keys -t s C-u 'set g v=[0.1,' Enter
wait_for "...>"
$T send-keys -t s '0.2]' Enter
wait_for "error: v has 1 component, got 2 values"
$T send-keys -t s 'half typed'
sleep 0.5
$T send-keys -t s C-c
wait_for "half typed^C"
$T send-keys -t s 'fim g method=mc n=1000000000' Enter
sleep 1
$T send-keys -t s C-c
wait_for "interrupted:"
$T send-keys -t s 'echo still here' Enter
wait_for "still here"
# completion of axes, map axes and plottable objects
$T send-keys -t s 'path g ' Tab Tab
wait_for "m:   u:   v:   w1:  w2:"
$T send-keys -t s C-u 'map g x=w' Tab Tab
wait_for "x=w1:  x=w2:"
$T send-keys -t s C-u 'path g w2: 1 -> 0.5 steps=3 as P' Enter
wait_for "lambda3"
$T send-keys -t s 'plot ' Tab
wait_for "singscope> plot P"
# a statement continued over two lines is recalled as one line that runs
$T send-keys -t s C-u 'echo joined \' Enter
wait_for "...>"
$T send-keys -t s 'more' Enter
wait_for "joined more"
$T send-keys -t s 'echo Hello, world!' Enter
wait_for "Hello, world!"
$T send-keys -t s Up Up Enter
i=0
while [ $i -lt 30 ] && [ "$(screen | grep -c '^joined more$')" -lt 2 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(screen | grep -c '^joined more$')" -ge 2 ] && echo "ok: continued line recalled" || {
    echo "FAILED: the recalled continued line did not run"; screen; fails=$((fails + 1)); }
$T send-keys -t s C-d
wait_for "EXITED 0"
if grep -q 'model g gmm v=0.3 w1=0 w2=1.5' "$work/state/singscope/history"; then
    echo "ok: history saved"
else
    echo "FAILED: history file lacks the commands"; fails=$((fails + 1))
fi
grep -qx 'echo joined more' "$work/state/singscope/history" && echo "ok: one-line history entry" || {
    echo "FAILED: history entry of the continued line"; fails=$((fails + 1)); }
# a FIFO at the history path: start-up does not hang, a warning says why
$T kill-server 2>/dev/null
rm -f "$work/state/singscope/history"
mkfifo "$work/state/singscope/history"
$T -f /dev/null new-session -d -s s -x 120 -y 40 \
    "env XDG_STATE_HOME=$work/state TERM=xterm $SINGSCOPE --plain; echo EXITED \$?; sleep 30"
wait_for "is not a regular file"
wait_for "singscope>"
$T send-keys -t s 'echo alive' Enter
wait_for "alive"
$T send-keys -t s C-d
wait_for "EXITED 0"
[ $fails = 0 ] && echo "ok: REPL completion, continuation, Ctrl-C, Ctrl-D"
[ $fails = 0 ]
