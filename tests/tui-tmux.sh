#!/bin/sh
# The full-screen UI driven through a real terminal (tmux): panes with
# their titles, a plot, the information pane following the model, the
# status line; the layout following resizes, the "too small" notice; `quit`
# and SIGTERM (during a computation) both leaving the terminal as it was.
command -v tmux >/dev/null 2>&1 || { echo "tmux not installed: skipped"; exit 77; }
set -u
# Box drawing and braille need a UTF-8 locale, here and in the program.
LC_ALL=C.UTF-8
export LC_ALL
[ "$(printf '\342\224\200' | wc -m)" = 1 ] ||
    { echo "no C.UTF-8 locale: skipped"; exit 77; }
work=$(mktemp -d)
n=0
T="tmux -S $work/tmux0.sock"
fails=0
cleanup() { $T kill-server 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
screen() { $T capture-pane -p -t s; }
row() { screen | sed -n "$1p"; } # 1-based screen row
# The left and right halves of a two-column layout, split at the borders
# between the panes ("││" inside, "┐┌" and "┘└" on the border rows).
left() { sed 's/││.*//; s/┐┌.*//; s/┘└.*//'; }
right() { sed 's/.*││//; s/.*┐┌//; s/.*┘└//'; }
# column (1-based) where TEXT starts on screen row ROW, 0 if absent
column() {
    r=$(row "$1")
    case "$r" in *"$2"*) ;; *) echo 0; return ;; esac
    printf '%s' "${r%%"$2"*}" | wc -m | awk '{ print $1 + 1 }'
}
fail() { echo "FAILED: $1"; screen; fails=$((fails + 1)); }
wait_for() { # text
    i=0
    while [ $i -lt 50 ]; do
        if screen | grep -qF -- "$1"; then return 0; fi
        sleep 0.1; i=$((i + 1))
    done
    fail "screen never showed: $1"; return 1
}
# expect ROW TEXT: screen row ROW (1-based) contains TEXT
expect_row() {
    i=0
    while [ $i -lt 30 ]; do
        if row "$1" | grep -qF -- "$2"; then return 0; fi
        sleep 0.1; i=$((i + 1))
    done
    fail "row $1 does not show: $2"; return 1
}
restored() { # the stty -a written after singscope ended
    i=0
    while [ $i -lt 50 ] && [ ! -s "$work/stty" ]; do sleep 0.1; i=$((i + 1)); done
    if grep -Eq '(^|[ ;])icanon([ ;]|$)' "$work/stty" &&
       grep -Eq '(^|[ ;])echo([ ;]|$)' "$work/stty"; then
        echo "ok: terminal restored after $1 (icanon, echo)"
    else
        echo "FAILED: terminal not restored after $1:"; cat "$work/stty"
        fails=$((fails + 1))
    fi
}
# The program runs under sh -c that records its pid, then the shell reports
# the exit status and the terminal modes. The trap keeps this shell alive
# through the Ctrl-C typed to the program (its process group gets it too).
cat > "$work/run.sh" <<EOF
trap : INT
sh -c 'echo \$\$ > "$work/pid"; exec env XDG_STATE_HOME="$work/state" TERM=xterm-256color "\$0"' "$SINGSCOPE"
echo EXITED \$?
stty -a > "$work/stty"
sleep 60
EOF
start() { # a new server each time: the last one may still be exiting
    n=$((n + 1))
    T="tmux -S $work/tmux$n.sock"
    rm -f "$work/pid" "$work/stty"
    $T -f /dev/null new-session -d -s s -x 120 -y 40 "sh $work/run.sh"
    wait_for "singscope>"
}

