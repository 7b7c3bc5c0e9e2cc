#!/bin/sh
# docs/commands.md must be what the command table generates.
"$SINGSCOPE" --commands-markdown > commands.md.now || exit 1
if ! cmp -s commands.md.now "$srcdir/docs/commands.md"; then
    diff -u "$srcdir/docs/commands.md" commands.md.now | head -40
    echo "docs/commands.md is stale: run ./src/singscope --commands-markdown > docs/commands.md"
    rm -f commands.md.now
    exit 1
fi
rm -f commands.md.now
echo "docs/commands.md is current"
