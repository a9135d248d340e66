#!/bin/sh
# help2man.sh — a section-1 man page, in roff, from a program's --help text.
#
#   sh deploy/help2man.sh [-n DESCRIPTION] [-s "NAME..."] [-d DOCDIR] PROGRAM
#
# PROGRAM is the path of a built jadhub program; the page goes to standard
# output.  `make install` runs it for every program, so the manual says
# exactly what `--help` says and cannot drift from it.  POSIX sh and awk
# only: no help2man, no perl.
#
#   -n  the one-line description for NAME (default: the first sentence of
#       the help's prose)
#   -s  the programs listed under SEE ALSO
#   -d  the directory holding the installed documentation (OPERATIONS.md...)
#
# How the help text becomes a page: the "usage:" paragraph is the SYNOPSIS;
# the paragraph beginning "exit:" is EXIT STATUS ("N meaning; N meaning");
# the rest is the DESCRIPTION, where lines starting at the left margin are
# filled as prose and indented lines (option tables, examples) are kept as
# they are.  A command word in the usage lines (`jad-agent run ...`) whose
# own `--help` says something else than the program's becomes a subsection
# of COMMANDS.  Option names (--data) are set in bold.
#
# SOURCE_DATE_EPOCH, when set, dates the page (reproducible builds).
# Exit status: 0 done; 2 usage error, or PROGRAM --help failed.
set -u

desc= seealso= docdir=
while getopts n:s:d: opt; do
    case $opt in
        n) desc=$OPTARG ;;
        s) seealso=$OPTARG ;;
        d) docdir=$OPTARG ;;
        *) echo "usage: help2man.sh [-n DESC] [-s NAMES] [-d DOCDIR] PROGRAM" >&2
           exit 2 ;;
    esac
done
shift $((OPTIND - 1))
if [ $# -ne 1 ] || [ ! -x "$1" ]; then
    echo "usage: help2man.sh [-n DESC] [-s NAMES] [-d DOCDIR] PROGRAM" \
         "(an executable)" >&2
    exit 2
fi
prog=$1
name=$(basename "$prog")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/help2man.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 2' INT TERM

if ! "$prog" --help > "$tmp/main" 2>/dev/null </dev/null; then
    echo "help2man.sh: $prog --help failed" >&2
    exit 2
fi

if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
    date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d 2>/dev/null \
           || date -u +%Y-%m-%d)
else
    date=$(date -u +%Y-%m-%d)
fi