# ---- the screen after a model, a path and its plot (120x40) --------------
start
$T send-keys -t s 'model g gmm v=0.3 w1=0 w2=0.2' Enter
wait_for "3 info: g"
$T send-keys -t s 'path g w2: 0.2 -> 0 log steps=9' Enter
wait_for "power laws"
$T send-keys -t s 'plot path' Enter
wait_for "1 plot: path"
# panes of the 2x2 grid over 38 rows: titles on rows 1 and 20
expect_row 1 "┌─ 1 plot: path"
[ "$(column 1 "┌─ 1 plot")" = 1 ] || fail "pane 1 not at column 1"
[ "$(column 1 "┌─ 2 plot")" = 61 ] || fail "pane 2 not at column 61"
expect_row 20 "┌─ 3 info: g"
[ "$(column 20 "┌─ 4 log")" = 61 ] || fail "pane 4 not at column 61"
# the plot: axis ticks, legend, axis title inside pane 1
screen | sed -n '2,19p' | left > "$work/plot"
grep -qF "lambda1" "$work/plot" || fail "no legend in the plot pane"
grep -qF "distance to" "$work/plot" || fail "no x-axis title in the plot pane"
grep -q "┤" "$work/plot" || fail "no y-axis ticks in the plot pane"
# the information pane: the model's parameters
screen | sed -n '21,38p' | left > "$work/info"
grep -qF "v        0.3  yes" "$work/info" || fail "info pane lacks v = 0.3"
grep -qF "w2       0.2  yes" "$work/info" || fail "info pane lacks w2 = 0.2"
# the log: the command echoed with its output
screen | sed -n '21,38p' | right | grep -qF "singscope> plot path" ||
    fail "log pane lacks the echoed command"
# status line above the command line
expect_row 39 "model: g"
row 39 | grep -qF "layout: 2x2" || fail "status line lacks the layout"
row 39 | grep -qF "focus: 1 plot" || fail "status line lacks the focus"
expect_row 40 "singscope>"
[ $fails = 0 ] && echo "ok: panes, plot, information pane, status line"

# ---- resize: the layout follows (100x30: panes of 50 columns, 14 rows) ----
$T resize-window -t s -x 100 -y 30
expect_row 29 "model: g"
expect_row 30 "singscope>"
expect_row 15 "┌─ 3 info: g"
[ "$(column 1 "┌─ 2 plot")" = 51 ] || fail "pane 2 not at column 51"
[ "$(column 15 "┌─ 4 log")" = 51 ] || fail "pane 4 not at column 51"
screen | sed -n '2,13p' | left | grep -qF "lambda1" ||
    fail "plot not redrawn at the new size"
[ $fails = 0 ] && echo "ok: layout follows a resize"

# ---- too small, then back -------------------------------------------------
$T resize-window -t s -x 50 -y 12
wait_for "terminal too small (50x12, need at least 60x16)"
$T resize-window -t s -x 120 -y 40
expect_row 20 "┌─ 3 info: g"
expect_row 39 "model: g"
screen | grep -qF "terminal too small" && fail "notice left on the screen"
[ $fails = 0 ] && echo "ok: too-small notice and recovery"

# ---- keys: help overlay, focus, Ctrl-C at the prompt -----------------------
$T send-keys -t s F1
wait_for "Any key closes this help."
$T send-keys -t s Escape
$T send-keys -t s F3
expect_row 39 "focus: 2 plot"
$T send-keys -t s 'half typed'
wait_for "singscope> half typed"
$T send-keys -t s C-c
wait_for "half typed^C"
[ $fails = 0 ] && echo "ok: help overlay, focus keys, Ctrl-C clears the line"

# ---- a hidden log: output and errors are still seen -----------------------
# `plot in=N` names only panes on screen; focus keys visit only those.
$T send-keys -t s 'plot path in=9' Enter
wait_for "error: pane 9 is not on screen: layout 2x2 shows panes 1,"
screen | grep -qF "┌─ 9 plot" && fail "pane 9 was drawn although hidden"
screen | grep -qF 'layout "2x2:1,9,3,4"' || fail "no layout suggested for pane 9"
$T send-keys -t s 'layout 1' Enter
wait_for "layout: 1"
# one output line: in the status bar; several: the last, and how many more
$T send-keys -t s 'echo only one line' Enter
expect_row 39 "only one line"
row 39 | grep -qF "[+" && fail "a one-line output claims more lines"
$T send-keys -t s 'show g' Enter
expect_row 39 "w1 = w2       0.141421356237  v unidentifiable"
row 39 | grep -qF "[+11 lines: F4 shows the log]" ||
    fail "status bar does not say the log has 11 more lines"
