#!/bin/bash
# SPDX-License-Identifier: MIT
# The authenticating API gateway: apps call GipoNext through the socket and
# never hold a token. Real daemon, real provider, the API emulator.
. "$(dirname "$0")/lib.sh"
require_test_users

stat_of() { curl -s "$API_BASE/_test/stats" | jq -r ".$1 // 0"; }
route_count() { curl -s "$API_BASE/_test/stats" | jq -r ".api_by_route.$1 // 0"; }
gw() { curl -sS --unix-socket "$SOCK" "$@"; }

start_idp TESSERA_IDP_AT_TTL=60
DEFAULT_EXTRA="api_max_concurrent = 2" write_idp_config
start_daemon
login_code default alice alice-pw approve >/dev/null
check "logged in" bash -c "[ \"\$(curl -s --unix-socket '$SOCK' 'http://t/v1/accounts/default/login?wait=20' | jq -r .state)\" = done ]"

log "forwarding: paths, methods, bodies"
out=$(gw http://tessera/v1/accounts/default/tenant/patients?limit=3)
expect_eq "tenant/ shortcut reaches the tenant's patients" "3 true" "$(jq -r '(.items|length|tostring) + " " + (.hasMore|tostring)' <<<"$out")"
out=$(gw "http://tessera/v1/accounts/default/api/v2/tenants/t-100/patients?offset=135&limit=5")
expect_eq "api/ with the query string kept" "2 false" "$(jq -r '(.items|length|tostring) + " " + (.hasMore|tostring)' <<<"$out")"
out=$(gw http://t/v1/accounts/default/api/v2/userinfo)
expect_eq "api/v2/userinfo" "Alice Rossi" "$(jq -r .name <<<"$out")"
for m in POST PUT PATCH DELETE; do
        out=$(gw -X "$m" -H 'Content-Type: application/json' --data-binary "{\"m\":\"$m\",\"x\":[1,2,3]}" http://t/v1/accounts/default/tenant/echo/sub?a=1)
        expect_eq "$m: method, body and content type arrive" "$m {\"m\":\"$m\",\"x\":[1,2,3]} application/json" \
                "$(jq -r '.method + " " + .body + " " + .content_type' <<<"$out")"
done
out=$(gw -H 'Authorization: Bearer evil-token-from-the-app' -H 'Connection: keep-alive, X-Secret' -H 'X-Secret: 1' -H 'Cookie: a=b' http://t/v1/accounts/default/tenant/echo)
expect_eq "the caller's Authorization is replaced by the account's token" valid "$(jq -r .authorization <<<"$out")"
check "hop-by-hop, cookies and unknown headers are not forwarded" bash -c "! jq -r '.header_names[]' <<<'$out' | grep -Eqx 'connection|x-secret|cookie|keep-alive'"
expect_eq "Accept: application/json is added" application/json "$(jq -r .accept <<<"$out")"
code=$(gw -o /dev/null -w '%{http_code}' --path-as-is http://t/v1/accounts/default/api/../token)
expect_eq "dot segments refused" 400 "$code"
code=$(gw -o /dev/null -w '%{http_code}' http://t/v1/accounts/default/api/v2/%2e%2e/x)
expect_eq "encoded dot segments refused" 400 "$code"
code=$(as_user "$TEST_USER2" curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" http://t/v1/accounts/default/tenant/ping)
expect_eq "a uid not in users= gets 403" 403 "$code"
code=$(as_user "$TEST_USER" curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" http://t/v1/accounts/default/tenant/ping)
expect_eq "a uid in users= gets through" 200 "$code"

log "403 and 5xx pass through, no refresh"
n0=$(stat_of refresh_grants)
read -r code <<<"$(gw -o "$T/403.json" -w '%{http_code}' http://t/v1/accounts/default/tenant/invoices)"
expect_eq "missing scope: the API's 403 passes through" 403 "$code"
expect_eq "with the API's own body" insufficient_scope "$(jq -r .error "$T/403.json")"
curl -s -X POST -H 'Content-Type: application/json' -d '{"mode":"api_5xx","count":1}' "$API_BASE/_test/fail" >/dev/null
expect_eq "a 5xx passes through" 503 "$(gw -o /dev/null -w '%{http_code}' http://t/v1/accounts/default/tenant/ping)"
expect_eq "no refresh for 403 or 5xx" "$n0" "$(stat_of refresh_grants)"

log "401 from the API: one refresh, one retry"
tok=$(gw http://t/v1/accounts/default/token | jq -r .access_token)
# Only this access token dies (the grant lives on): the API now says 401
# for a token the daemon still thinks is good.
curl -s -H 'Content-Type: application/json' -d "{\"token\":\"$tok\"}" "$API_BASE/_test/revoke_access_token" >/dev/null
expect_eq "the provider no longer accepts the token" false "$(introspect_active "$tok")"
n0=$(stat_of refresh_grants)
c0=$(route_count ping)
expect_eq "the call succeeds after a refresh" 200 "$(gw -o /dev/null -w '%{http_code}' http://t/v1/accounts/default/tenant/ping)"
expect_eq "exactly one refresh" $((n0 + 1)) "$(stat_of refresh_grants)"
expect_eq "exactly one retry" $((c0 + 2)) "$(route_count ping)"
# The same while the provider fails every refresh: an outage (503), not a
# reason to log in again.
tok=$(gw http://t/v1/accounts/default/token | jq -r .access_token)
curl -s -H 'Content-Type: application/json' -d "{\"token\":\"$tok\"}" "$API_BASE/_test/revoke_access_token" >/dev/null
curl -s -H 'Content-Type: application/json' -d '{"mode":"token_5xx","count":1000}' "$API_BASE/_test/fail" >/dev/null
read -r code body <<<"$(api GET /v1/accounts/default/tenant/ping)"
expect_eq "401 while the provider fails: 503 idp_unavailable" "503 idp_unavailable" "$code $(jq -r .error <<<"$body")"
expect_eq "... and the account is degraded" degraded \
        "$(api GET /v1/status | cut -d' ' -f2- | jq -r '.accounts[]|select(.name=="default").state')"
curl -s -H 'Content-Type: application/json' -d '{"mode":"none"}' "$API_BASE/_test/fail" >/dev/null
ping_ok() { [ "$(gw -o /dev/null -w '%{http_code}' http://t/v1/accounts/default/tenant/ping)" = 200 ]; }
check "once the provider answers again, calls succeed" wait_until 20 ping_ok
sub=alice
curl -s -X POST -H 'Content-Type: application/json' -d "{\"sub\":\"$sub\"}" "$API_BASE/_test/revoke_user" >/dev/null
read -r code body <<<"$(api GET /v1/accounts/default/tenant/ping)"
expect_eq "still 401 after the refresh: login_required" "401 login_required" "$code $(jq -r .error <<<"$body")"
login_code default alice alice-pw approve >/dev/null
login_result default >/dev/null

log "a large response streams with bounded memory"
rss() { awk '/VmRSS/ {print $2}' "/proc/$DAEMON_PID/status"; }
r0=$(rss)
gw -o "$T/large.bin" -w '%{size_download}\n' "http://t/v1/accounts/default/tenant/large?bytes=104857600&delay_ms=0" >"$T/large.size" &
lp=$!
peak=$r0
while kill -0 "$lp" 2>/dev/null; do r=$(rss); [ "$r" -gt "$peak" ] && peak=$r; sleep 0.05; done
wait "$lp"
expect_eq "100 MiB arrived complete" 104857600 "$(cat "$T/large.size")"
expect_eq "and intact" "$(curl -s "$API_BASE/_test/large_sha256?bytes=104857600" | jq -r .sha256)" "$(sha256sum "$T/large.bin" | cut -d' ' -f1)"
check "daemon RSS grew by less than 16 MiB while streaming ($((peak - r0)) KiB)" test $((peak - r0)) -lt 16384
rm -f "$T/large.bin"
out=$(gw -s -D - -o /dev/null "http://t/v1/accounts/default/tenant/large?bytes=1000&chunked=1")
check "a chunked upstream answer streams chunked" grep -qi "transfer-encoding: chunked" <<<"$out"

log "429: one pause for the whole account"
curl -s -X POST -H 'Content-Type: application/json' -d '{"limit":2,"window":3}' "$API_BASE/_test/ratelimit" >/dev/null
c0=$(route_count ping)
expect_eq "first call passes" 200 "$(gw -o /dev/null -w '%{http_code}' http://t/v1/accounts/default/tenant/ping)"
expect_eq "second call passes" 200 "$(gw -o /dev/null -w '%{http_code}' http://t/v1/accounts/default/tenant/ping)"
hdr=$(gw -s -D - -o /dev/null http://t/v1/accounts/default/tenant/ping)
check "third call: the API 429 with Retry-After" bash -c "grep -q '^HTTP/1.1 429' <<<'$hdr' && grep -qi '^retry-after: [0-9]' <<<'$hdr'"
c1=$(route_count ping)
pids=()
for i in 1 2 3; do
        gw -s -D "$T/h$i" -o /dev/null http://t/v1/accounts/default/tenant/ping &
        pids+=($!)
done
wait "${pids[@]}"
check "callers during the pause get 429 at once" bash -c "grep -q '^HTTP/1.1 429' '$T/h1' && grep -q '^HTTP/1.1 429' '$T/h3'"
expect_eq "without calling the API" "$c1" "$(route_count ping)"
# Two apps that wait it out: one probe, then the other.
gw -s -o "$T/w1" -w '%{http_code}' -H 'Tessera-Wait: 10' http://t/v1/accounts/default/tenant/ping >"$T/w1.code" &
p1=$!
gw -s -o "$T/w2" -w '%{http_code}' -H 'Tessera-Wait: 10' http://t/v1/accounts/default/tenant/ping >"$T/w2.code" &
p2=$!
wait $p1 $p2
expect_eq "both waiting callers succeed after the pause" "200 200" "$(cat "$T/w1.code") $(cat "$T/w2.code")"
expect_eq "the API saw exactly one probe, then the other call" $((c1 + 2)) "$(route_count ping)"
curl -s -X POST -H 'Content-Type: application/json' -d '{"limit":0}' "$API_BASE/_test/ratelimit" >/dev/null

log "concurrency cap and queue"
c0=$(route_count slow)
start=$(date +%s%N)
pids=()
for i in 1 2 3 4; do gw -s -o /dev/null http://t/v1/accounts/default/tenant/slow?ms=600 & pids+=($!); done
wait "${pids[@]}"
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
check "4 calls with 2 slots take two rounds (${elapsed} ms)" test "$elapsed" -ge 1150
expect_eq "all 4 reached the API" $((c0 + 4)) "$(route_count slow)"

log "limits"
big=$(head -c 5000000 /dev/zero | tr '\0' 'x')
code=$(printf '%s' "$big" | gw -o /dev/null -w '%{http_code}' -X POST --data-binary @- http://t/v1/accounts/default/tenant/echo)
expect_eq "a body over api_body_max: 413" 413 "$code"
code=$(printf '{"a":"%s"}' "$(head -c 100000 /dev/zero | tr '\0' 'y')" | gw -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data-binary @- http://t/v1/accounts/default/tenant/echo)
expect_eq "a 100 kB body is fine" 200 "$code"

log "secrets"
tok=$(gw http://t/v1/accounts/default/token | jq -r .access_token)
gw -s -D - http://t/v1/accounts/default/tenant/echo > "$T/resp.txt"
check "no token in a response to the caller" bash -c "! grep -qF -- '$tok' '$T/resp.txt'"
check "no token in the log" bash -c "! grep -qF -- '$tok' '$T/daemon.log'"
check "audit lines for API calls" grep -q 'audit: api account=default .*method=GET path=/v2/tenants/t-100/patients status=200' "$T/daemon.log"
check "audit lines never carry query strings" bash -c "! grep 'audit: api' '$T/daemon.log' | grep -q 'limit='"
check "daemon still running" kill -0 "$DAEMON_PID"
stop_daemon && rc=0 || rc=$?
expect_eq "SIGTERM: a clean exit (under ASan: no leaks)" 0 "$rc"
finish
