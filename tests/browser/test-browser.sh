#!/bin/bash
# SPDX-License-Identifier: MIT
# The login as the clinic user sees it: `tessera login --no-browser` prints
# the address, headless Chromium (Debian package chromium, driven by
# playwright-core from tests/browser/package-lock.json) opens it, signs in at
# the test identity provider, follows the redirect to tesserad's loopback
# listener and reads the landing page. Then the CLI's exit status and the
# token at the API emulator. Failure paths: consent denied, a clinic the
# account does not allow, a forged link, the token exchange failing, and a
# sign-in finished after the login expired (tesserad restarted with
# TESSERAD_LOGIN_TIMEOUT_SEC=3); every other landing page is rendered by
# test-landing and checked in the same browser.
#
# Screenshots (PNG) and the pages' HTML go to $TESSERA_BROWSER_ARTIFACTS,
# else $BUILD_ROOT/browser-artifacts, else a new /tmp directory; the path
# is printed. Needs root and tests/setup-test-env like the integration
# tests, `npm ci` in tests/browser and tests/idp, and /usr/bin/chromium.
. "$(dirname "$0")/../integration/lib.sh"
require_test_users

BROWSER_DIR="$TESSERA_SOURCE_ROOT/tests/browser"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
TEST_LANDING=${TEST_LANDING:-${BUILD_ROOT:-}/tests/unit/test-landing}
export CHROMIUM

# Missing tools are a failure, not a skip: CI installs them.
missing=
[ -x "$CHROMIUM" ] || missing+=" $CHROMIUM (apt-get install chromium)"
[ -d "$BROWSER_DIR/node_modules/playwright-core" ] || missing+=" playwright-core (cd tests/browser && npm ci)"
[ -d "$IDP_DIR/node_modules" ] || missing+=" the test IdP's packages (cd tests/idp && npm ci)"
[ -x "$TEST_LANDING" ] || missing+=" test-landing (build it, or set TEST_LANDING)"
if [ -n "$missing" ]; then
        echo "browser test: missing:$missing" >&2
        exit 1
fi

if [ -n "${TESSERA_BROWSER_ARTIFACTS:-}" ]; then
        ARTIFACTS=$TESSERA_BROWSER_ARTIFACTS
elif [ -n "${BUILD_ROOT:-}" ]; then
        ARTIFACTS=$BUILD_ROOT/browser-artifacts
else
        ARTIFACTS=$(mktemp -d /tmp/tessera-browser.XXXXXX)