# F4: the log over the lower half, closed again by F4
$T send-keys -t s F4
wait_for "4 log (F4 hides)"
screen | grep -qF "blow-down coordinates: v = 0.3" || fail "log overlay lacks show's output"
$T send-keys -t s F4
i=0; while screen | grep -qF "4 log (F4 hides)" && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
screen | grep -qF "4 log (F4 hides)" && fail "F4 did not close the log overlay"
# an error opens the log by itself (and names the panes on screen)
$T send-keys -t s 'plot path in=2' Enter
wait_for "4 log: the command failed"
screen | grep -qF "error: pane 2 is not on screen: layout 1 shows pane 1" ||
    fail "hidden-pane error not seen in layout 1"
# the next command closes it; a plot without in= goes to the pane shown
$T send-keys -t s 'plot path' Enter
i=0; while screen | grep -qF "the command failed" && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
screen | grep -qF "the command failed" && fail "the error overlay stayed"
expect_row 1 "┌─ 1 plot: path"
# focus keys stay on the panes shown: in layout 1, F3 keeps pane 1
$T send-keys -t s F3
sleep 0.3
row 39 | grep -qF "focus: 1 plot" || fail "F3 left the only pane of layout 1"
$T send-keys -t s 'layout 2' Enter
expect_row 39 "layout: 2 "
for want in "focus: 4 log" "focus: 1 plot" "focus: 4 log"; do
    $T send-keys -t s F3
    expect_row 39 "$want"
done
$T send-keys -t s F2
expect_row 39 "focus: 1 plot"
# zoomed on pane 1 the log is hidden too: errors still come up
$T send-keys -t s F5
expect_row 39 "(zoom: F5)"
$T send-keys -t s 'set g v=2' Enter
wait_for "4 log: the command failed"
screen | grep -qF "error: v = 2 is outside its range [0, 1]" || fail "error hidden by the zoom"
$T send-keys -t s F5
$T send-keys -t s 'layout 2x2' Enter
expect_row 20 "┌─ 3 info: g"
[ $fails = 0 ] && echo "ok: hidden log, hidden panes and focus keys"

# ---- plot titles: what a pane shows, and "(stale)" once it is outdated ----
# pane 1 shows `path` from `path g w2: 0.2 -> 0 log steps=9` (plotted above)
top() { row 1; }
expect_row 1 "┌─ 1 plot: path ← path g w2"
top | left | grep -qF "0.2 -> 0 log steps=9" || fail "pane 1 title lacks the command"
$T send-keys -t s 'sample g n=200 seed=3 as d' Enter
$T send-keys -t s 'plot d in=2' Enter
wait_for "2 plot: d ← sample g n=200 seed=3"
# a path is drawn live in the focused plot pane while it computes, then
# the pane shows the stored result and says which command made it
$T send-keys -t s 'path g w2: 1 -> 0.5 steps=40 method=mc n=400000' Enter
wait_for "1 plot: path (computing"
wait_for "1 plot: path ← path g w2"
top | left | grep -qF "1 -> 0.5 steps=40" || fail "pane 1 does not show the new path"
# a new unnamed path replaces `path`: a pane showing the old one keeps its
# picture, marked
$T send-keys -t s 'plot path in=2' Enter
wait_for "2 plot: path ← path g w2"
$T send-keys -t s 'path g w2: 1 -> 0.5 steps=7' Enter
wait_for "2 plot: path (stale) ← path g w2"
top | right | grep -qF "steps=40" || fail "stale pane 2 changed its title"
$T send-keys -t s 'plot d in=2' Enter
wait_for "2 plot: d ← sample g n=200 seed=3"
top | right | grep -qF "(stale)" && fail "pane 2 stale although d and g are unchanged"
# the data set's model changes: its picture (with g's density) is stale;
# set back to the values it was drawn with, it is current again
$T send-keys -t s 'set g w2=0.5' Enter
wait_for "2 plot: d (stale)"
$T send-keys -t s 'set g w2=0.2' Enter
i=0; while top | right | grep -qF "(stale)" && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
top | right | grep -qF "(stale)" && fail "pane 2 still stale with g as drawn"
# plotting again shows the new path, current
$T send-keys -t s 'plot path in=1' Enter
wait_for "1 plot: path ← path g w2"
top | left | grep -qF "1 -> 0.5 steps=7" || fail "pane 1 does not name the new path"
# in a script, a plot right after a job is what the pane keeps (the job's
# own picture does not come back over it once the script ends)
printf 'path g w2: 1 -> 0.5 steps=7 as pq\nplot d in=1\n' > "$work/follow.scn"
$T send-keys -t s "source $work/follow.scn" Enter
wait_for "1 plot: d ← sample g n=200 seed=3"
sleep 0.5
top | left | grep -qF "plot: pq" && fail "the job's picture came back over the script's plot"
$T send-keys -t s 'delete d' Enter
wait_for "2 plot: d (stale)"
[ $fails = 0 ] && echo "ok: plot titles name the command; stale pictures are marked"

