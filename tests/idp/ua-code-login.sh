#!/bin/bash
# ua-code-login.sh AUTHORIZE_URL USER PASSWORD [approve|deny]
#
# A browser stand-in for the authorization code flow: opens AUTHORIZE_URL,
# fills in the test IdP's login and consent forms, and finally requests the
# client's redirect URI (the redirect_uri of AUTHORIZE_URL) the way a browser
# would.  Prints that last response's HTTP status on stdout and exits 0 once
# the redirect URI was reached (approve or deny alike); exits 1 otherwise,
# with the reason on stderr.
#
# Environment:
#   UA_CAPTURE_REDIRECT=FILE  do not request the redirect URI: write it
#                             (with code/state/iss or error) to FILE, mode
#                             0600, and print the IdP's redirect status
#   UA_DENY_SCOPES="a b"      untick these scopes on the consent form
#   UA_TIMEOUT=S              per-request timeout (default 20)
#   UA_VERBOSE=1              trace the steps on stderr (no queries shown)
#
# Never prints the code, the state or any token.
set -euo pipefail

if [ $# -lt 3 ] || [ $# -gt 4 ]; then
        echo "usage: $0 AUTHORIZE_URL USER PASSWORD [approve|deny]" >&2
        exit 2
fi
authorize_url=$1 user=$2 password=$3 decision=${4:-approve}
case $decision in approve | deny) ;; *) echo "decision must be approve or deny" >&2; exit 2 ;; esac

# shellcheck source=ua-lib.sh
. "$(dirname "$0")/ua-lib.sh"

redirect_uri=
raw=$(sed -n 's/.*[?&]redirect_uri=\([^&#]*\).*/\1/p' <<<"$authorize_url")
[ -n "$raw" ] && redirect_uri=$(ua_urldecode "$raw")
idp_origin=$(ua_origin "$authorize_url")

is_client_redirect() {
        if [ -n "$redirect_uri" ]; then
                case $1 in "$redirect_uri" | "$redirect_uri?"* | "$redirect_uri#"*) return 0 ;; esac
                return 1
        fi
        [ "$(ua_origin "$1")" != "$idp_origin" ]
}

logins=0
consents=0
ua_request GET "$authorize_url"
for _ in $(seq 1 25); do
        if ua_is_redirect; then
                loc=$(ua_location)
                [ -n "$loc" ] || ua_fail "redirect $UA_STATUS without Location"
                next=$(ua_resolve "$UA_URL" "$loc")
                if is_client_redirect "$next"; then
                        if [ -n "${UA_CAPTURE_REDIRECT:-}" ]; then
                                (umask 077 && printf '%s\n' "$next" >"$UA_CAPTURE_REDIRECT")
                                echo "$UA_STATUS"
                                exit 0
                        fi
                        ua_request GET "$next"
                        echo "$UA_STATUS"
                        [ "$UA_STATUS" != 000 ] || ua_fail "could not reach the redirect URI $(ua_bare "$next")"
                        exit 0
                fi
                ua_request GET "$next"
                continue
        fi
        [ "$UA_STATUS" = 200 ] || {
                echo "$UA_STATUS"
                ua_fail "IdP answered $UA_STATUS at $(ua_bare "$UA_URL"): $(ua_page_error)"
        }
        if ua_has 'id="tessera-login"'; then
                [ $logins -eq 0 ] || ua_fail "login rejected: $(ua_page_error)"
                logins=$((logins + 1))
                ua_do_login "$user" "$password"
        elif ua_has 'id="tessera-consent"'; then
                [ $consents -eq 0 ] || ua_fail "consent asked twice"
                consents=$((consents + 1))
                ua_do_consent "$decision"
        else
                ua_fail "unexpected page at $(ua_bare "$UA_URL"): $(ua_page_error)"
        fi
done
ua_fail "too many steps"
