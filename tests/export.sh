#!/bin/sh
# export to files of every kind: symbolic links are followed, a FIFO (like
# /dev/stdout) is written directly, modes and hard links stay, new files
# get the umask, names promising another format are refused, and CSV
# files hold one numeric table each (read back with python3's csv module).
# Ctrl-C during an export is tested in tests/unit/test_export.c.
set -u
fails=0
check() { # description, expected, actual
    if [ "$2" = "$3" ]; then echo "ok: $1"; else
        echo "FAILED: $1"; echo "  expected: $2"; echo "  got:      $3"; fails=$((fails + 1)); fi
}
S=$SINGSCOPE
dir=$(mktemp -d "${TMPDIR:-/tmp}/ss_export.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1
run() { "$S" --batch --seed 3 -e 'model g gmm v=0.25 w1=0 w2=1' \
    -e 'sample g n=4 seed=9 as d' "$@" </dev/null; }
mode() { stat -c %a "$1"; }
ino() { stat -c %i "$1"; }

# a new file: the umask's mode, not 0600
(umask 027 && run -e 'export d new.csv' >/dev/null)
check "new file gets 0666 less the umask" 640 "$(mode new.csv)"
(umask 000 && run -e 'export d open.csv' >/dev/null)
check "umask 000: 0666" 666 "$(mode open.csv)"

# an existing file keeps its mode
echo old > kept.csv; chmod 604 kept.csv
run -e 'export d kept.csv' >/dev/null
check "existing mode kept" 604 "$(mode kept.csv)"
grep -q '^x$' kept.csv; check "existing file replaced" 0 $?

# a symbolic link stays a link; its target gets the data
echo old > target.csv; ln -s target.csv link.csv
run -e 'export d link.csv' >/dev/null
[ -L link.csv ]; check "symlink is still a symlink" 0 $?
check "symlink still points at its target" target.csv "$(readlink link.csv)"
grep -q '^x$' target.csv; check "the target holds the data" 0 $?
# a dangling link: the file it names is created
ln -s made.csv dangling.csv
run -e 'export d dangling.csv' >/dev/null
[ -L dangling.csv ] && [ -f made.csv ]; check "dangling link: its target is created" 0 $?

# hard links: every name sees the new content, the inode stays
echo old > a.csv; ln a.csv b.csv; i=$(ino a.csv); chmod 620 a.csv
run -e 'export d a.csv' >/dev/null
check "hard link: same inode" "$i" "$(ino a.csv)"
check "hard link: still 2 links" 2 "$(stat -c %h a.csv)"
cmp -s a.csv b.csv; check "hard link: both names see the new data" 0 $?
grep -q '^x$' b.csv; check "hard link: new data" 0 $?
check "hard link: mode kept" 620 "$(mode a.csv)"

# a FIFO (as /dev/stdout can be) is written to, not replaced by a file
mkfifo fifo
cat fifo > from_fifo &
reader=$!
run -e 'export d fifo format=csv' >/dev/null
wait $reader
[ -p fifo ]; check "FIFO is still a FIFO" 0 $?
check "FIFO delivered the table" 6 "$(wc -l < from_fifo | tr -d ' ')"
# /dev/stdout itself when it is a pipe
out=$(run -e 'export d /dev/stdout format=csv' | grep -c '^x$')
check "/dev/stdout (a pipe) receives the data" 1 "$out"

# no temporary files are left anywhere
left=$(ls -a | grep -c '\.tmp')
check "no temporary files left" 0 "$left"

# names that promise another format are refused, and nothing is written
out=$(run -e 'export d x.png' 2>&1); st=$?
check "x.png refused" 1 $st
case $out in *"not .png"*".csv"*".txt"*) r=0 ;; *) r=1 ;; esac
check "x.png: the message lists what is supported ($out)" 0 $r
[ ! -e x.png ]; check "x.png not created" 0 $?
run -e 'export d x.pdf' >/dev/null 2>&1; check "x.pdf refused" 1 $?
run -e 'export d X.CSV' >/dev/null 2>&1; check ".CSV accepted" 0 $?
run -e 'export d plain' >/dev/null 2>&1; check "no extension accepted" 0 $?
run -e 'export d t.csv format=text' >/dev/null 2>&1; check ".csv with format=text refused" 1 $?
out=$(run -e 'export d sub.dir/f' 2>&1)
case $out in *"cannot write 'sub.dir/f'"*) r=0 ;; *) r=1 ;; esac
check "a dot in a directory name is not an extension" 0 $r

