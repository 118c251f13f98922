#!/bin/bash
# SPDX-License-Identifier: MIT
# Per-user sessions (issue 13) end to end: one account, "sessions =
# per-user", used by two real OS users (runuser) who each log in their own
# session through the socket as two different provider users; the real
# tesserad, the real test provider and API emulator on loopback.
#
# logind: it cannot run here (no systemd as PID 1). tesserad runs in a
# private mount namespace whose /run/systemd is a directory this test
# writes as logind does (seats/, users/UID in user_save_internal()'s format,
# replaced by rename). What reads it is the REAL sd-login library inside
# tesserad (sd_uid_get_state, sd_login_monitor): only the state is made up.
# Nothing is skipped: a missing piece of the environment is a failure.
. "$(dirname "$0")/lib.sh"
require_test_users

ACCT=shared-desk
OUTSIDER=nobody         # in no users= and no admins=
for u in "$TEST_USER2" "$TEST_USER3" "$OUTSIDER"; do
        id "$u" >/dev/null 2>&1 || { echo "user $u missing: run tests/setup-test-env (as root) first" >&2; exit 1; }
done
getent group "$TEST_ADMIN_GROUP" >/dev/null || { echo "group $TEST_ADMIN_GROUP missing: run tests/setup-test-env" >&2; exit 1; }
U1=$(id -u "$TEST_USER")
U2=$(id -u "$TEST_USER2")
UO=$(id -u "$OUTSIDER")
F1="$STATE/accounts/$ACCT@$U1.session"
F2="$STATE/accounts/$ACCT@$U2.session"
LOGIND="$T/logind"      # /run/systemd as tesserad sees it

stat_of() { curl -s "$API_BASE/_test/stats" | jq -r ".$1 // 0"; }
route_count() { curl -s "$API_BASE/_test/stats" | jq -r ".api_by_route.$1 // 0"; }
# status_as USER: /v1/status as USER (root: "root").
status_as() { api_as "$1" GET /v1/status | cut -d' ' -f2-; }
# entries JSON: the per-user entries of $ACCT in a status answer, as "uid:os_user:state" sorted.
entries() { jq -r "[.accounts[]|select(.name==\"$ACCT\")|\"\(.uid):\(.os_user):\(.state)\"]|sort|join(\" \")" <<<"$1"; }
err_of() { cut -d' ' -f2- <<<"$1" | jq -r .error; }
code_of() { cut -d' ' -f1 <<<"$1"; }
gone() { [ ! -e "$1" ]; }
inactive() { [ "$(introspect_active "$1")" = false ]; }
same() { [ "$1" = "$2" ]; }
differ() { [ "$1" != "$2" ]; }
is_token() { [ -n "$1" ] && [ "$1" != null ]; }
# last_hash UID: the token_hash of the last token served for uid's session.
last_hash() { grep "audit: token account=$ACCT .* session_uid=$1 " "$T/daemon.log" | tail -n1 | sed -n 's/.*token_hash=\([0-9a-f]*\).*/\1/p'; }
ALL_TOKENS=()

start_idp TESSERA_IDP_DEVICE_INTERVAL=1
client_secret tessera-basic >"$T/etc/basic.secret"
chmod 0600 "$T/etc/basic.secret"
cat >"$CONF" <<CONF
[daemon]
state_dir = $STATE
socket = $SOCK
socket_mode = 0666
admins = root @$TEST_ADMIN_GROUP
log_level = debug

[account default]
issuer = $ISSUER
client_id = tessera-basic
client_secret_file = $T/etc/basic.secret
scope = openid offline_access giponext.patients giponext.agenda
userinfo_url = $API_BASE/v2/userinfo
api_base = $API_BASE
users = $TEST_USER

[account $ACCT]
issuer = $ISSUER
client_id = tessera-basic
client_secret_file = $T/etc/basic.secret
scope = openid offline_access giponext.patients giponext.agenda
userinfo_url = $API_BASE/v2/userinfo
api_base = $API_BASE
sessions = per-user
users = $TEST_USER @$TEST_GROUP
CONF
check "the configuration is valid" "$TESSERAD" --config "$CONF" --check-config

