#!/bin/bash
# SPDX-License-Identifier: MIT
# The Login issue end to end: the real tesserad against the real test
# identity provider (oidc-provider) and API emulator on loopback, driven by
# the scripted user agents in tests/idp.
. "$(dirname "$0")/lib.sh"
require_test_users

start_idp
write_idp_config
start_daemon
export TESSERA_SOCKET=$SOCK

log "code flow (client_secret_basic)"
read -r code body <<<"$(api POST /v1/accounts/default/login '{"flow":"code"}')"
expect_eq "login start: 202" 202 "$code"
url=$(jq -r .authorize_url <<<"$body")
expect_eq "expires_in 600" 600 "$(jq -r .expires_in <<<"$body")"
check "authorize_url: PKCE S256" grep -q "code_challenge_method=S256" <<<"$url"
check "authorize_url: loopback redirect" grep -q "redirect_uri=http%3A%2F%2F127.0.0.1%3A[0-9]*%2Fcallback" <<<"$url"
check "authorize_url: 43-character state" grep -Eq "[?&]state=[A-Za-z0-9_-]{43}(&|$)" <<<"$url"
port=$(sed -n 's/.*redirect_uri=http%3A%2F%2F127.0.0.1%3A\([0-9]*\)%2F.*/\1/p' <<<"$url")
check "listener bound to 127.0.0.1 only" bash -c "ss -Hltn 'sport = :$port' | grep -q '127.0.0.1:$port' && ! ss -Hltn 'sport = :$port' | grep -qv '127.0.0.1:$port'"
expect_eq "listener: unrelated path is 404" 404 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/other")"
read -r code body <<<"$(api POST /v1/accounts/default/login '{"flow":"code"}')"
expect_eq "second login while pending: 409 login_in_progress" "409 login_in_progress" "$code $(jq -r .error <<<"$body")"
read -r code body <<<"$(api GET /v1/status)"
expect_eq "status: login_pending" login_pending "$(jq -r '.accounts[]|select(.name=="default").state' <<<"$body")"
status=$("$IDP_DIR/ua-code-login.sh" "$url" alice alice-pw approve)
expect_eq "browser lands on the success page (200)" 200 "$status"
res=$(login_result default)
expect_eq "login done" done "$(jq -r .state <<<"$res")"
expect_eq "login user" "Alice Rossi" "$(jq -r .user <<<"$res")"
expect_eq "login tenant: first tenant" t-100 "$(jq -r .tenant_id <<<"$res")"
sleep 2.5
check "listener closed after the login" bash -c "! curl -s -o /dev/null 'http://127.0.0.1:$port/callback'"
tok=$(as_user "$TEST_USER" "$TESSERA" token default)
check "tessera token returns a token" test -n "$tok"
expect_eq "the provider calls the token active" true "$(introspect_active "$tok")"
expect_eq "the token works at the API emulator" 200 "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok" "$API_BASE/v2/tenants/t-100/ping")"
read -r code body <<<"$(api GET /v1/status)"
acct=$(jq '.accounts[]|select(.name=="default")' <<<"$body")
expect_eq "status: valid" valid "$(jq -r .state <<<"$acct")"
expect_eq "status: tenant name" "Clinica Rossi" "$(jq -r .tenant_name <<<"$acct")"
expect_eq "status: no scope missing" null "$(jq -r .scope_missing <<<"$acct")"
check "store file written" test -s "$STATE/accounts/default.session"
check "no token in the store" bash -c "! grep -rqF -- '$tok' '$STATE'"
check "no token in the daemon log" bash -c "! grep -qF -- '$tok' '$T/daemon.log'"
check "no client secret in the daemon log" bash -c "! grep -qF -- '$(client_secret tessera-basic)' '$T/daemon.log'"
tbl=$("$TESSERA" status default 2>&1) && rc=0 || rc=$?
expect_eq "tessera status exit 0 when valid" 0 "$rc"

log "the session survives a restart"
stop_daemon
start_daemon
tok2=$(as_user "$TEST_USER" "$TESSERA" token default)
expect_eq "same token after restart" "$tok" "$tok2"

