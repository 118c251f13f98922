# shellcheck shell=bash
# Shared parts of the scripted user agents (ua-code-login.sh,
# ua-device-approve.sh): curl with a private cookie jar, redirects followed by
# hand so the agent can stop at the client's redirect URI, and the test IdP's
# simple login/consent forms filled in with grep and sed.
#
# Nothing here prints a URL query, a code or a token: only statuses and the
# IdP's error text (which never carries a credential).

UA_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tessera-ua.XXXXXX")
chmod 700 "$UA_DIR"
trap 'rm -rf "$UA_DIR"' EXIT
UA_JAR=$UA_DIR/jar
UA_BODY=$UA_DIR/body
UA_HDR=$UA_DIR/headers
UA_TIMEOUT=${UA_TIMEOUT:-20}
UA_STATUS=000
UA_URL=

ua_log() {
        [ -n "${UA_VERBOSE:-}" ] && printf 'ua: %s\n' "$*" >&2
        return 0
}

ua_fail() {
        printf 'ua: %s\n' "$*" >&2
        exit 1
}

# Percent-decoding for a query value: + is a space, %XX a byte.
ua_urldecode() {
        local s=${1//+/ }
        printf '%b' "${s//%/\\x}"
}

ua_origin() {
        sed -E 's#^([a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*).*#\1#' <<<"$1"
}

# Logs a URL without its query or fragment.
ua_bare() {
        sed -E 's/[?#].*//' <<<"$1"
}

ua_resolve() { # BASE LOCATION
        case $2 in
        http://* | https://*) printf '%s' "$2" ;;
        /*) printf '%s%s' "$(ua_origin "$1")" "$2" ;;
        *) printf '%s/%s' "$(sed -E 's#/[^/]*$##' <<<"$(ua_bare "$1")")" "$2" ;;
        esac
}

# ua_request METHOD URL [curl args...]: sets UA_STATUS, UA_URL, leaves the
# body in $UA_BODY and the headers in $UA_HDR.
ua_request() {
        local method=$1 url=$2
        shift 2
        UA_URL=$url
        ua_log "$method $(ua_bare "$url")"
        UA_STATUS=$(curl -sS -o "$UA_BODY" -D "$UA_HDR" -w '%{http_code}' \
                --max-time "$UA_TIMEOUT" -b "$UA_JAR" -c "$UA_JAR" \
                -X "$method" "$@" "$url") || UA_STATUS=000
        ua_log "-> $UA_STATUS"
}

ua_location() {
        sed -n 's/^[Ll][Oo][Cc][Aa][Tt][Ii][Oo][Nn]: *//p' "$UA_HDR" | tail -n 1 | tr -d '\r'
}

ua_is_redirect() {
        case $UA_STATUS in 301 | 302 | 303 | 307 | 308) return 0 ;; esac
        return 1
}

# The IdP's error text, if the page has one (id="error").
ua_page_error() {
        sed -n 's/.*id="error"[^>]*>\(.*\)<\/p>.*/\1/p' "$UA_BODY" | head -n 1
}

ua_has() {
        grep -q -- "$1" "$UA_BODY"
}

ua_form_action() { # FORM_ID
        sed -n "s/.*<form id=\"$1\"[^>]*action=\"\\([^\"]*\\)\".*/\\1/p" "$UA_BODY" | head -n 1 | sed 's/&amp;/\&/g'
}

ua_hidden() { # NAME
        sed -n "s/.*type=\"hidden\" name=\"$1\" value=\"\\([^\"]*\\)\".*/\\1/p" "$UA_BODY" | head -n 1
}

# Posts the login form on the current page.
ua_do_login() {
        local user=$1 pw=$2 action
        action=$(ua_form_action tessera-login)
        [ -n "$action" ] || ua_fail "login form has no action"
        ua_request POST "$(ua_resolve "$UA_URL" "$action")" \
                --data-urlencode "login=$user" --data-urlencode "password=$pw"
}

# Posts the consent form on the current page: approve with every ticked
# scope except those in UA_DENY_SCOPES, or deny.
ua_do_consent() {
        local decision=$1 action s args=()
        action=$(ua_form_action tessera-consent)
        [ -n "$action" ] || ua_fail "consent form has no action"
        args+=(--data-urlencode "consent_form=1" --data-urlencode "decision=$decision")
        while read -r s; do
                [ -n "$s" ] || continue
                case " ${UA_DENY_SCOPES:-} " in *" $s "*) continue ;; esac
                args+=(--data-urlencode "scope=$s")
        done < <(grep -o 'name="scope" value="[^"]*"' "$UA_BODY" | sed 's/.*value="\([^"]*\)"/\1/')
        ua_request POST "$(ua_resolve "$UA_URL" "$action")" "${args[@]}"
}