fi
mkdir -p "$ARTIFACTS"
rm -f "$ARTIFACTS"/*.png "$ARTIFACTS"/*.html
log "screenshots and pages: $ARTIFACTS"

browser() {
        node "$BROWSER_DIR/login.mjs" "$@" --artifacts "$ARTIFACTS"
}

# cli_login ACCOUNT: starts `tessera login ACCOUNT --no-browser` in the
# background; sets CLI_PID, CLI_OUT and URL (the authorize address).
cli_login() {
        CLI_OUT="$T/cli-$1.out"
        "$TESSERA" login "$1" --no-browser >"$CLI_OUT" 2>&1 &
        CLI_PID=$!
        URL=
        for _ in $(seq 1 200); do
                URL=$(grep -m1 -o 'http://[^ ]*' "$CLI_OUT" || true)
                [ -n "$URL" ] && return 0
                kill -0 "$CLI_PID" 2>/dev/null || break
                sleep 0.05
        done
        echo "tessera login $1 printed no address:" >&2
        cat "$CLI_OUT" >&2
        return 1
}

# cli_wait: the exit status of that `tessera login` in CLI_RC. It should
# end within seconds of the landing page; if the page never came it would
# wait for the whole login timeout, so give up after 30 s (CLI_RC=124).
cli_wait() {
        CLI_RC=0
        for _ in $(seq 1 300); do
                kill -0 "$CLI_PID" 2>/dev/null || break
                sleep 0.1
        done
        if kill -0 "$CLI_PID" 2>/dev/null; then
                kill -TERM "$CLI_PID" 2>/dev/null || true
                wait "$CLI_PID" 2>/dev/null || true
                CLI_RC=124
                return 0
        fi
        wait "$CLI_PID" || CLI_RC=$?
}

# Secrets travel on stdin or in a pipe, not in arguments anyone could read.
absent_in() {
        ! grep -rqF -f <(printf '%s\n' "$1") "${@:2}"
}

api_status_with() {
        printf 'Authorization: Bearer %s\n' "$1" |
                curl -s -o /dev/null -w '%{http_code}' -H @- "$2"
}

start_idp
write_idp_config
start_daemon
export TESSERA_SOCKET=$SOCK

log "the user signs in and lands on the success page"
cli_login default
check "browser: sign in, consent, land on the success page" \
        browser flow --url "$URL" --user alice --password alice-pw --decision approve \
        --expect success --name success \
        --fact "Utente=Alice Rossi" --fact "Studio=Clinica Rossi" --fact "Account=default"
cli_wait
expect_eq "tessera login exits 0" 0 "$CLI_RC"
check "tessera login names the user" grep -q "Alice Rossi" "$CLI_OUT"
check "tessera login names the clinic" grep -q "Clinica Rossi" "$CLI_OUT"
res=$(login_result default)
expect_eq "login done, tenant t-100" "done t-100" "$(jq -r '.state + " " + .tenant_id' <<<"$res")"
tok=$(as_user "$TEST_USER" "$TESSERA" token default) || tok=
check "tessera token returns a token" test -n "$tok"
expect_eq "the token works at the API emulator (tenant t-100 ping)" 200 \
        "$(api_status_with "$tok" "$API_BASE/v2/tenants/t-100/ping")"
expect_eq "the emulator still refuses a wrong token" 401 \
        "$(api_status_with "not-$tok" "$API_BASE/v2/tenants/t-100/ping")"
check "the token is on no saved page" absent_in "$tok" "$ARTIFACTS"
check "the client secret is on no saved page" absent_in "$(client_secret tessera-basic)" "$ARTIFACTS"
check "no token in the daemon log" absent_in "$tok" "$T/daemon.log"

log "the user denies consent"
cli_login post
check "browser: deny at the consent form, land on the access denied page" \
        browser flow --url "$URL" --user alice --password alice-pw --decision deny \
        --expect access-denied --name access-denied --fact "Account=post"
cli_wait
expect_eq "tessera login exits 1" 1 "$CLI_RC"
res=$(login_result post)
expect_eq "login failed: access_denied" "failed access_denied" "$(jq -r '.state + " " + .error' <<<"$res")"
check "no session stored" test ! -e "$STATE/accounts/post.session"

log "a clinic the account does not allow"
cli_login narrow
check "browser: sign in, land on the clinic not allowed page" \
        browser flow --url "$URL" --user alice --password alice-pw --decision approve \
        --expect tenant-not-allowed --name tenant-not-allowed \
        --fact "Utente=Alice Rossi" --fact "Studio=Clinica Rossi" --fact "Account=narrow"
cli_wait
expect_eq "tessera login exits 4 (forbidden)" 4 "$CLI_RC"
res=$(login_result narrow)
expect_eq "login failed: tenant_not_allowed" "failed tenant_not_allowed" "$(jq -r '.state + " " + .error' <<<"$res")"
check "no session stored" test ! -e "$STATE/accounts/narrow.session"

log "an old or forged link, then the real one"
cli_login post
forged=$(sed 's/\([?&]state=\)[A-Za-z0-9_-]*/\1forgedstatevalue/' <<<"$URL")
check "browser: a forged state lands on the invalid link page" \
        browser flow --url "$forged" --user alice --password alice-pw --decision approve \
        --expect bad-state --name bad-state --fact "Account=post"
