#!/bin/bash
# SPDX-License-Identifier: MIT
# Faults from the identity provider and the API (issue 7, part 3): every
# endpoint the daemon calls (discovery, token for the code exchange and for
# refreshes, GipoNext userinfo) answers with garbage, HTML, 50 MB, a body
# that never ends, silence, a reset, an untrusted certificate, or a token
# response with missing or absurd fields. Each must give a clear error
# (login result, HTTP error, status last_error) while the account keeps its
# last good session, which is still served until it expires, and recovers
# once the provider behaves again.
#
# The provider is tests/integration/fault-idp.mjs: one instance per account
# (issuer http://127.0.0.1:PORT/i/ACCOUNT), switched between behaviours per
# endpoint. A fault is answered without processing the request, so a faulty
# refresh answer never rotates the refresh token.
. "$(dirname "$0")/lib.sh"
require_test_users

start_fault_idp
trap 'rc=$?; set +e; if [ $rc -ne 0 ] || [ $FAILED -ne 0 ]; then echo "--- fault provider log ---"; tail -n 30 "$T/fault/log"; fi; (exit $rc); cleanup' EXIT

SLOW=(s-dh s-dt s-rh s-rt s-lh s-lt s-uh s-ut)

# write_fault_config [USERINFO_ORIGIN_FOR_f]
write_fault_config() {
        {
                fault_daemon_section debug
                fault_account f "$FAULT_HTTP" "${1:-$FAULT_HTTP}"
                fault_account tlsdisc "$FAULT_HTTPS"
                for a in "${SLOW[@]}"; do fault_account "$a"; done
        } > "$CONF"
}

# Fault modes that every endpoint can produce, and the words of the error
# each must be reported with.
declare -A WHY=(
        [garbage]="malformed, not a JSON object|not a JSON object"
        [html]="an HTML page"
        [big]="too large"
        [big_chunked]="too large"
        [endless]="too large"
        [reset]="connection lost"
        [unauthorized]="invalid_token|unexpected HTTP status"
        [wrong_issuer]="issuer in the document does not match"
        [no_access_token]='"access_token" is missing'
        [neg_expires]='"expires_in" is not an integer'
        [huge_expires]='"expires_in" is not an integer'
        [overflow_expires]='"expires_in" is not an integer'
        [string_expires]='"expires_in" is not an integer'
        [hang]="timed out"
        [trickle]="timed out"
        [tls]="TLS"
)
GENERIC=(garbage html big big_chunked endless reset unauthorized)
TOKEN_ONLY=(no_access_token neg_expires huge_expires overflow_expires string_expires)

state_is() { [ "$(account_field "$1" state)" = "$2" ]; }
export -f state_is

# matches TEXT MODE: TEXT names the fault of MODE.
matches() { grep -Eq -- "${WHY[$2]}" <<<"$1"; }
# The discovery parser does not tell HTML from other non-JSON.
declare -A WHY_DISCOVERY=([html]="HTML|not a JSON object")
matches_discovery() { grep -Eq -- "${WHY_DISCOVERY[$2]:-${WHY[$2]}}" <<<"$1"; }

write_fault_config
start_daemon
cases=0

log "a good login first"
check "login through the fault provider (landing page 200)" test "$(fault_login f)" = 200
res=$(login_wait f 20)
expect_eq "login done" "done Fiona Fault t-700" "$(jq -r '[.state,.user,.tenant_id]|join(" ")' <<<"$res")"
T0=$(token_of f)
check "a token is served" test "$T0" != null
expect_eq "state valid" valid "$(account_field f state)"

log "code exchange faults: the login fails clearly, the session stays"
for mode in "${GENERIC[@]}" "${TOKEN_ONLY[@]}"; do
        cases=$((cases + 1))
        fault_ctl f "{\"token\":\"$mode\"}"
        ua=$(fault_login f)
        res=$(login_wait f 20)
        msg=$(jq -r .message <<<"$res")
        expect_eq "token=$mode: login failed" failed "$(jq -r .state <<<"$res")"
        check "token=$mode: the message says why ($msg)" matches "$msg" "$mode"
        check "token=$mode: the browser gets an error page (got $ua)" test "$ua" -ge 400
        expect_eq "token=$mode: the previous token is still served" "$T0" "$(token_of f)"
        expect_eq "token=$mode: the account is still valid" valid "$(account_field f state)"
done
fault_ctl f '{"token":"ok"}'
check "status last_error tells about the failed login" bash -c "account_field f last_error | grep -q 'login failed'"

