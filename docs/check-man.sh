#!/bin/bash
# SPDX-License-Identifier: MIT
# Checks the built man pages against the code, so a key, command, option,
# error code or function added to the code without documentation fails the
# tests:
#   - every page renders with groff without a warning;
#   - tessera.conf(5) names every configuration key;
#   - tessera(1) names every command, long option and exit status;
#   - tesserad(8) names every option, API route, API and login error code
#     and account state;
#   - libtessera(3) names every public function and TESSERA_E_* code.
#   check-man.sh SOURCE_ROOT MAN_BUILD_DIR
set -uo pipefail

SRC=$1
MAN=$2
FAILED=0
CHECKS=0

fail() { echo "not ok - $*"; FAILED=$((FAILED + 1)); CHECKS=$((CHECKS + 1)); }
pass() { CHECKS=$((CHECKS + 1)); }

# The text as a reader sees it, words joined by single spaces, so a phrase
# broken across lines still matches. ASCII output keeps '-' a plain hyphen.
render() {
        groff -man -Tascii -P-c -P-b -P-u -rLL=150n -rHY=0 "$1" 2>/dev/null | col -b | tr -s ' \n\t' '   '
}

for page in tesserad.8 tessera.1 tessera.conf.5 libtessera.3; do
        f="$MAN/$page"
        if [ ! -s "$f" ]; then
                fail "$page was not built"
                continue
        fi
        warnings=$(groff -man -Tutf8 -ww -z "$f" 2>&1)
        if [ -n "$warnings" ]; then
                fail "$page renders with warnings: $warnings"
        else
                pass
        fi
        if LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null | grep -q .; then
                fail "$page: man --warnings complains"
        else
                pass
        fi
done

# expect PAGE_TEXT WHAT WORD...: each WORD must occur in the text.
expect() {
        local text=$1 what=$2 w
        shift 2
        if [ $# -eq 0 ]; then
                fail "$what: nothing extracted from the sources (extraction broken?)"
                return
        fi
        for w in "$@"; do
                if grep -qF -- "$w" <<<"$text"; then pass; else fail "$what: \"$w\" is not documented"; fi
        done
}

conf5=$(render "$MAN/tessera.conf.5")
tessera1=$(render "$MAN/tessera.1")
tesserad8=$(render "$MAN/tesserad.8")
lib3=$(render "$MAN/libtessera.3")

# The daemon's sources, wherever a subsystem folder keeps them: the
# extractions below must not depend on which file holds a table.
mapfile -t daemon_c < <(find "$SRC/daemon" -name '*.c' | sort)

# Configuration keys: the key table in the daemon's configuration parser.
mapfile -t keys < <(grep -ho '{ "[a-z_]*", *SECTION_[A-Z]*' "${daemon_c[@]}" | sed 's/{ "\([a-z_]*\)".*/\1/' | sort -u)
expect "$conf5" "tessera.conf(5) key" "${keys[@]/%/ =}"
mapfile -t sections < <(grep -ho '{ "[a-z_]*", *SECTION_[A-Z]*' "${daemon_c[@]}" | sed 's/.*SECTION_//' | tr 'A-Z' 'a-z' | sort -u)
expect "$conf5" "tessera.conf(5) section" "${sections[@]/#/[}"

# The tessera command: its commands, long options and exit codes, wherever
# in client-lib/ctl/ the verb table, the option table and the exit codes are.
mapfile -t ctl < <(find "$SRC/client-lib/ctl" -name '*.[ch]' | sort)
mapfile -t commands < <(grep -ho '{ *"[a-z]*", *cmd_[a-z_]*' "${ctl[@]}" | sed 's/{ *"\([a-z]*\)".*/\1/' | sort -u)
commands_section=$(sed -n 's/.* COMMANDS \(.*\) OPTIONS .*/\1/p' <<<"$tessera1")
expect "$commands_section" "tessera(1) command" "${commands[@]/#/ }"
mapfile -t ctl_opts < <(grep -ho '{ *"[a-z-]*", *[a-z_]*_argument' "${ctl[@]}" | sed 's/{ *"\([a-z-]*\)".*/--\1/' | sort -u)
expect "$tessera1" "tessera(1) option" "${ctl_opts[@]}"
mapfile -t exits < <(grep -ho 'EXIT_[A-Z]* *= *[0-9]*' "${ctl[@]}" | sed 's/.*= *//' | sort -u)
# In the EXIT STATUS list each code stands alone before its description.
exit_section=$(sed -n 's/.*EXIT STATUS \(.*\) ENVIRONMENT.*/\1/p' <<<"$tessera1")
expect "$exit_section" "tessera(1) exit status" "${exits[@]/%/ }"

# tesserad: options, API routes, error codes, account states.
mapfile -t d_opts < <(grep -o '{ *"[a-z-]*", *[a-z_]*_argument' "$SRC/daemon/tesserad.c" | sed 's/{ *"\([a-z-]*\)".*/--\1/' | sort -u)
expect "$tesserad8" "tesserad(8) option" "${d_opts[@]}"
# The route table's account routes: { API_ROUTE_X, "METHOD", "path", ...
mapfile -t account_routes < <(grep -ho '{ *API_ROUTE_[A-Z_]*, *"[A-Z]*", *"[a-z]*"' "${daemon_c[@]}" | sed 's/.*"\([a-z]*\)"$/\1/' | sort -u)
expect "$tesserad8" "tesserad(8) API route" "${account_routes[@]/#//v1/accounts/NAME/}"
# ... and the routes without an account: { API_ROUTE_X, "METHOD", "/v1/path", ...
mapfile -t top_routes < <(grep -ho '{ *API_ROUTE_[A-Z_]*, *"[A-Z]*", *"/v1/[a-z]*"' "${daemon_c[@]}" | sed 's/.*"\(\/v1\/[a-z]*\)"$/\1/' | sort -u)
expect "$tesserad8" "tesserad(8) API route" "${top_routes[@]}"
mapfile -t codes < <(cat "${daemon_c[@]}" | tr -s ' \n\t' '   ' |
        grep -o 'reply_error([a-z>-]*, *MHD_HTTP_[A-Z_]*, *"[a-z_]*"' | sed 's/.*"\([a-z_]*\)"/\1/' | sort -u)
expect "$tesserad8" "tesserad(8) API error code" "${codes[@]}"
mapfile -t login_errors < <(cat "${daemon_c[@]}" | tr -s ' \n\t' '   ' |
        grep -o 'login_finish([a-z]*, *false, *"[a-z_]*"' | sed 's/.*"\([a-z_]*\)"/\1/' | sort -u)
expect "$tesserad8" "tesserad(8) login error" "${login_errors[@]}"
mapfile -t states < <(grep -ho '\[ACCOUNT_[A-Z_]*\] *= *"[a-z_]*"' "${daemon_c[@]}" | sed 's/.*"\([a-z_]*\)"/\1/')
expect "$tesserad8" "tesserad(8) account state" "${states[@]}"
expect "$tesserad8" "tesserad(8) signal" SIGTERM SIGHUP

# libtessera: every declared function and error code.
hdr="$SRC/client-lib/include/tessera/tessera.h"
mapfile -t funcs < <(grep -o '\btessera_[a-z_]*(' "$hdr" | sort -u)
expect "$lib3" "libtessera(3) function" "${funcs[@]}"
mapfile -t errs < <(grep -o 'TESSERA_E_[A-Z_]* *=' "$hdr" | sed 's/ *=//' | sort -u)
expect "$lib3" "libtessera(3) error code" "${errs[@]}"

echo "# $CHECKS checks, $FAILED failed"
[ "$FAILED" -eq 0 ]