log "code flow with client_secret_post and a partial grant"
status=$(UA_DENY_SCOPES="giponext.patients" login_code post alice alice-pw approve)
res=$(login_result post)
expect_eq "post login done" done "$(jq -r .state <<<"$res")"
expect_eq "login result lists the missing scope" giponext.patients "$(jq -r .scope_missing <<<"$res")"
read -r code body <<<"$(api GET /v1/status)"
expect_eq "status: scope_missing" giponext.patients "$(jq -r '.accounts[]|select(.name=="post").scope_missing' <<<"$body")"

log "the user denies consent"
"$TESSERA" logout post >/dev/null
status=$(login_code post alice alice-pw deny)
check "browser gets an error page (4xx)" bash -c "[ '$status' -ge 400 ] && [ '$status' -lt 500 ]"
res=$(login_result post)
expect_eq "login failed: access_denied" "failed access_denied" "$(jq -r '.state + " " + .error' <<<"$res")"
check "no session stored" test ! -e "$STATE/accounts/post.session"
read -r code body <<<"$(api GET /v1/status)"
expect_eq "account back to logged_out" logged_out "$(jq -r '.accounts[]|select(.name=="post").state' <<<"$body")"

log "a wrong state does not end the login"
read -r code body <<<"$(api POST /v1/accounts/post/login '{"flow":"code"}')"
url=$(jq -r .authorize_url <<<"$body")
bad=$(sed 's/\([?&]state=\)[A-Za-z0-9_-]*/\1forgedstatevalue/' <<<"$url")
status=$("$IDP_DIR/ua-code-login.sh" "$bad" alice alice-pw approve || true)
expect_eq "browser with a forged state gets 400" 400 "$status"
res=$(curl -sS --unix-socket "$SOCK" http://t/v1/accounts/post/login)
expect_eq "login still pending" pending "$(jq -r .state <<<"$res")"
check "no session stored" test ! -e "$STATE/accounts/post.session"
status=$("$IDP_DIR/ua-code-login.sh" "$url" alice alice-pw approve)
expect_eq "the real callback still succeeds" 200 "$status"
res=$(login_result post)
expect_eq "login done" done "$(jq -r .state <<<"$res")"

log "tenant not allowed"
before=$(curl -s "$API_BASE/_test/stats" | jq -r .revocations)
status=$(login_code narrow alice alice-pw approve)
check "browser gets the tenant page (403)" test "$status" = 403
res=$(login_result narrow)
expect_eq "login failed: tenant_not_allowed" "failed tenant_not_allowed" "$(jq -r '.state + " " + .error' <<<"$res")"
check "no session stored" test ! -e "$STATE/accounts/narrow.session"
for _ in $(seq 1 50); do
        after=$(curl -s "$API_BASE/_test/stats" | jq -r .revocations)
        [ "$after" -gt "$before" ] && break
        sleep 0.1
done
check "the tokens were revoked at the provider ($before -> $after)" test "$after" -gt "$before"

log "device flow"
read -r code body <<<"$(api POST /v1/accounts/default/logout '{}')"
expect_eq "logout answers once the provider revoked the tokens" "200 true" "$code $(jq -r .revoked <<<"$body")"
check "logout revoked the token at the provider" bash -c "for i in \$(seq 50); do [ \"\$(introspect_active '$tok')\" = false ] && exit 0; sleep 0.1; done; exit 1"
read -r code body <<<"$(api POST /v1/accounts/default/login '{"flow":"device"}')"
expect_eq "device login start: 202" 202 "$code"
user_code=$(jq -r .user_code <<<"$body")
check "verification_uri_complete given" bash -c "jq -e '.verification_uri_complete|startswith(\"$ISSUER\")' <<<'$body' >/dev/null"
expect_eq "interval defaults to 5" 5 "$(jq -r .interval <<<"$body")"
out=$("$IDP_DIR/ua-device-approve.sh" "$ISSUER" "$user_code" bob bob-pw approve)
expect_eq "device approved at the provider" approved "$out"
res=$(login_result default)
expect_eq "device login done" done "$(jq -r .state <<<"$res")"
expect_eq "device login tenant" t-999 "$(jq -r .tenant_id <<<"$res")"
tok=$("$TESSERA" token default)
expect_eq "device token is active" true "$(introspect_active "$tok")"

log "device flow: the user denies"
"$TESSERA" logout default >/dev/null
read -r code body <<<"$(api POST /v1/accounts/default/login '{"flow":"device"}')"
user_code=$(jq -r .user_code <<<"$body")
"$IDP_DIR/ua-device-approve.sh" "$ISSUER" "$user_code" bob bob-pw deny >/dev/null
res=$(login_result default)
expect_eq "device login failed: access_denied" "failed access_denied" "$(jq -r '.state + " " + .error' <<<"$res")"

log "tessera login (CLI), code flow"
"$TESSERA" login default --no-browser >"$T/cli.out" 2>&1 &
cli=$!
for _ in $(seq 1 100); do grep -q 'http://' "$T/cli.out" && break; sleep 0.05; done
url=$(grep -m1 -o 'http://[^ ]*' "$T/cli.out")
"$IDP_DIR/ua-code-login.sh" "$url" alice alice-pw approve >/dev/null
wait "$cli" && rc=0 || rc=$?
expect_eq "tessera login exits 0" 0 "$rc"
check "tessera login says who is logged in" grep -q "Alice Rossi" "$T/cli.out"

log "bad requests"
read -r code body <<<"$(api POST /v1/accounts/default/login '{"flow":"implicit"}')"
expect_eq "unknown flow: 400" 400 "$code"
read -r code body <<<"$(api POST /v1/accounts/default/login '{nope')"
expect_eq "invalid JSON: 400" 400 "$code"
code=$(as_user "$TEST_USER" curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" -X POST -d '{"flow":"code"}' http://t/v1/accounts/default/login)
expect_eq "non-admin may not start a login" 403 "$code"

log "the identity provider is down"
stop_idp
read -r code body <<<"$(api POST /v1/accounts/post/logout '{}')"
expect_eq "logout with the IdP down: erased locally, 200" 200 "$code"
expect_eq "and the answer says the revocation failed" false "$(jq -r .revoked <<<"$body")"
check "with the reason" bash -c "jq -r .message <<<'$body' | grep -qi 'revok\|reach\|connect'"
check "the session file is gone anyway" test ! -e "$STATE/accounts/post.session"
check "and the log says so" grep -q "logged out locally, but" "$T/daemon.log"
kill -HUP "$DAEMON_PID"   # a fresh discovery cache is not needed: the cache keeps only successes
read -r code body <<<"$(api POST /v1/accounts/post/login '{"flow":"device"}')"
check "device login without IdP fails cleanly (got $code)" bash -c "[ '$code' = 503 ] || [ '$code' = 502 ]"
check "daemon still running" kill -0 "$DAEMON_PID"

check "the daemon log never contains a token" bash -c "! grep -qF -- '$tok' '$T/daemon.log'"

log "a login that expires"
stop_daemon
start_idp TESSERA_IDP_DEVICE_CODE_TTL=3
write_idp_config
start_daemon
read -r code body <<<"$(api POST /v1/accounts/post/login '{"flow":"device"}')"
expect_eq "device login with a 3 s code: 202" "202 3" "$code $(jq -r .expires_in <<<"$body")"
res=$(login_result post)
expect_eq "nobody approves: failed expired" "failed expired" "$(jq -r '.state + " " + .error' <<<"$res")"
check "no session stored" test ! -e "$STATE/accounts/post.session"
"$TESSERA" login post --device >"$T/cli-exp.out" 2>&1 && rc=0 || rc=$?
expect_eq "tessera login --device: expired is a failure (exit 1)" 1 "$rc"
check "and says to start again" grep -qi "again\|expired" "$T/cli-exp.out"
stop_daemon && rc=0 || rc=$?
expect_eq "SIGTERM: a clean exit (under ASan: no leaks)" 0 "$rc"
finish
