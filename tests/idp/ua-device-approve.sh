#!/bin/bash
# ua-device-approve.sh ISSUER USER_CODE USER PASSWORD [approve|deny|abort]
#
# A browser stand-in for the device flow's second screen: opens
# ISSUER/device, enters USER_CODE, confirms it, signs in as USER and answers
# the consent form.  "deny" refuses on the consent form, "abort" uses the
# Abort button of the code confirmation page; both leave the device code
# with error access_denied.
#
# Prints "approved", "denied" or "aborted" on stdout and exits 0 when the IdP
# showed the matching final page; exits 1 otherwise with the reason on stderr.
# Environment: UA_DENY_SCOPES, UA_TIMEOUT, UA_VERBOSE as for ua-code-login.sh.
set -euo pipefail

if [ $# -lt 4 ] || [ $# -gt 5 ]; then
        echo "usage: $0 ISSUER USER_CODE USER PASSWORD [approve|deny|abort]" >&2
        exit 2
fi
issuer=${1%/} user_code=$2 user=$3 password=$4 decision=${5:-approve}
case $decision in approve | deny | abort) ;; *) echo "decision must be approve, deny or abort" >&2; exit 2 ;; esac

# shellcheck source=ua-lib.sh
. "$(dirname "$0")/ua-lib.sh"

code_sent=0
confirmed=0
logins=0
consents=0
ua_request GET "$issuer/device"
for _ in $(seq 1 25); do
        if ua_is_redirect; then
                loc=$(ua_location)
                [ -n "$loc" ] || ua_fail "redirect $UA_STATUS without Location"
                next=$(ua_resolve "$UA_URL" "$loc")
                [ "$(ua_origin "$next")" = "$(ua_origin "$issuer")" ] ||
                        ua_fail "redirected away from the IdP to $(ua_bare "$next")"
                ua_request GET "$next"
                continue
        fi
        if ua_has 'id="device-success"'; then
                [ "$decision" = approve ] || ua_fail "IdP reports success after $decision"
                echo approved
                exit 0
        fi
        if ua_has 'id="op.deviceInputForm"'; then
                err=$(ua_page_error)
                if [ $code_sent -gt 0 ]; then
                        # A refusal ends on the code input page with an "aborted" notice.
                        if grep -qi 'aborted' <<<"$err"; then
                                if [ "$decision" = abort ] && [ $confirmed -gt 0 ]; then
                                        echo aborted
                                        exit 0
                                fi
                                if [ "$decision" = deny ] && [ $consents -gt 0 ]; then
                                        echo denied
                                        exit 0
                                fi
                        fi
                        ua_fail "user code rejected: $err"
                fi
                code_sent=1
                action=$(ua_form_action 'op.deviceInputForm')
                xsrf=$(ua_hidden xsrf)
                { [ -n "$action" ] && [ -n "$xsrf" ]; } || ua_fail "device input form not understood"
                ua_request POST "$(ua_resolve "$UA_URL" "$action")" \
                        --data-urlencode "xsrf=$xsrf" --data-urlencode "user_code=$user_code"
                continue
        fi
        if ua_has 'id="op.deviceConfirmForm"'; then
                [ $confirmed -eq 0 ] || ua_fail "confirmation asked twice"
                confirmed=1
                action=$(ua_form_action 'op.deviceConfirmForm')
                xsrf=$(ua_hidden xsrf)
                code=$(ua_hidden user_code)
                { [ -n "$action" ] && [ -n "$xsrf" ]; } || ua_fail "device confirm form not understood"
                if [ "$decision" = abort ]; then
                        answer=(--data-urlencode "abort=yes")
                else
                        answer=(--data-urlencode "confirm=yes")
                fi
                ua_request POST "$(ua_resolve "$UA_URL" "$action")" \
                        --data-urlencode "xsrf=$xsrf" --data-urlencode "user_code=$code" "${answer[@]}"
                continue
        fi
        [ "$UA_STATUS" = 200 ] || {
                err=$(ua_page_error)
                if [ "$decision" = deny ] && [ $consents -gt 0 ] && grep -q 'access_denied' <<<"$err"; then
                        echo denied
                        exit 0
                fi
                ua_fail "IdP answered $UA_STATUS at $(ua_bare "$UA_URL"): $err"
        }
        if ua_has 'id="tessera-login"'; then
                [ $logins -eq 0 ] || ua_fail "login rejected: $(ua_page_error)"
                logins=$((logins + 1))
                ua_do_login "$user" "$password"
        elif ua_has 'id="tessera-consent"'; then
                [ $consents -eq 0 ] || ua_fail "consent asked twice"
                consents=$((consents + 1))
                ua_do_consent "$([ "$decision" = deny ] && echo deny || echo approve)"
        else
                err=$(ua_page_error)
                if [ "$decision" = deny ] && [ $consents -gt 0 ] && grep -q 'access_denied' <<<"$err"; then
                        echo denied
                        exit 0
                fi
                ua_fail "unexpected page at $(ua_bare "$UA_URL"): $err"
        fi
done
ua_fail "too many steps"