# ---- the layout forms: F1 and `help layout` say the same, and each example
# they give is one that `layout` takes
form='layout N|CxR|A+B[+C..][:P,..]'
$T send-keys -t s F1
wait_for "Any key closes this help."
screen | grep -qF "$form" || fail "F1 does not give the layout forms"
screen > "$work/f1"
$T send-keys -t s Escape
sleep 0.3
$T send-keys -t s 'layout 1' Enter
$T send-keys -t s 'help layout' Enter
$T send-keys -t s F4
wait_for "usage: $form"
$T send-keys -t s F4
for spec in 1 2 3 4 2x2 3x2 1x2 1+2 2+1+2 '"3x2:1,2,5,6,3,4"' '"2:1,3"'; do
    $T send-keys -t s "layout $spec" Enter
    expect_row 39 "layout: $(echo "$spec" | tr -d '"')"
    screen | grep -qF "error" && fail "layout $spec refused"
done
grep -qF 'layout "3x2:1,2,5,6,3,4"' "$work/f1" || fail "F1 lacks the example with panes"
$T send-keys -t s 'layout 2x2' Enter
expect_row 39 "layout: 2x2"
[ $fails = 0 ] && echo "ok: F1 and help name the layout forms layout accepts"

# ---- a paste of more than 4 KB: every byte reaches the command line ---------
# 400 statements (8.8 KB) and one statement of 4.2 KB: all of them run, in
# order, none cut short (the history file has each one whole).
awk 'BEGIN { for (i = 1; i <= 400; i++) printf "echo pasted line L%04d\n", i }' \
    > "$work/paste"
awk 'BEGIN { printf "echo"; for (i = 1; i <= 700; i++) printf " w%04d", i;
             print " END" }' >> "$work/paste"
$T load-buffer "$work/paste"
$T paste-buffer -t s
wait_for "w0700 END"
hist="$work/state/singscope/history"
[ "$(grep -c '^echo pasted line L[0-9]*$' "$hist")" = 400 ] ||
    fail "the history lacks pasted statements: $(grep -c pasted "$hist") of 400"
grep -q '^echo pasted line L0400$' "$hist" || fail "the 400th pasted line is missing"
long=$(grep '^echo w0001' "$hist")
[ "${#long}" = 4208 ] || fail "the long pasted statement was cut (${#long} bytes of 4208)"
screen | grep -qF "error" && fail "a pasted statement failed"
expect_row 40 "singscope>"
row 40 | grep -q "^singscope> *$" || fail "input left on the command line"
[ $fails = 0 ] && echo "ok: a paste of 13 KB runs whole"

# ---- quit: the shell is back, terminal modes restored, status 0 ----------
$T send-keys -t s 'quit' Enter
wait_for "EXITED 0"
restored quit
if grep -qF 'path g w2: 0.2 -> 0 log steps=9' "$work/state/singscope/history"; then
    echo "ok: history shared with the plain prompt"
else
    echo "FAILED: history file lacks the commands"; fails=$((fails + 1))
fi
$T kill-server 2>/dev/null
sleep 0.3

# ---- SIGTERM during a computation -----------------------------------------
start
$T send-keys -t s 'model g gmm v=0.3 w1=0 w2=1.5' Enter
wait_for "3 info: g"
$T send-keys -t s 'fim g method=mc n=1000000000' Enter
wait_for "Ctrl-C stops"
kill -TERM "$(cat "$work/pid")"
wait_for "EXITED 143"
restored SIGTERM
screen | grep -qF "┌─ 1 plot" && fail "screen left drawn after SIGTERM"

[ $fails = 0 ] && echo "ok: full-screen UI in a terminal"
[ $fails = 0 ]
