#!/bin/sh
# The man pages (build/man/man1/<program>.1, made at build time by each program's hidden --man
# from the option table that also makes --help): one per program, the same as --man prints now,
# naming every option that --help lists, and rendering without roff warnings.
. "$(dirname "$0")/cli_common.inc"
man1=$bin/../man/man1
for name in train predict eval attn info scan mutate motifs; do
    prog=$bin/rbpattn-$name
    [ -x "$prog" ] || continue
    page=$man1/rbpattn-$name.1
    [ -s "$page" ] || fail "no man page $page"
    run 0 "$prog" --man
    cmp -s "$tmp/out" "$page" || fail "$page differs from 'rbpattn-$name --man' (rebuild?)"
    has "$page" ".TH RBPATTN\\-$(echo "$name" | tr a-z A-Z) 1"
    for section in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS"; do
        has "$page" ".SH $section"
    done
    # every option of --help, as roff writes it (each '-' a \-)
    run 0 "$prog" --help
    awk '/^  -., --[a-z0-9]/ || /^      --[a-z0-9]/ { for (i = 1; i <= NF; i++) if ($i ~ /^--[a-z0-9]/) { print $i; break } }' \
        "$tmp/out" >"$tmp/options"
    grep -qx -- "--version" "$tmp/options" || fail "rbpattn-$name --help: options not found"
    while read -r opt; do
        has "$page" "\\fB$(printf '%s' "$opt" | sed 's/-/\\-/g')\\fR"
    done <"$tmp/options"
    # short options too ("-o, --out")
    for s in $(sed -n 's/^  \(-[a-zA-Z0-9]\), --.*/\1/p' "$tmp/out"); do
        has "$page" "\\fB\\$s\\fR, "
    done
    if command -v groff >/dev/null 2>&1; then
        groff -man -Tutf8 -ww -z "$page" 2>"$tmp/roff_err" || fail "groff failed on $page"
        [ ! -s "$tmp/roff_err" ] || { cat "$tmp/roff_err" >&2; fail "roff warnings in $page"; }
        groff -man -Tutf8 "$page" 2>/dev/null | grep -q "rbpattn-$name" || fail "$page renders empty"
    fi
done
echo "cli_man: ok"