log "logind state made by the test: both users have an active desktop session"
logind_user "$LOGIND" "$U1" active
logind_user "$LOGIND" "$U2" active
start_daemon_run_systemd "$LOGIND"
check "with logind state present, no 'logind is not running'" bash -c "! grep -q 'logind is not running' '$T/daemon.log'"

log "the shared account works as before (root logs it in)"
read -r code body <<<"$(api POST /v1/accounts/default/login '{"flow":"code"}')"
"$IDP_DIR/ua-code-login.sh" "$(jq -r .authorize_url <<<"$body")" alice alice-pw approve >/dev/null
expect_eq "shared login done" "done" "$(login_result default | jq -r .state)"
tokd=$(token_as "$TEST_USER" default)
ALL_TOKENS+=("$tokd")
check "shared account: its user gets a token" is_token "$tokd"

log "before anyone logged in"
r=$(api_as "$TEST_USER" GET "/v1/accounts/$ACCT/token")
expect_eq "member without a session: 401 login_required" "401 login_required" "$(code_of "$r") $(err_of "$r")"
check "  whose message says to run tessera login" grep -q "tessera login $ACCT" <<<"$(cut -d' ' -f2- <<<"$r" | jq -r .message)"
msg=$(as_user "$TEST_USER2" "$TESSERA" token "$ACCT" 2>&1) && rc=0 || rc=$?
expect_eq "group member without a session: CLI exit 3" 3 "$rc"
check "  and the CLI says to run tessera login" grep -q "tessera login" <<<"$msg"
st=$(status_as "$TEST_USER")
expect_eq "status: a member sees one entry of their own, logged out" "$U1:$TEST_USER:logged_out" "$(entries "$st")"
expect_eq "status: that entry says per-user" per-user "$(jq -r ".accounts[]|select(.name==\"$ACCT\").sessions" <<<"$st")"
for what in "GET /v1/accounts/$ACCT/token" "POST /v1/accounts/$ACCT/login" "GET /v1/accounts/$ACCT/login" \
        "POST /v1/accounts/$ACCT/logout" "GET /v1/accounts/$ACCT/api/v2/userinfo"; do
        # shellcheck disable=SC2086
        if [ "${what%% *}" = POST ]; then r=$(api_as "$OUTSIDER" ${what} '{"flow":"code"}'); else r=$(api_as "$OUTSIDER" ${what}); fi
        expect_eq "uid not in users=: $what is 403 forbidden" "403 forbidden" "$(code_of "$r") $(err_of "$r")"
done
expect_eq "uid not in users=: sees no entry of $ACCT" "" "$(entries "$(status_as "$OUTSIDER")")"

log "each user logs in their own session, as a different provider user"
expect_eq "$TEST_USER logs in (code flow) as alice" "done" "$(login_code_as "$TEST_USER" "$ACCT" alice alice-pw)"
check "  no session for $TEST_USER2 appeared" bash -c "[ \"\$(curl -s --unix-socket '$SOCK' 'http://t/v1/accounts/$ACCT/token?uid=$U2' | jq -r .error)\" = login_required ]"
expect_eq "$TEST_USER2 logs in (device flow) as bob" "done" "$(login_device_as "$TEST_USER2" "$ACCT" bob bob-pw)"
check "store file of $TEST_USER's session" test -s "$F1"
check "store file of $TEST_USER2's session" test -s "$F2"