# The awk program: MODE is synopsis, description, exit, command or whatis.
# Paragraphs are separated by blank lines.
roff() {
    awk -v mode="$1" -v name="$name" -v cmd="${2:-}" '
    # Escape for roff: backslashes, hyphens (as \- so that options copy and
    # paste as ASCII), and a leading dot or quote (a request otherwise).
    # Option names go bold.
    function esc(s,    out, rest, tok, before, last, at, len) {
        gsub(/\\/, "\\e", s)
        out = ""
        rest = s
        last = ""
        while (match(rest, /--?[a-zA-Z][a-zA-Z0-9-]*/)) {
            at = RSTART
            len = RLENGTH
            tok = substr(rest, at, len)
            before = at == 1 ? last : substr(rest, at - 1, 1)
            out = out hy(substr(rest, 1, at - 1))
            if (before == "" || before ~ /[ ([,|=]/)
                out = out "\\fB" hy(tok) "\\fR"
            else
                out = out hy(tok)
            last = substr(tok, length(tok), 1)
            rest = substr(rest, at + len)
        }
        s = out hy(rest)
        if (s ~ /^[.\047]/)
            s = "\\&" s
        return s
    }
    function hy(s) { gsub(/-/, "\\-", s); return s }
    function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }

    # Print paragraph P[1..N]: prose lines filled, indented lines kept.
    function body(    i, pre) {
        pre = 0
        print ".PP"
        for (i = 1; i <= n; i++) {
            if (p[i] ~ /^[ \t-]/) {
                if (!pre) { print ".nf"; pre = 1 }
                print esc(p[i])
            }
            else {
                if (pre) { print ".fi"; pre = 0 }
                print esc(p[i])
            }
        }
        if (pre)
            print ".fi"
    }
    # The usage paragraph: "usage: " and the matching indent removed.
    function synopsis(    i, l) {
        print ".nf"
        for (i = 1; i <= n; i++) {
            l = p[i]
            if (l ~ /^usage: /)
                l = substr(l, 8)
            else
            if (l ~ /^       /)
                l = substr(l, 8)
            if (index(l, name) == 1)
                l = "\\fB" hy(name) "\\fR" esc(substr(l, length(name) + 1))
            else
                l = esc(l)
            print l
        }
        print ".fi"
    }
    # "exit: 0 done; 1 failed; 2 usage or I/O error" as a list.
    function exitstatus(    i, text, k, items, num, ok) {
        text = ""
        for (i = 1; i <= n; i++)
            text = text " " trim(p[i])
        sub(/^ *exit: */, "", text)
        k = split(text, items, /; */)
        ok = 1
        for (i = 1; i <= k; i++)
            if (trim(items[i]) !~ /^[0-9]+ /)
                ok = 0
        if (!ok) {
            print esc(text)
            return
        }
        for (i = 1; i <= k; i++) {
            items[i] = trim(items[i])
            num = items[i]
            sub(/ .*/, "", num)
            print ".TP"
            print ".B " num
            print esc(substr(items[i], length(num) + 2))
        }
    }
    # The first sentence of the first prose paragraph.
    function whatis(    i, text) {
        if (done)
            return
        for (i = 1; i <= n; i++)
            if (p[i] ~ /^[ \t]/)
                return
        text = ""
        for (i = 1; i <= n; i++)
            text = text " " trim(p[i])
        text = trim(text)
        if (match(text, /\.( |$)/))
            text = substr(text, 1, RSTART - 1)
        first = tolower(substr(text, 1, 1))
        print first substr(text, 2)
        done = 1
    }
    function para(    usage, ex) {
        if (n == 0)
            return
        usage = p[1] ~ /^usage: /
        ex = p[1] ~ /^exit: /
        if (mode == "synopsis" && usage)
            synopsis()
        else
        if (mode == "exit" && ex)
            exitstatus()
        else
        if (mode == "description" && !usage && !ex)
            body()
        else
        if (mode == "command") {
            if (usage) {
                print ".SS \"" hy(name) " " cmd "\""
                synopsis()
            }
            else
                body()
        }
        else
        if (mode == "whatis" && !usage && !ex)
            whatis()
        n = 0
    }
    /^[ \t]*$/ { para(); next }
    { p[++n] = $0 }
    END { para() }
    '
}

# Command words named in the usage paragraph: "prog WORD ..." with WORD in
# lower case (not an option, not a placeholder such as NAME).
commands=$(awk -v name="$name" '
    /^[ \t]*$/ { exit }
    {
        l = $0
        sub(/^usage: /, "", l)
        sub(/^ +/, "", l)
        if (index(l, name " ") == 1) {
            split(substr(l, length(name) + 2), w, " ")
            if (w[1] ~ /^[a-z][a-z0-9-]*$/ && !seen[w[1]]++)
                print w[1]
        }
    }' "$tmp/main")

[ -n "$desc" ] || desc=$(roff whatis < "$tmp/main")
[ -n "$desc" ] || desc="a jadhub program"
upper=$(printf '%s' "$name" | tr 'a-z' 'A-Z')
esc_name=$(printf '%s' "$name" | sed 's/-/\\-/g')
esc_desc=$(printf '%s' "$desc" | sed 's/\\/\\e/g; s/-/\\-/g')

{
    echo ".\\\" Generated by deploy/help2man.sh from \`$name --help'; do not edit."
    echo ".TH \"$upper\" 1 \"$date\" \"jadhub\" \"jadhub manual\""
    echo ".nh"
    echo ".ad l"
    echo ".SH NAME"
    echo "$esc_name \\- $esc_desc"
    echo ".SH SYNOPSIS"
    roff synopsis < "$tmp/main"
    echo ".SH DESCRIPTION"
    roff description < "$tmp/main"

    i=0
    for c in $commands; do
        "$prog" "$c" --help > "$tmp/cmd" 2>/dev/null </dev/null || continue
        cmp -s "$tmp/cmd" "$tmp/main" && continue
        dup=0
        for f in "$tmp"/seen.*; do
            [ -f "$f" ] && cmp -s "$f" "$tmp/cmd" && dup=1
        done
        [ $dup -eq 0 ] || continue
        i=$((i + 1))
        cp "$tmp/cmd" "$tmp/seen.$i"
        [ $i -eq 1 ] && echo ".SH COMMANDS"
        roff command "$c" < "$tmp/cmd"
    done

    echo ".SH EXIT STATUS"
    if grep -q '^exit: ' "$tmp/main"; then
        roff exit < "$tmp/main"
    else
        echo "0 done; 1 something was rejected, failed verification or was lost;"
        echo "2 a usage or I/O error."
    fi

    echo ".SH SEE ALSO"
    sep=
    for s in $seealso; do
        [ "$s" = "$name" ] && continue
        [ -n "$sep" ] && echo "$sep"
        printf '.BR %s (1)' "$(printf '%s' "$s" | sed 's/-/\\-/g')"
        sep=,
    done
    [ -n "$sep" ] && echo
    if [ -n "$docdir" ]; then
        echo ".PP"
        echo "The operations guide $(printf '%s' "$docdir" | sed 's/-/\\-/g')/OPERATIONS.md"
        echo "(installation, the day-of-operation runbook), and the protocol,"
        echo "security, report and tool documents beside it."
    fi
} > "$tmp/page"
cat "$tmp/page"
