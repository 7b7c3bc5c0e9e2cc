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
$T send-keys -t s C-d
wait_for "EXITED 0"
if grep -q 'model g gmm v=0.3 w1=0 w2=1.5' "$work/state/singscope/history"; then
    echo "ok: history saved"
else
    echo "FAILED: history file lacks the commands"; fails=$((fails + 1))
fi
[ $fails = 0 ] && echo "ok: REPL completion, continuation, Ctrl-C, Ctrl-D"
[ $fails = 0 ]