log "userinfo faults during login: the login fails, its new tokens are revoked, the session stays"
for mode in "${GENERIC[@]}"; do
        cases=$((cases + 1))
        rev0=$(fault_stat f revocations)
        fault_ctl f "{\"userinfo\":\"$mode\"}"
        fault_login f >/dev/null
        res=$(login_wait f 20)
        msg=$(jq -r .message <<<"$res")
        expect_eq "userinfo=$mode: login failed: userinfo_failed" "failed userinfo_failed" "$(jq -r '.state + " " + .error' <<<"$res")"
        check "userinfo=$mode: the message says why ($msg)" matches "$msg" "$mode"
        check "userinfo=$mode: both new tokens revoked at the provider" \
                wait_until 5 bash -c "[ \$(curl -s '$FAULT_HTTP/_ctl/f' | jq -r '.revocations // 0') -ge $((rev0 + 2)) ]"
        expect_eq "userinfo=$mode: the previous token is still served" "$T0" "$(token_of f)"
done
fault_ctl f '{"userinfo":"ok"}'
expect_eq "after it all the old session was never revoked" true \
        "$(curl -s "$FAULT_HTTP/_ctl/f/issued" | jq --arg t "$T0" '.access_tokens|index($t) != null')"

log "refresh faults: degraded, the last token still served, recovery on its own"
sleep 1         # so that min_valid=3600 asks for a refresh
for mode in "${GENERIC[@]}" "${TOKEN_ONLY[@]}"; do
        cases=$((cases + 1))
        cur=$(token_of f)
        n0=$(fault_stat f refresh_grants)
        fault_ctl f "{\"token\":\"$mode\"}"
        expect_eq "refresh token=$mode: the unexpired token is still served" "$cur" "$(token_of f 3600)"
        expect_eq "refresh token=$mode: state degraded" degraded "$(account_field f state)"
        err=$(account_field f last_error)
        check "refresh token=$mode: last_error says why ($err)" matches "$err" "$mode"
        fault_ctl f '{"token":"ok"}'
        check "refresh token=$mode: recovers without help" wait_until 20 state_is f valid
        check "refresh token=$mode: a new token is served" bash -c "[ \"\$(token_of f)\" != '$cur' ]"
        expect_eq "refresh token=$mode: exactly one successful refresh" $((n0 + 1)) "$(fault_stat f refresh_grants)"
        sleep 1
done
T0=$(token_of f)

log "discovery faults (fresh daemon, no cached document)"
for mode in "${GENERIC[@]}" wrong_issuer; do
        cases=$((cases + 1))
        stop_daemon
        fault_ctl f "{\"discovery\":\"$mode\"}"
        start_daemon
        read -r code body <<<"$(api POST /v1/accounts/f/login '{"flow":"code"}')"
        expect_eq "discovery=$mode: login refused, 503 idp_unavailable" "503 idp_unavailable" "$code $(jq -r .error <<<"$body")"
        msg=$(jq -r .message <<<"$body")
        check "discovery=$mode: the message says why ($msg)" matches_discovery "$msg" "$mode"
        expect_eq "discovery=$mode: state still valid after the failed login" valid "$(account_field f state)"
        sleep 1
        expect_eq "discovery=$mode: refresh fails, the token is still served" "$T0" "$(token_of f 3600)"
        expect_eq "discovery=$mode: state degraded" degraded "$(account_field f state)"
        err=$(account_field f last_error)
        check "discovery=$mode: last_error says why ($err)" matches_discovery "$err" "$mode"
        fault_ctl f '{"discovery":"ok"}'
        check "discovery=$mode: recovers without help" wait_until 20 state_is f valid
        T0=$(token_of f)
done

log "TLS: an https token endpoint with a certificate nobody trusts"
cases=$((cases + 2))
fault_ctl f '{"token_tls":true}'
n_tok=$(fault_stat f token_requests)
stop_daemon
start_daemon
fault_login f >/dev/null
res=$(login_wait f 20)
msg=$(jq -r .message <<<"$res")
expect_eq "token over untrusted TLS: login failed" failed "$(jq -r .state <<<"$res")"
check "token over untrusted TLS: the message says TLS ($msg)" matches "$msg" tls
sleep 1
expect_eq "token over untrusted TLS: refresh fails, the token is still served" "$T0" "$(token_of f 3600)"
expect_eq "token over untrusted TLS: state degraded" degraded "$(account_field f state)"
check "token over untrusted TLS: last_error says TLS" bash -c "account_field f last_error | grep -q TLS"
expect_eq "no request got through the failed handshake" "$n_tok" "$(fault_stat f token_requests)"
fault_ctl f '{"token_tls":false}'
# A discovery document is cached for the daemon's lifetime: a restart
# reads the corrected one.
stop_daemon
start_daemon
check "after the fix and a restart: valid" wait_until 10 state_is f valid