# CSV: one table per file, numbers numeric, below-floor values empty
run -e 'path g w2: 1 -> 0 log steps=8' -e 'export path p.csv' \
    -e 'fim g method=mc n=2000 seed=4 as F' -e 'export F f.csv' \
    -e 'export d d.csv' -e 'set g w2=0' -e 'eig g as E' -e 'export E e.csv' >/dev/null
[ -f p.fit.csv ]; check "a path's fits go to p.fit.csv" 0 $?
if command -v python3 >/dev/null 2>&1; then
    py=$(python3 - p.csv p.fit.csv f.csv e.csv d.csv 2>&1 <<'EOF'
import csv, sys
bad = []
for name in sys.argv[1:]:
    try:
        with open(name, newline="") as fh:
            lines = fh.read().split("\n")
    except OSError as e:
        bad.append("%s: %s" % (name, e)); continue
    if not lines[0].startswith("# singscope"):
        bad.append(name + ": no # line first")
    rows = list(csv.reader(l for l in lines[1:] if l))
    head, body = rows[0], rows[1:]
    if not body or any(len(r) != len(head) for r in body):
        bad.append(name + ": not one rectangular table")
    # every column but the first (names) must be numeric or empty
    for j in range(1, len(head)):
        for r in body:
            if r[j] != "":
                try: float(r[j])
                except ValueError: bad.append("%s: %s=%r" % (name, head[j], r[j]))
    if name == "f.csv":
        want = ["param", "v", "w1", "w2", "se_v", "se_w1", "se_w2"]
        if head != want: bad.append("f.csv header %r" % head)
        se = [float(r[j]) for r in body for j in range(4, 7)]
        if not all(x > 0 for x in se): bad.append("f.csv: se not positive")
    if name == "e.csv":
        # at w1 = w2 = 0 and v = 0.25 the FIM has rank 1: two eigenvalues
        # below the floor, written as empty fields (not 0)
        ev = [r[1] for r in body]
        if ev.count("") != 2 or "0" in ev: bad.append("e.csv eigenvalues %r" % ev)
    if name == "p.csv" and "" not in [c for r in body for c in r[3:6]]:
        bad.append("p.csv: no empty below-floor entry")
try:
    import pandas
    for name in sys.argv[1:]:
        df = pandas.read_csv(name, comment="#")
        num = df.select_dtypes("number").columns
        if len(num) < len(df.columns) - 1:
            bad.append("pandas sees text columns in " + name)
except ImportError:
    pass
print("\n".join(bad) if bad else "ok")
EOF
)
    check "CSV files read back as one numeric table each" ok "$py"
else
    echo "skip: python3 not found (CSV read-back)"
fi

# a wide network's point is not spelled out in the header line
"$S" --batch -e 'model n dnn layers=2 width=40 in=3 out=2 seed=1' \
    -e 'export n net.csv' -e 'fim n as f' -e 'export f nf.csv' \
    </dev/null >/dev/null
check "big model's header names its size" 1 \
    "$(head -1 net.csv | grep -c 'at a point of 242 parameters (the rows below)$')"
check "big model's rows: every parameter" 243 "$(grep -vc '^#' net.csv)"
check "a result of a big model: its header stays short" 1 \
    "$(head -1 nf.csv | grep -c 'currently at a point of 242 parameters (not listed: `export n FILE` writes them)$')"

[ $fails -eq 0 ] && echo "all export checks passed"
exit $((fails > 0))