res=$(curl -sS --unix-socket "$SOCK" http://t/v1/accounts/post/login)
expect_eq "the login is still pending" pending "$(jq -r .state <<<"$res")"
check "browser: the real link still succeeds" \
        browser flow --url "$URL" --user alice --password alice-pw --decision approve \
        --expect success --name success-after-bad-state \
        --fact "Utente=Alice Rossi" --fact "Studio=Clinica Rossi" --fact "Account=post"
cli_wait
expect_eq "tessera login exits 0" 0 "$CLI_RC"

log "the sign-in server fails the token exchange"
"$TESSERA" logout default >/dev/null || true
cli_login default
curl -sS -o /dev/null -X POST -d '{"mode":"token_5xx","status":503,"count":20}' "$API_BASE/_test/fail"
check "browser: sign in, land on the sign-in server unreachable page" \
        browser flow --url "$URL" --user alice --password alice-pw --decision approve \
        --expect exchange-failed --name exchange-failed --fact "Account=default"
curl -sS -o /dev/null -X POST -d '{"mode":"none"}' "$API_BASE/_test/fail"
cli_wait
check "tessera login fails (exit $CLI_RC)" test "$CLI_RC" -ne 0
check "no session stored" test ! -e "$STATE/accounts/default.session"

log "the sign-in is finished after the login expired"
check "tesserad stops cleanly" stop_daemon
TESSERAD_LOGIN_TIMEOUT_SEC=3 start_daemon
check "no session for default before" test ! -e "$STATE/accounts/default.session"
stats_before=$(curl -sS "$API_BASE/_test/stats")
started=$SECONDS
cli_login default
check "tesserad says the login lifetime is shortened" \
        grep -q "TESSERAD_LOGIN_TIMEOUT_SEC=3: logins expire after 3 s" "$T/daemon.log"
res=$(login_result default)
expect_eq "the login expired after about 3 s" "failed expired" "$(jq -r '.state + " " + .error' <<<"$res")"
elapsed=$((SECONDS - started))
check "... after about 3 s, not the default 600 ($elapsed s)" test "$elapsed" -ge 2 -a "$elapsed" -le 15
cli_wait
check "tessera login fails (exit $CLI_RC)" test "$CLI_RC" -ne 0 -a "$CLI_RC" -ne 124
check "tessera login says the login expired and what to do" \
        grep -q 'expired before the sign-in was finished; start it again .*tessera login default$' "$CLI_OUT"
check "tessera login says how to start again" grep -q 'tessera login default' "$CLI_OUT"
check "browser: sign in late, land on the login expired page (410)" \
        browser flow --url "$URL" --user alice --password alice-pw --decision approve \
        --expect expired --name expired --fact "Account=default" \
        --contains "tessera login default" --contains "chiedi all'amministratore" \
        --contains "ask your administrator"
check "the expired page's screenshot is written" test -s "$ARTIFACTS/expired-desktop.png"
stats_after=$(curl -sS "$API_BASE/_test/stats")
expect_eq "the late code was never exchanged (no code grant, no grant error)" \
        "$(jq -c '[.code_grants, .grant_errors]' <<<"$stats_before")" \
        "$(jq -c '[.code_grants, .grant_errors]' <<<"$stats_after")"
check "the daemon log tells of the late browser" \
        grep -q "came back after the login had expired" "$T/daemon.log"
check "no session stored" test ! -e "$STATE/accounts/default.session"
expect_eq "the account is still logged out" logged_out \
        "$(curl -sS --unix-socket "$SOCK" http://t/v1/status | jq -r '.accounts[] | select(.name == "default") | .state')"

# The listener of the expired login, still open for its grace period.
port=$(grep -o 'redirect_uri=http%3A%2F%2F127\.0\.0\.1%3A[0-9]*' <<<"$URL" | grep -o '[0-9]*$')
redirect_uri=http://127.0.0.1:$port/callback
state=$(grep -o '[?&]state=[^&]*' <<<"$URL" | cut -d= -f2)
listener=${redirect_uri%/callback}
status_of() { curl -s --noproxy '*' -o /dev/null -w '%{http_code}' "$1" || true; }
check "the listener's port is in the authorize address" test -n "$port" -a -n "$state"
expect_eq "grace: the right state again gets 410" 410 "$(status_of "$redirect_uri?code=late&state=$state")"
expect_eq "grace: a wrong state gets 400" 400 "$(status_of "$redirect_uri?code=late&state=forgedstatevalue")"
expect_eq "grace: another path gets 404" 404 "$(status_of "$listener/")"

# A new login may start at once (no 409); it replaces the old listener.
read -r code body <<<"$(api POST /v1/accounts/default/login '{"flow":"code"}')"
expect_eq "a new login starts at once" 202 "$code"
expect_eq "its expires_in is the shortened lifetime" 3 "$(jq -r .expires_in <<<"$body")"
new_port=$(jq -r .authorize_url <<<"$body" | grep -o 'redirect_uri=http%3A%2F%2F127\.0\.0\.1%3A[0-9]*' | grep -o '[0-9]*$')
if [ "$new_port" != "$port" ]; then
        expect_eq "the expired login's listener is closed" 000 "$(status_of "$redirect_uri?code=late&state=$state")"
else
        # The kernel handed out the same port again: the old state is no
        # longer the one it expects.
        expect_eq "the old state means nothing to the new listener" 400 "$(status_of "$redirect_uri?code=late&state=$state")"
fi
res=$(login_result default)
expect_eq "the new login expires too" "failed expired" "$(jq -r '.state + " " + .error' <<<"$res")"
check "tesserad stops cleanly" stop_daemon

log "every landing page, rendered by test-landing (the expired login among them)"
mkdir -p "$T/pages"
check "test-landing writes the pages" "$TEST_LANDING" --write-pages "$T/pages"
check "browser: every page readable, strict CSP, Italian then English" browser pages --dir "$T/pages"

log "screenshots: $(find "$ARTIFACTS" -name '*.png' | wc -l) PNG files in $ARTIFACTS"
finish