log "TLS: userinfo over https with an untrusted certificate (via reload)"
cases=$((cases + 1))
write_fault_config "$FAULT_HTTPS"
kill -HUP "$DAEMON_PID"
check "reload logged" wait_until 5 grep -q "account f removed or changed" "$T/daemon.log"
expect_eq "the changed account keeps its stored session" "$T0" "$(token_of f)"
fault_login f >/dev/null
res=$(login_wait f 20)
msg=$(jq -r .message <<<"$res")
expect_eq "userinfo over untrusted TLS: login failed: userinfo_failed" "failed userinfo_failed" "$(jq -r '.state + " " + .error' <<<"$res")"
check "userinfo over untrusted TLS: the message says TLS ($msg)" matches "$msg" tls
expect_eq "userinfo over untrusted TLS: the previous token is still served" "$T0" "$(token_of f)"
# That login left f's discovery document cached; a reload forgets it, so
# the next login fetches it again.
d0=$(fault_stat f discovery_requests)
r0=$(grep -c 'configuration reloaded' "$T/daemon.log" || true)
write_fault_config
kill -HUP "$DAEMON_PID"
check "reload logged" wait_until 5 \
        bash -c "[ \$(grep -c 'configuration reloaded' '$T/daemon.log') -gt $r0 ]"
check "a good login after the reload" test "$(fault_login f)" = 200
login_wait f 20 >/dev/null
expect_eq "the reload made the daemon fetch the discovery document again" \
        $((d0 + 1)) "$(fault_stat f discovery_requests)"

log "TLS: an https issuer with an untrusted certificate"
cases=$((cases + 2))
stop_daemon
SEEDED="seeded-at-$(head -c 12 /dev/urandom | base64 | tr '+/' '-_')"
printf '%s\n%s\n' "$SEEDED" "seeded-rt-$RANDOM$RANDOM" |
        "$SEED_SESSION" "$STATE" tlsdisc "$FAULT_HTTPS/i/tlsdisc" 3600 "Seed User" t-1 "Seed"
start_daemon
read -r code body <<<"$(api POST /v1/accounts/tlsdisc/login '{"flow":"code"}')"
expect_eq "https issuer, untrusted: login refused, 503" "503 idp_unavailable" "$code $(jq -r .error <<<"$body")"
check "https issuer, untrusted: the message says TLS" matches "$(jq -r .message <<<"$body")" tls
sleep 1
expect_eq "https issuer, untrusted: refresh fails, the stored token is still served" "$SEEDED" "$(token_of tlsdisc 3600)"
expect_eq "https issuer, untrusted: state degraded" degraded "$(account_field tlsdisc state)"
check "https issuer, untrusted: last_error says TLS" bash -c "account_field tlsdisc last_error | grep -q TLS"
check "the TLS listener never served a discovery document" test "$(fault_stat tlsdisc discovery_requests)" -eq 0

log "silence: hang (accept, never answer) and trickle (a byte a second, never ends)"
for a in "${SLOW[@]}"; do
        check "$a: good login" test "$(fault_login "$a")" = 200
        login_wait "$a" 20 >/dev/null
done
declare -A OLD
for a in "${SLOW[@]}"; do OLD[$a]=$(token_of "$a"); done
stop_daemon
for a in "${SLOW[@]}"; do fault_ctl "$a" '{"reset_stats":true}'; done
fault_ctl s-dh '{"discovery":"hang"}'
fault_ctl s-dt '{"discovery":"trickle"}'
fault_ctl s-rh '{"token":"hang"}'
fault_ctl s-rt '{"token":"trickle"}'
fault_ctl s-lh '{"token":"hang"}'
fault_ctl s-lt '{"token":"trickle"}'
fault_ctl s-uh '{"userinfo":"hang"}'
fault_ctl s-ut '{"userinfo":"trickle"}'
start_daemon
sleep 1
t_start=$(date +%s)
pids=()
for a in s-dh s-dt; do
        api POST "/v1/accounts/$a/login" '{"flow":"code"}' >"$T/slow-$a.login" & pids+=($!)
        token_of "$a" 3600 >"$T/slow-$a.token" & pids+=($!)
done
for a in s-rh s-rt; do token_of "$a" 3600 >"$T/slow-$a.token" & pids+=($!); done
for a in s-lh s-lt s-uh s-ut; do fault_login "$a" >"$T/slow-$a.ua" & pids+=($!); done
sleep 3
cases=$((cases + 8))
worst=0
for i in $(seq 1 20); do
        ms=$(curl -s -o /dev/null -w '%{time_total}' --max-time 5 --unix-socket "$SOCK" "http://t/v1/accounts/f/token" |
                awk '{printf "%d", $1 * 1000}')
        [ "$ms" -gt "$worst" ] && worst=$ms
        sleep 0.2
