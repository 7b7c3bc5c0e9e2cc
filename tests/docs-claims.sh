#!/bin/sh
# The user documentation stays true to the program and self-contained:
#  - README, docs/ and the program's help never point outside the project
#    (no ../shared notes); README links docs/theory.md, which is shipped;
#  - the man page and the README name every model kind `models` lists, and
#    the man page does not call existing kinds future work;
#  - every long option of --help appears in README's option list and back;
#  - the README session example runs in batch mode without an error.
set -u
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

readme="$srcdir/README.md"
man="$srcdir/docs/singscope.1"
theory="$srcdir/docs/theory.md"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# ---- nothing points outside the project -------------------------------
for f in "$readme" "$man" "$srcdir"/docs/*.md; do
    if grep -n -e '\.\./shared' -e 'shared/notes' "$f"; then
        fail "$f refers to notes outside the project"
    fi
done
{
    "$SINGSCOPE" --help
    "$SINGSCOPE" --commands-markdown
    "$SINGSCOPE" --batch -e help -e 'help gmm' -e 'help mlp2' -e 'help arma'
} > "$tmp/help.txt" 2>&1 || fail "help commands failed"
if grep -n -e '\.\./shared' -e 'shared/notes' "$tmp/help.txt"; then
    fail "the program's help refers to notes outside the project"
fi
[ -f "$theory" ] || fail "docs/theory.md is missing (EXTRA_DIST?)"
grep -q '(docs/theory.md)' "$readme" || fail "README does not link docs/theory.md"

# ---- model kinds ---------------------------------------------------------
kinds=$("$SINGSCOPE" --batch -e models | awk 'NR > 1 && /^[a-z0-9]+  / {print $1}')
[ -n "$kinds" ] || fail "no model kinds listed by \`models\`"
tr '\n' ' ' < "$man" | grep -q -i 'later  *versions' &&
    fail "the man page promises later versions"
# the MODEL KINDS section of the man page has a .B line per kind
sect=$(sed -n '/^\.SH MODEL KINDS/,/^\.SH [^M]/p' "$man")
for k in $kinds; do
    printf '%s\n' "$sect" | grep -qx "\\.B $k" ||
        fail "the man page's MODEL KINDS lacks $k"
    grep -q "^| \`$k\` |" "$readme" || fail "README's model table lacks $k"
done

# ---- options ---------------------------------------------------------------
# README's block between "singscope [OPTIONS]" and the closing fence
sed -n '/^singscope \[OPTIONS\]/,/^```/p' "$readme" > "$tmp/readme-opts.txt"
opts_help=$("$SINGSCOPE" --help | grep -o -e '--[a-z][a-z-]*' | sort -u)
opts_readme=$(grep -o -e '--[a-z][a-z-]*' "$tmp/readme-opts.txt" | sort -u)
for o in $opts_help; do
    printf '%s\n' "$opts_readme" | grep -qx -e "$o" ||
        fail "README's option list lacks $o (in --help)"
done
for o in $opts_readme; do
    printf '%s\n' "$opts_help" | grep -qx -e "$o" ||
        fail "README lists $o, which --help does not know"
done

# ---- the README session runs -----------------------------------------------
# the code block that starts with "model g gmm"
awk '/^```/ { if (inb) exit; if (want) inb = 1; next }
     inb { print; next }
     /^A session:/ { want = 1 }' "$readme" > "$tmp/session.scn"
grep -q '^model g gmm' "$tmp/session.scn" ||
    fail "README's session example was not found"
if ! (cd "$tmp" && "$SINGSCOPE" --batch session.scn > session.out 2>&1); then
    tail -5 "$tmp/session.out"
    fail "README's session example does not run"
fi

[ $fails = 0 ] || exit 1
echo "README, man page and docs match the program"
