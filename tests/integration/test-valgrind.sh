#!/bin/bash
# SPDX-License-Identifier: MIT
# tesserad under valgrind memcheck through a whole working life against the
# real test provider: code and device logins, token hand-outs over the
# socket and through the CLI, forced, shared and background refreshes, a
# failed refresh and its recovery, gateway calls (with a 401 and its
# retry), error answers, SIGHUP reloads (valid and invalid), logouts, and a
# SIGTERM while a login is still pending. Any memcheck error, or any block
# definitely or indirectly lost at exit, fails the test.
#
# Must run against a build without sanitizers (ASan and valgrind do not mix).
# VALGRIND may name the valgrind binary; VALGRIND_LOG_COPY a file that
# receives a copy of valgrind's log (default <builddir>/valgrind-tesserad.log
# when run by meson, which sets BUILD_ROOT).
. "$(dirname "$0")/lib.sh"
require_test_users

VALGRIND=${VALGRIND:-valgrind}
VALGRIND_LOG_COPY=${VALGRIND_LOG_COPY:-${BUILD_ROOT:+$BUILD_ROOT/valgrind-tesserad.log}}
SUPP="$TESSERA_SOURCE_ROOT/tests/integration/valgrind.supp"
VG_LOG="$T/valgrind.log"
VG_EXIT=99
# Under memcheck the daemon runs 20-50 times slower than natively.
export UA_TIMEOUT=120
MAXT=90

if ! command -v "$VALGRIND" >/dev/null; then
        fail "valgrind ($VALGRIND) is not installed"
        finish
fi
if grep -qa __asan_init "$TESSERAD"; then
        fail "$TESSERAD is built with AddressSanitizer: run this test from a build without sanitizers"
        finish
fi

