#!/bin/bash
# SPDX-License-Identifier: MIT
# GET /v1/metrics and `tessera metrics` (issue 14): the Prometheus text
# format that promtool accepts, counters that move as tokens are served and
# refreshed and API calls made (a 429 among them), who may read it, no
# token or secret in it, and the file a real prometheus-node-exporter
# serves through its textfile collector.
. "$(dirname "$0")/lib.sh"
require_test_users
for tool in promtool prometheus-node-exporter; do
        command -v "$tool" >/dev/null || { echo "$tool missing: run tools/install-deps" >&2; exit 1; }
done

M="$T/metrics.txt"
# scrape [USER]: the metrics into $M (as USER), prints the HTTP status.
scrape() {
        local out
        if [ $# -gt 0 ]; then
                # The body comes through this shell: $M is root's.
                out=$(runuser -u "$1" -- curl -sS -w '\n%{http_code}' --unix-socket "$SOCK" http://t/v1/metrics)
                printf '%s\n' "${out%$'\n'*}" >"$M"
                echo "${out##*$'\n'}"
        else
                curl -sS -o "$M" -w '%{http_code}' --unix-socket "$SOCK" http://t/v1/metrics
        fi
}
# value SAMPLE: the value of one sample (name and labels exactly as written) in $M, 0 when absent.
value() { awk -v s="$1" '$1 == s { print $2; found = 1 } END { if (!found) print 0 }' "$M"; }
# gt A B: A > B, as numbers.
gt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 > b + 0) }'; }
gw() { curl -sS -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" "$@"; }

start_idp TESSERA_IDP_AT_TTL=60
write_idp_config
cat >>"$CONF" <<CONF

[account pu]
issuer = $ISSUER
client_id = tessera-basic
client_secret_file = $T/etc/basic.secret
scope = openid offline_access giponext.patients giponext.agenda
userinfo_url = $API_BASE/v2/userinfo
api_base = $API_BASE
sessions = per-user
end_with_logout = no
users = $TEST_USER
CONF
sed -i "s/^admins = root\$/admins = root\nmetrics_users = $TEST_USER2/" "$CONF"
check "the configuration with metrics_users is valid" "$TESSERAD" --config "$CONF" --check-config
check "--check-config prints metrics_users" bash -c "'$TESSERAD' --config '$CONF' --check-config | grep -qx 'metrics_users = $TEST_USER2'"
start_daemon

log "before any login"
expect_eq "root (an admin) reads the metrics" 200 "$(scrape)"
ctype=$(curl -sS -o /dev/null -w '%{content_type}' --unix-socket "$SOCK" http://t/v1/metrics)
expect_eq "the exposition format's content type" "text/plain; version=0.0.4; charset=utf-8" "$ctype"
check "promtool accepts it" promtool check metrics <"$M"
expect_eq "build_info carries the version" 1 "$(value "tessera_build_info{version=\"$("$TESSERAD" --version | awk '{print $2}')\"}")"
check "uptime is there" grep -q '^tessera_uptime_seconds [0-9]' "$M"
check "start time is a unix time" bash -c "awk '\$1 == \"tessera_start_time_seconds\" && \$2 > 1600000000 { ok = 1 } END { exit !ok }' '$M'"
expect_eq "default is logged out" 1 "$(value 'tessera_account_state{account="default",state="logged_out"}')"
expect_eq "... and not valid" 0 "$(value 'tessera_account_state{account="default",state="valid"}')"
expect_eq "no token yet: no expiry" 0 "$(value 'tessera_token_expiry_timestamp_seconds{account="default"}')"
expect_eq "one HELP and one TYPE per family" "$(grep -c '^# HELP' "$M")" "$(grep -c '^# TYPE' "$M")"
expect_eq "a family's samples are together (each name starts once)" "" \
        "$(grep -v '^#' "$M" | sed 's/[{ ].*//; s/_\(bucket\|sum\|count\)$//' | uniq | sort | uniq -d)"

log "who may read them"
expect_eq "metrics_users= reads them" 200 "$(scrape "$TEST_USER2")"
expect_eq "a user in no list: 403" 403 "$(scrape "$TEST_USER")"
expect_eq "... with the forbidden error" forbidden "$(jq -r .error "$M")"
rc=$(rc_of as_user "$TEST_USER" "$TESSERA" metrics)
expect_eq "tessera metrics for that user: exit 4" 4 "$rc"
msg=$(as_user "$TEST_USER" "$TESSERA" metrics 2>&1 >/dev/null || true)
check "... saying metrics_users ($msg)" grep -q "metrics_users" <<<"$msg"

log "login, tokens, refreshes"
login_code default alice alice-pw approve >/dev/null
expect_eq "logged in" done "$(login_result default | jq -r .state)"
TOKENS=()
for _ in 1 2 3; do TOKENS+=("$(token_of default)"); done
scrape >/dev/null
expect_eq "a code login counted" 1 "$(value 'tessera_logins_total{account="default",flow="code",result="success"}')"
expect_eq "no failed login" 0 "$(value 'tessera_logins_total{account="default",flow="code",result="failure"}')"
expect_eq "three tokens served" 3 "$(value 'tessera_tokens_served_total{account="default"}')"
expect_eq "state valid" 1 "$(value 'tessera_account_state{account="default",state="valid"}')"
exp=$(value 'tessera_token_expiry_timestamp_seconds{account="default"}')
check "token expiry within the minute ($exp)" bash -c "[ $exp -gt $(date +%s) ] && [ $exp -le $(($(date +%s) + 61)) ]"
expect_eq "no refresh yet" 0 "$(value 'tessera_refresh_duration_seconds_count{account="default"}')"

# A demand for as long as a token lasts makes the daemon refresh now
# (once a second has passed: the token is then shorter than that).
sleep 1.1
TOKENS+=("$(token_of default 60)")
scrape >/dev/null
expect_eq "the refresh counted as a success" 1 "$(value 'tessera_refreshes_total{account="default",result="success"}')"
expect_eq "the histogram counted it" 1 "$(value 'tessera_refresh_duration_seconds_count{account="default"}')"
expect_eq "... in the +Inf bucket too" 1 "$(value 'tessera_refresh_duration_seconds_bucket{account="default",le="+Inf"}')"
check "... with a duration" gt "$(value 'tessera_refresh_duration_seconds_sum{account="default"}')" 0
expect_eq "four tokens served" 4 "$(value 'tessera_tokens_served_total{account="default"}')"
check "promtool still accepts it" promtool check metrics <"$M"

# A refresh the provider answers with 503: failed, an IdP error of kind http_5xx.
sleep 1.1
curl -s -X POST -H 'Content-Type: application/json' -d '{"mode":"token_5xx","count":1}' "$API_BASE/_test/fail" >/dev/null
TOKENS+=("$(token_of default 60)")
scrape >/dev/null
expect_eq "a failed refresh counted" 1 "$(value 'tessera_refreshes_total{account="default",result="failed"}')"
expect_eq "as an http_5xx IdP error" 1 "$(value 'tessera_idp_errors_total{account="default",kind="http_5xx"}')"
expect_eq "no rejection" 0 "$(value 'tessera_refreshes_total{account="default",result="rejected"}')"
expect_eq "two refreshes in the histogram" 2 "$(value 'tessera_refresh_duration_seconds_count{account="default"}')"
curl -s -X POST -H 'Content-Type: application/json' -d '{"mode":"none"}' "$API_BASE/_test/fail" >/dev/null
valid_again() { scrape >/dev/null; [ "$(value 'tessera_account_state{account="default",state="valid"}')" = 1 ]; }
check "the retry brings the account back to valid" wait_until 30 valid_again
check "... a second success" gt "$(value 'tessera_refreshes_total{account="default",result="success"}')" 1

log "gateway calls and a 429 pause"
expect_eq "a call" 200 "$(gw 'http://t/v1/accounts/default/tenant/patients?limit=2')"
expect_eq "another" 200 "$(gw http://t/v1/accounts/default/tenant/ping)"
curl -s -X POST -H 'Content-Type: application/json' -d '{"limit":1,"window":2}' "$API_BASE/_test/ratelimit" >/dev/null
expect_eq "within the limit" 200 "$(gw http://t/v1/accounts/default/tenant/ping)"
expect_eq "over it: the API's 429" 429 "$(gw http://t/v1/accounts/default/tenant/ping)"
expect_eq "during the pause: 429 from tesserad" 429 "$(gw http://t/v1/accounts/default/tenant/ping)"
curl -s -X POST -H 'Content-Type: application/json' -d '{"limit":0}' "$API_BASE/_test/ratelimit" >/dev/null
scrape >/dev/null
expect_eq "three calls answered 2xx" 3 "$(value 'tessera_gateway_requests_total{account="default",code_class="2xx"}')"
expect_eq "two answered 4xx" 2 "$(value 'tessera_gateway_requests_total{account="default",code_class="4xx"}')"
expect_eq "none without an answer" 0 "$(value 'tessera_gateway_requests_total{account="default",code_class="error"}')"
expect_eq "one rate-limit pause" 1 "$(value 'tessera_rate_limit_pauses_total{account="default"}')"
check "paused for a while" gt "$(value 'tessera_rate_limit_pause_seconds_total{account="default"}')" 0.5
expect_eq "the other accounts saw nothing" 0 "$(value 'tessera_gateway_requests_total{account="post",code_class="2xx"}')"

log "per-user sessions carry os_user and uid"
U1=$(id -u "$TEST_USER")
expect_eq "$TEST_USER logs in to the per-user account" done "$(login_code_as "$TEST_USER" pu alice alice-pw)"
TOKENS+=("$(token_as "$TEST_USER" pu)")
scrape >/dev/null
S="account=\"pu\",os_user=\"$TEST_USER\",uid=\"$U1\""
expect_eq "the session's state" 1 "$(value "tessera_account_state{$S,state=\"valid\"}")"
expect_eq "the session's tokens" 1 "$(value "tessera_tokens_served_total{$S}")"
expect_eq "the session's login" 1 "$(value "tessera_logins_total{$S,flow=\"code\",result=\"success\"}")"
expect_eq "the pause is the account's" 0 "$(value 'tessera_rate_limit_pauses_total{account="pu"}')"
check "promtool accepts sessions too" promtool check metrics <"$M"

log "tessera metrics, and node_exporter's textfile collector"
"$TESSERA" --socket "$SOCK" metrics >"$T/cli.txt"
check "tessera metrics prints the same families" \
        diff <(grep '^# ' "$M") <(grep '^# ' "$T/cli.txt")
check "promtool accepts the command's output" promtool check metrics <"$T/cli.txt"
TEXTFILE="$T/textfile"
mkdir -p "$TEXTFILE"
check "tessera metrics --output" "$TESSERA" --socket "$SOCK" metrics --output "$TEXTFILE/tessera.prom"
expect_eq "only the file, no temporary left" tessera.prom "$(ls -A "$TEXTFILE")"
expect_eq "readable by node_exporter's user" 644 "$(stat -c %a "$TEXTFILE/tessera.prom")"
check "written over on the next run" "$TESSERA" --socket "$SOCK" metrics --output "$TEXTFILE/tessera.prom"
expect_eq "still one file" tessera.prom "$(ls -A "$TEXTFILE")"
rc=$(rc_of "$TESSERA" --socket "$SOCK" metrics --output "$T/no/such/dir/tessera.prom")
expect_eq "an unwritable place: exit 1" 1 "$rc"
rc=$(rc_of "$TESSERA" --socket "$SOCK" status --output "$T/x")
expect_eq "--output with another command: usage error" 2 "$rc"

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
prometheus-node-exporter --web.listen-address="127.0.0.1:$PORT" --collector.disable-defaults \
        --collector.textfile --collector.textfile.directory="$TEXTFILE" >"$T/node-exporter.log" 2>&1 &
NX_PID=$!
CLEANUP_PIDS+=("$NX_PID")
nx_up() { curl -sf -o "$T/nx.txt" "http://127.0.0.1:$PORT/metrics"; }
check "node_exporter answers" wait_until 20 nx_up
# node_exporter gives every sample of a family the same labels, "" where
# one has none: a shared account gets os_user="",uid="".
nx_served() { awk '$1 ~ /^tessera_tokens_served_total\{account="default"(,os_user="",uid="")?\}$/ { print $2 }' "$T/nx.txt"; }
check "it serves tessera's tokens_served" grep -q . <<<"$(nx_served)"
check "it serves the session's labels" grep -qF "tessera_account_state{account=\"pu\",os_user=\"$TEST_USER\",state=\"valid\",uid=\"$U1\"} 1" "$T/nx.txt"
check "the file read without an error" grep -q '^node_textfile_scrape_error 0' "$T/nx.txt"
served=$(nx_served)
TOKENS+=("$(token_of default)")
"$TESSERA" --socket "$SOCK" metrics --output "$TEXTFILE/tessera.prom"
nx_up
expect_eq "the next write shows the counter moved" $((served + 1)) \
        "$(nx_served)"
kill -TERM "$NX_PID" 2>/dev/null || true
wait "$NX_PID" 2>/dev/null || true

log "secrets"
scrape >/dev/null
leaks=0
for tok in "${TOKENS[@]}"; do
        [ -n "$tok" ] && [ "$tok" != null ] || continue
        grep -qF -- "$tok" "$M" "$T/cli.txt" "$TEXTFILE/tessera.prom" && leaks=$((leaks + 1))
done
expect_eq "no access token in any output (${#TOKENS[@]} checked)" 0 "$leaks"
check "no client secret" bash -c "! grep -qF -- \"\$(cat '$T/etc/basic.secret')\" '$M'"
check "no query string or API path" bash -c "! grep -Eq 'limit=|patients|/v2/|tenants' '$M'"
check "no user or tenant of the IdP" bash -c "! grep -Eq 'alice|t-100' '$M'"
check "labels are only the known ones" bash -c "! grep -v '^#' '$M' | grep -o '[a-z_]*=\"' | sort -u | grep -vxE '(account|os_user|uid|state|result|kind|code_class|flow|le|version)=\"'"
check "daemon still running" kill -0 "$DAEMON_PID"
stop_daemon && rc=0 || rc=$?
expect_eq "SIGTERM: a clean exit" 0 "$rc"
finish