done
check "while 8 requests hang at the provider, other accounts are served at once (worst ${worst} ms)" test "$worst" -lt 1000
for p in "${pids[@]}"; do wait "$p" || true; done
elapsed=$(($(date +%s) - t_start))
check "every silent request ended by the 30 s timeout (${elapsed} s)" bash -c "[ $elapsed -ge 25 ] && [ $elapsed -le 50 ]"
for a in s-dh s-dt; do
        read -r code body <"$T/slow-$a.login"
        expect_eq "$a: login refused, 503" "503 idp_unavailable" "$code $(jq -r .error <<<"$body")"
        check "$a: the message says timed out" matches "$(jq -r .message <<<"$body")" hang
done
retry_started() { # ACCOUNT COUNTER: the provider saw a second attempt
        [ "$(fault_stat "$1" "$2")" -ge 2 ]
}
export -f retry_started
for a in s-dh s-dt; do
        expect_eq "$a: the unexpired token is still served" "${OLD[$a]}" "$(cat "$T/slow-$a.token")"
        check "$a: the automatic retry started" wait_until 10 retry_started "$a" discovery_requests
        # The first attempt timed out; the automatic retry now hangs
        # again. Status must keep saying degraded (with the warning the
        # CLI prints for it), not "refreshing", for as long as that lasts.
        expect_eq "$a: still degraded while the retry hangs" degraded "$(account_field "$a" state)"
        check "$a: last_error says timed out" bash -c "account_field $a last_error | grep -q 'timed out'"
done
# A refresh request the provider has taken is waited on (up to 5 min, not
# 30 s): with rotation the provider may already have consumed the old
# refresh token, and a second attempt beside the first would replay it.
# Callers are answered meanwhile from the unexpired token.
for a in s-rh s-rt; do
        expect_eq "$a: the unexpired token is still served" "${OLD[$a]}" "$(cat "$T/slow-$a.token")"
        expect_eq "$a: no second attempt while the first is unanswered" 1 "$(fault_stat "$a" token_requests)"
        expect_eq "$a: degraded while the provider does not answer" degraded "$(account_field "$a" state)"
        check "$a: last_error says not answering since" \
                bash -c "account_field $a last_error | grep -q 'not answering since'"
done
for a in s-lh s-lt s-uh s-ut; do
        res=$(login_wait "$a" 20)
        expect_eq "$a: login failed" failed "$(jq -r .state <<<"$res")"
        check "$a: the message says timed out ($(jq -r .message <<<"$res"))" matches "$(jq -r .message <<<"$res")" hang
        expect_eq "$a: the previous token is still served" "${OLD[$a]}" "$(token_of "$a")"
        expect_eq "$a: state valid" valid "$(account_field "$a" state)"
done
for a in "${SLOW[@]}"; do fault_ctl "$a" '{"discovery":"ok","token":"ok","userinfo":"ok"}'; done

log "expires_in 0: a token that is dead on arrival must not cause a refresh storm"
cases=$((cases + 1))
fault_ctl f '{"reported_ttl":0}'
sleep 1
token_of f 3600 >/dev/null
sleep 1
n0=$(fault_stat f token_requests)
sleep 5
n1=$(fault_stat f token_requests)
check "at most 10 token requests in 5 s with expires_in 0 (got $((n1 - n0)))" test $((n1 - n0)) -le 10
fault_ctl f '{"reported_ttl":null}'
check "a token with a real lifetime ends it" wait_until 10 state_is f valid


log "a 10-year expires_in is accepted without overflow"
cases=$((cases + 1))
fault_ctl f '{"at_ttl":315360000}'
sleep 1
t=$(token_of f 3600)
now=$(date +%s)
exp=$(account_field f expires_at)
check "expires_at about 10 years ahead ($exp)" bash -c "[ $exp -ge $((now + 315360000 - 60)) ] && [ $exp -le $((now + 315360000 + 60)) ]"
next=$(account_field f next_refresh_at)
check "next refresh planned in the future, before expiry ($next)" bash -c "[ $next -gt $now ] && [ $next -lt $exp ]"
fault_ctl f '{"at_ttl":3600}'

check "the daemon survived all of it" kill -0 "$DAEMON_PID"
check "no access token of the provider in the daemon log" bash -c "! curl -s '$FAULT_HTTP/_ctl/f/issued' | jq -r '.access_tokens[],.refresh_tokens[],.codes[]' | grep -qFf - '$T/daemon.log'"
echo "# IdP/API fault cases: $cases"
finish