stat_of() { curl -sS --max-time 10 "$API_BASE/_test/stats" | jq -r ".$1 // 0"; }
fail_next() { curl -sS --max-time 10 -X POST -H 'Content-Type: application/json' -d "$1" "$API_BASE/_test/fail" >/dev/null; }
sock() { curl -sS --max-time "$MAXT" --unix-socket "$SOCK" "$@"; }
token_json() { sock "http://t/v1/accounts/${2:-default}/token?min_valid=${1:-10}"; }
token_value() { token_json "$@" | jq -r .access_token; }
state_of() { sock http://t/v1/status | jq -r ".accounts[]|select(.name==\"$1\").state"; }
accounts_listed() { sock http://t/v1/status | jq -r '[.accounts[].name]|sort|join(" ")'; }
# Never print a token: compare them through their hashes.
tokhash() { printf '%s' "$1" | sha256sum | cut -c1-12; }

start_daemon_valgrind() {
        "$VALGRIND" --tool=memcheck --error-exitcode=$VG_EXIT \
                --leak-check=full --show-leak-kinds=definite,indirect,possible \
                --errors-for-leak-kinds=definite,indirect \
                --track-origins=yes --num-callers=40 \
                --suppressions="$SUPP" --gen-suppressions=all \
                --log-file="$VG_LOG" \
                "$TESSERAD" --config "$CONF" >>"$T/daemon.log" 2>&1 &
        DAEMON_PID=$!
        # lib.sh's start_daemon waits 10 s; the daemon under memcheck
        # needs a few seconds before it answers at all.
        local deadline=$(($(date +%s) + 180))
        while [ "$(date +%s)" -lt "$deadline" ]; do
                curl -s -o /dev/null --max-time 20 --unix-socket "$SOCK" http://t/v1/status && return 0
                kill -0 "$DAEMON_PID" 2>/dev/null || { echo "tesserad exited early under valgrind" >&2; return 1; }
                sleep 0.5
        done
        echo "tesserad under valgrind did not answer within 180 s" >&2
        return 1
}

# wait_for SECONDS COMMAND...: like lib.sh's wait_until, at a gentler pace.
wait_for() {
        local deadline=$(($(date +%s) + $1))
        shift
        until "$@" >/dev/null 2>&1; do
                [ "$(date +%s)" -lt "$deadline" ] || return 1
                sleep 0.5
        done
}

login_done() { # ACCOUNT: waits (long) for the login's end, prints the state
        curl -sS --max-time 150 --unix-socket "$SOCK" "http://t/v1/accounts/$1/login?wait=120" | jq -r .state
}

code_login() { # ACCOUNT USER PASSWORD
        login_code "$1" "$2" "$3" approve >/dev/null && [ "$(login_done "$1")" = "done" ]
}

# write_vg_config [reloaded]: the accounts of the run; "reloaded" adds an
# account, drops "narrow" and changes "post", as an admin editing it would.
write_vg_config() {
        local post_scope="openid offline_access giponext.patients" extra='' narrow=''
        if [ "${1:-}" = reloaded ]; then
                post_scope="openid offline_access giponext.patients giponext.agenda"
                extra="
[account extra]
issuer = $ISSUER
client_id = tessera-basic
client_secret_file = $T/etc/basic.secret
userinfo_url = $API_BASE/v2/userinfo
api_base = $API_BASE
users = $TEST_USER"
        else
                narrow="
[account narrow]
issuer = $ISSUER
client_id = tessera-basic
client_secret_file = $T/etc/basic.secret
userinfo_url = $API_BASE/v2/userinfo
api_base = $API_BASE
allowed_tenants = t-555"
        fi
        client_secret tessera-basic > "$T/etc/basic.secret"
        client_secret tessera-post > "$T/etc/post.secret"
        chmod 0600 "$T/etc/basic.secret" "$T/etc/post.secret"
        cat > "$CONF" <<CONF
[daemon]
state_dir = $STATE
socket = $SOCK
socket_mode = 0666
admins = root
log_level = debug

[account default]
issuer = $ISSUER
client_id = tessera-basic
client_secret_file = $T/etc/basic.secret
scope = openid offline_access giponext.patients giponext.agenda
userinfo_url = $API_BASE/v2/userinfo
api_base = $API_BASE
users = $TEST_USER
refresh_margin = 4

[account post]
issuer = $ISSUER
client_id = tessera-post
client_secret_file = $T/etc/post.secret
client_auth = post
scope = $post_scope
userinfo_url = $API_BASE/v2/userinfo
api_base = $API_BASE
$narrow
$extra
$(fault_account tls "$FAULT_HTTPS")
CONF
}

# vg_figure LABEL: "BYTES BLOCKS" of one LEAK SUMMARY line ("0 0" when
# valgrind printed none, e.g. after "All heap blocks were freed").
vg_figure() {
        local line
        line=$(grep -E "^==[0-9]+== +$1: " "$VG_LOG" | tail -n 1)
        if [ -z "$line" ]; then
                echo "0 0"
                return
        fi
        sed -E 's/.*: ([0-9,]+) bytes in ([0-9,]+) blocks.*/\1 \2/; s/,//g' <<<"$line"
}

# check_valgrind_log VALGRIND_EXIT_STATUS: the verdict on the run.
check_valgrind_log() {
        local rc=$1 summary errors definite indirect possible reachable
        summary=$(grep -E '^==[0-9]+== ERROR SUMMARY: ' "$VG_LOG" | tail -n 1 || true)
        check "valgrind wrote its final ERROR SUMMARY" test -n "$summary"
        errors=$(sed -nE 's/.*ERROR SUMMARY: ([0-9,]+) errors? from.*/\1/p' <<<"$summary" | tr -d ,)
        definite=$(vg_figure "definitely lost")
        indirect=$(vg_figure "indirectly lost")
        possible=$(vg_figure "possibly lost")
        reachable=$(vg_figure "still reachable")
        echo "# valgrind: ${summary#*== }"
        echo "# valgrind: definitely lost ${definite% *} bytes in ${definite#* } blocks," \
                "indirectly lost ${indirect% *} bytes in ${indirect#* } blocks," \
                "possibly lost ${possible% *} bytes in ${possible#* } blocks," \
                "still reachable ${reachable% *} bytes in ${reachable#* } blocks"
        expect_eq "memcheck errors (incl. definite/indirect leaks)" 0 "${errors:-missing}"
        expect_eq "definitely lost bytes" 0 "${definite% *}"
        expect_eq "indirectly lost bytes" 0 "${indirect% *}"
        check "valgrind exit status is not its error status $VG_EXIT (got $rc)" test "$rc" -ne $VG_EXIT
        expect_eq "tesserad exit status after SIGTERM" 0 "$rc"
}

log "the provider (20 s access tokens) and tesserad under memcheck"
start_idp TESSERA_IDP_AT_TTL=20 TESSERA_IDP_DEVICE_INTERVAL=1
# An https issuer whose certificate nobody trusts: a TLS handshake that
# fails inside libcurl and OpenSSL.
start_fault_idp
write_vg_config
t0=$(date +%s)
if start_daemon_valgrind; then
        pass "tesserad answers under valgrind"
else
        fail "tesserad answers under valgrind"
        cat "$VG_LOG" 2>/dev/null || true
        finish || exit 1
fi
echo "# ready after $(($(date +%s) - t0)) s"

log "code login"
check "code login of default (alice)" code_login default alice alice-pw
expect_eq "state valid" valid "$(state_of default)"

log "tokens for clients"
tok=$(token_value)
expect_eq "curl over the socket: the token is active" true "$(introspect_active "$tok")"
cli=$(as_user "$TEST_USER" "$TESSERA" token default 2>"$T/cli.err" || true)
expect_eq "tessera token (as $TEST_USER): the same token" "$(tokhash "$tok")" "$(tokhash "$cli")"
expect_eq "tessera status exits 0" 0 "$(rc_of as_user "$TEST_USER" "$TESSERA" status default)"
code=$(as_user "$TEST_USER2" curl -s -o /dev/null -w '%{http_code}' --max-time "$MAXT" --unix-socket "$SOCK" http://t/v1/accounts/default/token)
expect_eq "a uid not in users= gets 403" 403 "$code"
expect_eq "no such account: 404" 404 "$(sock -o /dev/null -w '%{http_code}' http://t/v1/accounts/nope/token)"
expect_eq "bad JSON to login: 400" 400 "$(sock -o /dev/null -w '%{http_code}' -X POST --data-binary '{"flow":' http://t/v1/accounts/post/login)"
out=$(sock http://t/v1/status)
expect_eq "/v1/status: default's tenant" t-100 "$(jq -r '.accounts[]|select(.name=="default").tenant_id' <<<"$out")"

log "gateway calls to the API emulator"
expect_eq "api/v2/userinfo" "Alice Rossi" "$(sock http://t/v1/accounts/default/api/v2/userinfo | jq -r .name)"
expect_eq "api/v2/tenants/t-100/patients?limit=3" 3 "$(sock 'http://t/v1/accounts/default/api/v2/tenants/t-100/patients?limit=3' | jq -r '.items|length')"
out=$(sock -X POST -H 'Content-Type: application/json' --data-binary '{"x":[1,2,3]}' http://t/v1/accounts/default/tenant/echo?a=1)
expect_eq "POST with a body through tenant/" 'POST {"x":[1,2,3]}' "$(jq -r '.method + " " + .body' <<<"$out")"
expect_eq "dot segments refused" 400 "$(sock -o /dev/null -w '%{http_code}' --path-as-is http://t/v1/accounts/default/api/../token)"

log "forced refreshes"
prev=$tok
for i in 1 2 3; do
        n0=$(stat_of refresh_grants)
        # Expiry has one-second resolution: after 2.1 s fewer than 19 s
        # are left for sure, and the background refresh is 14 s away.
        sleep 2.1
        new=$(token_value 19)
        check "refresh $i: a new token" test "$(tokhash "$new")" != "$(tokhash "$prev")"
        check "refresh $i: one more refresh grant at the provider" test "$(stat_of refresh_grants)" -gt "$n0"
        prev=$new
done

log "one refresh for concurrent callers"
sleep 2.1
n0=$(stat_of refresh_grants)
pids=()
for i in $(seq 1 6); do
        token_json 19 >"$T/c$i.json" &
        pids+=($!)
done
wait "${pids[@]}"
expect_eq "6 callers, one new token" 1 "$(jq -r .access_token "$T"/c*.json | sort -u | wc -l)"
# A background refresh may fall into the same moment: at most one more.
check "at most two refresh grants for 6 callers" test "$(stat_of refresh_grants)" -le $((n0 + 2))
rm -f "$T"/c*.json

log "401 from the API: refresh and retry"
tok=$(token_value)
curl -sS --max-time 10 -H 'Content-Type: application/json' -d "{\"token\":\"$tok\"}" "$API_BASE/_test/revoke_access_token" >/dev/null
n0=$(stat_of refresh_grants)
expect_eq "the gateway call succeeds after a refresh" 200 "$(sock -o /dev/null -w '%{http_code}' http://t/v1/accounts/default/tenant/ping)"
check "a refresh happened" test "$(stat_of refresh_grants)" -gt "$n0"

log "a failed refresh (IdP 503), then recovery"
sleep 2.1
fail_next '{"mode":"token_5xx","count":1}'
check "the unexpired token is still served" test "$(token_value 19)" != null
# shellcheck disable=SC2016 # expanded by the inner shell
check "recovers to valid" wait_for 60 bash -c '[ "$(curl -s --max-time 30 --unix-socket "$SOCK" http://t/v1/status | jq -r ".accounts[]|select(.name==\"default\").state")" = valid ]'

log "a background refresh without callers"
n0=$(stat_of refresh_grants)
check "the daemon refreshed on its own" wait_for 40 bash -c "[ \"\$(curl -s --max-time 10 '$API_BASE/_test/stats' | jq -r .refresh_grants)\" -gt $n0 ]"

log "device login of post (bob)"
read -r code body <<<"$(api POST /v1/accounts/post/login '{"flow":"device"}')"
expect_eq "device login start: 202" 202 "$code"
out=$("$IDP_DIR/ua-device-approve.sh" "$ISSUER" "$(jq -r .user_code <<<"$body")" bob bob-pw approve)
expect_eq "approved at the provider" approved "$out"
expect_eq "device login done" "done" "$(login_done post)"
check "post serves a token" test "$(token_value 10 post)" != null

log "an https issuer with an untrusted certificate"
read -r code body <<<"$(api POST /v1/accounts/tls/login '{"flow":"code"}')"
expect_eq "login refused: 503 idp_unavailable" "503 idp_unavailable" "$code $(jq -r .error <<<"$body")"
check "the message names TLS" grep -qi tls <<<"$(jq -r .message <<<"$body")"

log "a login that fails (tenant not allowed)"
login_code narrow alice alice-pw approve >/dev/null || true
expect_eq "narrow: login failed" failed "$(login_done narrow)"

log "SIGHUP reload"
write_vg_config reloaded
kill -HUP "$DAEMON_PID"
check "the reload adds extra and drops narrow" wait_for 60 bash -c "[ \"\$(curl -s --max-time 30 --unix-socket '$SOCK' http://t/v1/status | jq -r '[.accounts[].name]|sort|join(\" \")')\" = 'default extra post tls' ]"
expect_eq "default stays valid" valid "$(state_of default)"
expect_eq "the changed account post reloads its session" valid "$(state_of post)"
expect_eq "the new account extra is logged out" logged_out "$(state_of extra)"
echo "[account broken" >> "$CONF"
kill -HUP "$DAEMON_PID"
check "an invalid configuration is logged" wait_for 60 grep -q "keeping the running one" "$T/daemon.log"
expect_eq "and the running one kept" "default extra post tls" "$(accounts_listed)"
check "daemon still running" kill -0 "$DAEMON_PID"

log "logouts"
read -r code body <<<"$(api POST /v1/accounts/default/logout '{}')"
expect_eq "logout default: revoked at the provider" "200 true" "$code $(jq -r .revoked <<<"$body")"
read -r code body <<<"$(api POST /v1/accounts/post/logout '{}')"
expect_eq "logout post" 200 "$code"
expect_eq "token after logout: 401" 401 "$(sock -o /dev/null -w '%{http_code}' http://t/v1/accounts/default/token)"

log "SIGTERM with a login still pending"
read -r code body <<<"$(api POST /v1/accounts/default/login '{"flow":"code"}')"
expect_eq "code login started" 202 "$code"
kill -TERM "$DAEMON_PID"
rc=0
# wait(1) cannot time out: poll, and give up after 120 s.
for _ in $(seq 1 240); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.5; done
if kill -0 "$DAEMON_PID" 2>/dev/null; then
        fail "tesserad did not stop within 120 s of SIGTERM"
        kill -KILL "$DAEMON_PID" 2>/dev/null || true
fi
wait "$DAEMON_PID" || rc=$?
DAEMON_PID=
echo "# total $(($(date +%s) - t0)) s under valgrind"

log "the memcheck verdict"
if [ -n "${VALGRIND_LOG_COPY:-}" ]; then
        cp "$VG_LOG" "$VALGRIND_LOG_COPY" 2>/dev/null || true
fi
check_valgrind_log "$rc"
if [ "$FAILED" -ne 0 ]; then
        echo "--- valgrind log (first 400 lines) ---"
        head -n 400 "$VG_LOG"
        echo "--- end of the valgrind log ---"
fi
finish