log "each gets only their own token"
tok1=$(as_user "$TEST_USER" "$TESSERA" token "$ACCT")
tok2=$(as_user "$TEST_USER2" "$TESSERA" token "$ACCT")
ALL_TOKENS+=("$tok1" "$tok2")
check "tessera token as $TEST_USER: a token" is_token "$tok1"
check "tessera token as $TEST_USER2: a token" is_token "$tok2"
check "the two tokens differ" differ "$tok1" "$tok2"
check "the shared account's token is neither" bash -c "[ '$tokd' != '$tok1' ] && [ '$tokd' != '$tok2' ]"
read -r code body <<<"$(api_as "$TEST_USER" GET "/v1/accounts/$ACCT/token")"
check "raw API as $TEST_USER: the same token" same "$tok1" "$(jq -r .access_token <<<"$body")"
expect_eq "  tenant of $TEST_USER's session (alice's first)" t-100 "$(jq -r .tenant_id <<<"$body")"
read -r code body <<<"$(api_as "$TEST_USER2" GET "/v1/accounts/$ACCT/token")"
check "raw API as $TEST_USER2: the same token" same "$tok2" "$(jq -r .access_token <<<"$body")"
expect_eq "  tenant of $TEST_USER2's session (bob's)" t-999 "$(jq -r .tenant_id <<<"$body")"
expect_eq "provider: $TEST_USER's token is alice's, active" "true alice tessera-basic" \
        "$(introspect_active "$tok1") $(introspect_field "$tok1" sub) $(introspect_field "$tok1" client_id)"
expect_eq "provider: $TEST_USER2's token is bob's, active" "true bob tessera-basic" \
        "$(introspect_active "$tok2") $(introspect_field "$tok2" sub) $(introspect_field "$tok2" client_id)"
read -r code body <<<"$(api_as "$TEST_USER" GET "/v1/accounts/$ACCT/api/v2/userinfo")"
expect_eq "gateway /v2/userinfo as $TEST_USER: alice, Clinica Rossi" "200 alice Alice Rossi t-100" \
        "$code $(jq -r '.sub + " " + .name + " " + .tenants[0].id' <<<"$body")"
read -r code body <<<"$(api_as "$TEST_USER2" GET "/v1/accounts/$ACCT/api/v2/userinfo")"
expect_eq "gateway /v2/userinfo as $TEST_USER2: bob, Altro Studio" "200 bob Bob Verdi t-999" \
        "$code $(jq -r '.sub + " " + .name + " " + .tenants[0].id' <<<"$body")"
read -r code body <<<"$(api_as "$TEST_USER2" GET "/v1/accounts/$ACCT/tenant/ping")"
expect_eq "gateway tenant/ as $TEST_USER2: bob's tenant" "200 t-999 bob" "$code $(jq -r '.tenant + " " + .sub' <<<"$body")"
out=$(as_user "$TEST_USER" "$TESSERA" api "$ACCT" GET /v2/userinfo)
expect_eq "tessera api as $TEST_USER: alice" alice "$(jq -r .sub <<<"$out")"

log "nobody reaches the other's token"
r=$(api_as "$TEST_USER" GET "/v1/accounts/$ACCT/token?uid=$U2")
expect_eq "token?uid=<other> as $TEST_USER: 403" "403 forbidden" "$(code_of "$r") $(err_of "$r")"
check "  and no token in the answer" bash -c "! grep -qF -- '$tok2' <<<'$r'"
r=$(api_as "$TEST_USER2" GET "/v1/accounts/$ACCT/token?uid=$U1")
expect_eq "token?uid=<other> as $TEST_USER2: 403" "403 forbidden" "$(code_of "$r") $(err_of "$r")"
# A gateway call's query is the API's: ?uid= there names nobody's session,
# the caller's own token is used.
r=$(api_as "$TEST_USER" GET "/v1/accounts/$ACCT/api/v2/userinfo?uid=$U2")
expect_eq "gateway ?uid=<other> as $TEST_USER: still alice's own call" "200 alice" "$(code_of "$r") $(jq -r .sub <<<"${r#* }" 2>/dev/null)"
check "  and nothing of bob's" bash -c "! grep -q 'Bob Verdi' <<<'$r'"
r=$(api_as "$TEST_USER" GET "/v1/accounts/$ACCT/login?uid=$U2")
expect_eq "login state ?uid=<other> as $TEST_USER: 403" 403 "$(code_of "$r")"
r=$(api_as "$TEST_USER" POST "/v1/accounts/$ACCT/login?uid=$U2" '{"flow":"code"}')
expect_eq "login ?uid=<other> as $TEST_USER: 403" 403 "$(code_of "$r")"
r=$(api_as "$TEST_USER" POST "/v1/accounts/$ACCT/logout?uid=$U2" '{}')
expect_eq "logout ?uid=<other> as a non-admin member: 403" 403 "$(code_of "$r")"
check "  $TEST_USER2's token still served" same "$tok2" "$(token_as "$TEST_USER2" "$ACCT")"
out=$(as_user "$TEST_USER" "$TESSERA" token "$ACCT" --user "$TEST_USER2" 2>/dev/null) && rc=0 || rc=$?
check "tessera token --user <other> as $TEST_USER fails (exit $rc)" test "$rc" -ne 0
check "  without printing the other's token" bash -c "! grep -qF -- '$tok2' <<<'$out'"
out=$(as_user "$TEST_USER" "$TESSERA" token "$ACCT" 2>/dev/null)
check "tessera token as $TEST_USER is never $TEST_USER2's" differ "$tok2" "$out"
for name in "$ACCT@$U2" "$ACCT%40$U2" "$ACCT@$U2.session" "${ACCT^^}"; do
        r=$(api_as "$TEST_USER" GET "/v1/accounts/$name/token")
        check "account name '$name' as $TEST_USER: 400 or 404 ($(code_of "$r"))" \
                bash -c "[ '$(code_of "$r")' = 400 ] || [ '$(code_of "$r")' = 404 ]"
done
r=$(api_as "$TEST_USER2" GET /v1/accounts/default/token)
expect_eq "$TEST_USER2 may not use the shared account of $TEST_USER: 403" 403 "$(code_of "$r")"
check "$TEST_USER's shared-account token is not a per-user one" differ "$tok1" "$(token_as "$TEST_USER" default)"

log "/v1/status"
st=$(status_as "$TEST_USER")
expect_eq "$TEST_USER sees exactly their own session" "$U1:$TEST_USER:valid" "$(entries "$st")"
expect_eq "  with sessions per-user and the provider user" "per-user Alice Rossi" \
        "$(jq -r ".accounts[]|select(.name==\"$ACCT\")|.sessions + \" \" + .user" <<<"$st")"
expect_eq "  and the shared account: sessions shared, no uid/os_user" "shared false false" \
        "$(jq -r '.accounts[]|select(.name=="default")|"\(.sessions) \(has("uid")) \(has("os_user"))"' <<<"$st")"
st=$(status_as "$TEST_USER2")
expect_eq "$TEST_USER2 sees exactly their own session" "$U2:$TEST_USER2:valid" "$(entries "$st")"
expect_eq "  and no other account" "$ACCT" "$(jq -r '[.accounts[].name]|join(" ")' <<<"$st")"
st=$(status_as "$TEST_USER3")
expect_eq "the non-root admin $TEST_USER3 sees both sessions" "$U2:$TEST_USER2:valid $U1:$TEST_USER:valid" "$(entries "$st")"
expect_eq "  with their provider users" "Alice Rossi Bob Verdi" \
        "$(jq -r "[.accounts[]|select(.name==\"$ACCT\").user]|sort|join(\" \")" <<<"$st")"
st=$(status_as root)
check "root sees both sessions ($(entries "$st"))" bash -c "grep -q '$U1:$TEST_USER:valid' <<<'$(entries "$st")' && grep -q '$U2:$TEST_USER2:valid' <<<'$(entries "$st")'"
check "  and no other session but its own, logged out" bash -c "[ \"\$(jq -r '[.accounts[]|select(.name==\"$ACCT\" and .uid!=$U1 and .uid!=$U2 and (.uid!=0 or .state!=\"logged_out\"))]|length' <<<'$st')\" = 0 ]"
expect_eq "root: the shared account's entry has the old fields plus sessions" \
        "expires_at last_error name next_refresh_at refreshed_at scope_granted scope_missing sessions state tenant_id tenant_name tokens_served user" \
        "$(jq -r '.accounts[]|select(.name=="default")|keys|join(" ")' <<<"$st")"
expect_eq "root: shared account valid, sessions shared" "valid shared" \
        "$(jq -r '.accounts[]|select(.name=="default")|.state + " " + .sessions' <<<"$st")"
tbl=$("$TESSERA" --socket "$SOCK" status "$ACCT" --all 2>&1 || true)
check "tessera status --all (root): an OS USER column with both users" \
        bash -c "grep -q 'OS USER' <<<'$tbl' && grep -q '$TEST_USER2' <<<'$tbl' && grep -qw '$TEST_USER' <<<'$tbl'"
tbl=$(as_user "$TEST_USER" "$TESSERA" status "$ACCT" 2>&1 || true)
check "tessera status as $TEST_USER: their own session, not $TEST_USER2's" \
        bash -c "grep -qw '$TEST_USER' <<<'$tbl' && ! grep -q '$TEST_USER2\|Bob Verdi' <<<'$tbl'"
check "no token in any status answer" bash -c "! grep -qF -- '$tok1' <<<'$st' && ! grep -qF -- '$tok2' <<<'$st'"

log "root names a uid; the admin who is not root may only log it out"
r=$(api_as "$TEST_USER3" GET "/v1/accounts/$ACCT/token?uid=$U2")
expect_eq "admin (not root): token?uid=<member> is 403" "403 forbidden" "$(code_of "$r") $(err_of "$r")"
check "  and no token in the answer" bash -c "! grep -qF -- '$tok2' <<<'$r'"
r=$(api_as "$TEST_USER3" GET "/v1/accounts/$ACCT/api/v2/userinfo?uid=$U2")
expect_eq "admin (not root, not in users=): gateway with ?uid=<member> is 403" 403 "$(code_of "$r")"
r=$(api_as "$TEST_USER3" GET "/v1/accounts/$ACCT/token")
expect_eq "admin (not root, not in users=): own token is 403" 403 "$(code_of "$r")"
r=$(api_as "$TEST_USER3" POST "/v1/accounts/$ACCT/login?uid=$U2" '{"flow":"code"}')
expect_eq "admin (not root): login?uid=<member> is 403" 403 "$(code_of "$r")"
read -r code body <<<"$(api GET "/v1/accounts/$ACCT/token?uid=$U2")"
check "root: token?uid=$U2 is $TEST_USER2's token" same "$tok2" "$(jq -r .access_token <<<"$body")"
check "  audited with session_uid=$U2" grep -q "audit: token account=$ACCT pid=[0-9]* uid=0 .*os_user=root sub=bob session_uid=$U2 token_hash=" "$T/daemon.log"
check "  and logged as acting for that uid" grep -q "account $ACCT: uid 0 acts on the session of uid $U2" "$T/daemon.log"
out=$("$TESSERA" --socket "$SOCK" token "$ACCT" --user "$TEST_USER2")
check "root: tessera token --user $TEST_USER2 is $TEST_USER2's token" same "$tok2" "$out"
r=$(api GET "/v1/accounts/$ACCT/token?uid=$UO")
expect_eq "root: token?uid=<not in users=> is 403" 403 "$(code_of "$r")"
r=$(api GET "/v1/accounts/$ACCT/token?uid=alice")
expect_eq "root: a non-numeric uid is 400" 400 "$(code_of "$r")"

log "audit lines"
check "token hand-out: os_user, sub and session_uid of $TEST_USER" \
        grep -q "audit: token account=$ACCT pid=[0-9]* uid=$U1 .*os_user=$TEST_USER sub=alice session_uid=$U1 token_hash=" "$T/daemon.log"
check "token hand-out: os_user, sub and session_uid of $TEST_USER2" \
        grep -q "audit: token account=$ACCT pid=[0-9]* uid=$U2 .*os_user=$TEST_USER2 sub=bob session_uid=$U2 token_hash=" "$T/daemon.log"
check "gateway call: os_user, sub and session_uid of $TEST_USER" \
        grep -q "audit: api account=$ACCT pid=[0-9]* uid=$U1 .*os_user=$TEST_USER sub=alice session_uid=$U1 method=GET path=/v2/userinfo status=200" "$T/daemon.log"
check "gateway call: os_user, sub and session_uid of $TEST_USER2" \
        grep -q "audit: api account=$ACCT pid=[0-9]* uid=$U2 .*os_user=$TEST_USER2 sub=bob session_uid=$U2 method=GET path=/v2/tenants/t-999/ping status=200" "$T/daemon.log"
check "shared account audit lines have no session_uid" bash -c "grep 'audit: token account=default ' '$T/daemon.log' | grep -q . && ! grep 'audit: token account=default ' '$T/daemon.log' | grep -q session_uid"

log "429: one pause for every session of the account"
curl -s -X POST -H 'Content-Type: application/json' -d '{"limit":2,"window":3}' "$API_BASE/_test/ratelimit" >/dev/null
ping_as() { runuser -u "$1" -- curl -s --unix-socket "$SOCK" "${@:2}" "http://t/v1/accounts/$ACCT/tenant/ping"; }
expect_eq "$TEST_USER: first call passes" 200 "$(ping_as "$TEST_USER" -o /dev/null -w '%{http_code}')"
expect_eq "$TEST_USER: second call passes" 200 "$(ping_as "$TEST_USER" -o /dev/null -w '%{http_code}')"
hdr=$(ping_as "$TEST_USER" -D - -o /dev/null)
check "$TEST_USER: third call gets the API's 429 with Retry-After" bash -c "grep -q '^HTTP/1.1 429' <<<'$hdr' && grep -qi '^retry-after: [0-9]' <<<'$hdr'"
c1=$(route_count ping)
hdr=$(ping_as "$TEST_USER2" -D - -o /dev/null)
check "$TEST_USER2's call during the pause: 429 at once" grep -q '^HTTP/1.1 429' <<<"$hdr"
expect_eq "  without reaching the API" "$c1" "$(route_count ping)"
start=$(date +%s%N)
code=$(ping_as "$TEST_USER2" -o /dev/null -w '%{http_code}' -H 'Tessera-Wait: 10')
ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_eq "$TEST_USER2 waiting it out (Tessera-Wait): 200" 200 "$code"
check "  after the pause ($ms ms)" test "$ms" -ge 500
expect_eq "  the API saw exactly that one call" $((c1 + 1)) "$(route_count ping)"
curl -s -X POST -H 'Content-Type: application/json' -d '{"limit":0}' "$API_BASE/_test/ratelimit" >/dev/null

log "kill -9 and restart: both sessions come back"
h1=$(last_hash "$U1")
h2=$(last_hash "$U2")
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
DAEMON_PID=
start_daemon_run_systemd "$LOGIND"
check "$TEST_USER gets the same token" same "$tok1" "$(token_as "$TEST_USER" "$ACCT")"
check "$TEST_USER2 gets the same token" same "$tok2" "$(token_as "$TEST_USER2" "$ACCT")"
expect_eq "  audit token_hash of $TEST_USER's session unchanged" "$h1" "$(last_hash "$U1")"
expect_eq "  audit token_hash of $TEST_USER2's session unchanged" "$h2" "$(last_hash "$U2")"
expect_eq "  both still active at the provider" "true true" "$(introspect_active "$tok1") $(introspect_active "$tok2")"
expect_eq "  status after the restart (admin)" "$U2:$TEST_USER2:valid $U1:$TEST_USER:valid" "$(entries "$(status_as "$TEST_USER3")")"

log "the admin who is not root logs out $TEST_USER2's session"
read -r code body <<<"$(api_as "$TEST_USER3" POST "/v1/accounts/$ACCT/logout?uid=$U2" '{}')"
expect_eq "admin logout ?uid=$U2: 200, revoked" "200 true" "$code $(jq -r .revoked <<<"$body")"
check "  the answer carries no token" bash -c "! grep -qF -- '$tok2' <<<'$body'"
check "  $TEST_USER2's token is dead at the provider" wait_until 10 inactive "$tok2"
check "  its store file is gone" gone "$F2"
r=$(api_as "$TEST_USER2" GET "/v1/accounts/$ACCT/token")
expect_eq "  $TEST_USER2 now: 401 login_required" "401 login_required" "$(code_of "$r") $(err_of "$r")"
check "  $TEST_USER untouched" same "$tok1" "$(token_as "$TEST_USER" "$ACCT")"
expect_eq "  $TEST_USER's token still active" true "$(introspect_active "$tok1")"
expect_eq "$TEST_USER2 logs in again (device flow) as bob" "done" "$(login_device_as "$TEST_USER2" "$ACCT" bob bob-pw)"
tok2=$(token_as "$TEST_USER2" "$ACCT")
ALL_TOKENS+=("$tok2")
expect_eq "  a new token of bob's" "true bob" "$(introspect_active "$tok2") $(introspect_field "$tok2" sub)"

log "logind: $TEST_USER's desktop session ends (real sd-login reading test-made state)"
logind_user "$LOGIND" "$U1" offline
check "$TEST_USER's token is revoked at the provider within seconds" wait_until 10 inactive "$tok1"
check "  its store file is gone" wait_until 5 gone "$F1"
check "  the log says why" grep -q "account $ACCT@$U1: uid $U1 has no desktop session left" "$T/daemon.log"
r=$(api_as "$TEST_USER" GET "/v1/accounts/$ACCT/token")
expect_eq "  $TEST_USER: 401 login_required" "401 login_required" "$(code_of "$r") $(err_of "$r")"
check "$TEST_USER2's session untouched" same "$tok2" "$(token_as "$TEST_USER2" "$ACCT")"
expect_eq "  and active at the provider" true "$(introspect_active "$tok2")"
check "  its store file still there" test -s "$F2"
expect_eq "status (admin): only $TEST_USER2's session" "$U2:$TEST_USER2:valid" "$(entries "$(status_as "$TEST_USER3")")"

log "a session logged in without a desktop session is not bound to one"
logind_user "$LOGIND" "$U1" -
runuser -u "$TEST_USER" -- env TESSERA_SOCKET="$SOCK" "$TESSERA" login "$ACCT" --no-browser >"$T/cli1.out" 2>&1 &
cli=$!
for _ in $(seq 1 100); do grep -q 'http://' "$T/cli1.out" && break; sleep 0.05; done
url=$(grep -m1 -o 'http://[^ ]*' "$T/cli1.out" || true)
"$IDP_DIR/ua-code-login.sh" "$url" alice alice-pw approve >/dev/null || true
wait "$cli" && rc=0 || rc=$?
expect_eq "tessera login as $TEST_USER (no desktop session): exit 0" 0 "$rc"
tok1=$(token_as "$TEST_USER" "$ACCT")
ALL_TOKENS+=("$tok1")
check "  a token" is_token "$tok1"
logind_user "$LOGIND" "$U1" active
sleep 1
logind_user "$LOGIND" "$U1" closing
sleep 1
logind_user "$LOGIND" "$U1" -
sleep 3
check "after $TEST_USER's desktop session came and went: still served" same "$tok1" "$(token_as "$TEST_USER" "$ACCT")"
expect_eq "  and active at the provider" true "$(introspect_active "$tok1")"
check "  its store file still there" test -s "$F1"

log "start-up: a bound session whose user logged out while tesserad was stopped ends"
stop_daemon && rc=0 || rc=$?
expect_eq "SIGTERM: clean exit" 0 "$rc"
logind_user "$LOGIND" "$U2" offline
start_daemon_run_systemd "$LOGIND"
check "$TEST_USER2's bound session is revoked at the provider" wait_until 10 inactive "$tok2"
check "  its store file is gone" wait_until 5 gone "$F2"
r=$(api_as "$TEST_USER2" GET "/v1/accounts/$ACCT/token")
expect_eq "  $TEST_USER2: 401 login_required" "401 login_required" "$(code_of "$r") $(err_of "$r")"
check "$TEST_USER's unbound session (user offline too) stays" same "$tok1" "$(token_as "$TEST_USER" "$ACCT")"
expect_eq "  and active at the provider" true "$(introspect_active "$tok1")"

log "a damaged store file affects its user only"
logind_user "$LOGIND" "$U2" active
expect_eq "$TEST_USER2 logs in again (device flow), bound" "done" "$(login_device_as "$TEST_USER2" "$ACCT" bob bob-pw)"
tok2=$(token_as "$TEST_USER2" "$ACCT")
ALL_TOKENS+=("$tok2")
check "  a token" is_token "$tok2"
stop_daemon
off=$(( $(stat -c %s "$F1") / 2 ))
b=$(od -An -tu1 -j "$off" -N1 "$F1" | tr -d ' ')
# shellcheck disable=SC2059
printf "$(printf '\\%03o' $((b ^ 1)))" | dd of="$F1" bs=1 seek="$off" conv=notrunc status=none
start_daemon_run_systemd "$LOGIND"
r=$(api_as "$TEST_USER" GET "/v1/accounts/$ACCT/token")
expect_eq "$TEST_USER (damaged file): 401 login_required" "401 login_required" "$(code_of "$r") $(err_of "$r")"
st=$(status_as "$TEST_USER")
expect_eq "  status: $TEST_USER's own entry, logged out" "$U1:$TEST_USER:logged_out" "$(entries "$st")"
check "  with the stored-session error" bash -c "jq -r '.accounts[]|select(.name==\"$ACCT\").last_error' <<<'$st' | grep -qi 'stored session'"
check "  the daemon log names the damaged session" grep -q "account $ACCT@$U1: stored session is damaged" "$T/daemon.log"
check "$TEST_USER2 still gets their token" same "$tok2" "$(token_as "$TEST_USER2" "$ACCT")"
expect_eq "  status: $TEST_USER2 valid" "$U2:$TEST_USER2:valid" "$(entries "$(status_as "$TEST_USER2")")"

log "no logind (no /run/systemd/seats/): said once, per-user sessions stay"
stop_daemon
mkdir -p "$T/no-logind"
before=$(grep -c 'logind is not running' "$T/daemon.log" || true)
start_daemon_run_systemd "$T/no-logind"
kill -HUP "$DAEMON_PID"
sleep 1
check "daemon alive after reload" kill -0 "$DAEMON_PID"
expect_eq "'logind is not running' said once (start and reload)" 1 \
        "$(($(grep -c 'logind is not running' "$T/daemon.log" || true) - before))"
check "  in those words" grep -q "logind is not running: per-user sessions will not end" "$T/daemon.log"
check "$TEST_USER2's bound session stays and is served" same "$tok2" "$(token_as "$TEST_USER2" "$ACCT")"
expect_eq "  active at the provider" true "$(introspect_active "$tok2")"
check "  its store file still there" test -s "$F2"

log "the shared account is unaffected"
check "shared account: same token for its user" same "$tokd" "$(token_as "$TEST_USER" default)"
expect_eq "  active at the provider" true "$(introspect_active "$tokd")"

log "secrets"
leaks=0
for t in "${ALL_TOKENS[@]}"; do
        is_token "$t" || continue
        grep -qF -- "$t" "$T/daemon.log" && leaks=$((leaks + 1))
        grep -rqF -- "$t" "$STATE" && leaks=$((leaks + 1))
done
expect_eq "no token in the daemon log or the state directory (${#ALL_TOKENS[@]} looked for)" 0 "$leaks"
check "daemon still running" kill -0 "$DAEMON_PID"
stop_daemon && rc=0 || rc=$?
expect_eq "SIGTERM: a clean exit (under ASan: no leaks)" 0 "$rc"
finish
