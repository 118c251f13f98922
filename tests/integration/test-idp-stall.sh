#!/bin/bash
# SPDX-License-Identifier: MIT
# An identity provider that hangs: the real provider (16 s access tokens,
# refresh tokens rotated, a replayed refresh token revokes the grant) is
# paused with SIGSTOP. The kernel still accepts its connections, so every
# request the daemon sends is taken and never answered: an outage with
# hanging connections, not refused ones. When it is resumed it works
# through everything that queued up meanwhile, in order.
#
#   1. a stall shorter than the HTTP timeout: the unexpired token is still
#      served, callers never wait for the hang, 503 idp_unavailable "since"
#      once it expired, degraded in status, recovery on its own;
#   2. a stall longer than the HTTP timeout: the same, plus no attempt
#      while another is unanswered, and the provider must never see a
#      refresh token again after it rotated it (that revokes the grant);
#   3. the back-off itself, measured, while the token endpoint fails fast.
#
# Attempts are counted from the daemon's "refreshing tokens (attempt N)"
# debug lines, stamped with the time this script read them. No token is
# ever printed.
. "$(dirname "$0")/lib.sh"
require_test_users

TTL=16                  # access token lifetime at the provider
MARGIN=8                # refresh_margin: the refresh starts 8 s before expiry
ANSWER_WAIT=5           # REFRESH_ANSWER_WAIT_USEC: the longest a caller waits
SLACK=3                 # for a loaded machine
SHORT_STALL=20          # ends well before the first attempt's 30 s HTTP timeout
LONG_STALL=70           # more than twice that timeout

stat_of() { curl -sS --max-time 5 "$API_BASE/_test/stats" | jq -r ".$1 // 0"; }
fail_next() { curl -sS --max-time 5 -X POST -d "$1" "$API_BASE/_test/fail" >/dev/null; }
now_s() { echo "$EPOCHREALTIME"; }
state_is() { [ "$(account_field default state)" = "$1" ]; }
export -f state_is

# Every daemon log line, stamped with the time it was read (50 ms
# resolution), so attempts can be timed without the daemon printing times.
stamp_log() {
        local line part=
        while :; do
                if IFS= read -r line; then
                        printf '%s %s\n' "$EPOCHREALTIME" "$part$line"
                        part=
                else
                        part+=$line
                        sleep 0.05
                fi
        done <"$T/daemon.log" >>"$T/stamped.log"
}

# attempts_between FROM TO: the stamps of the refresh attempts started in
# that window, one a line.
attempts_between() {
        awk -v a="$1" -v b="$2" '$1 >= a && $1 <= b && /refreshing tokens \(attempt [0-9]+\)/ { print $1 }' \
                "$T/stamped.log"
}

# timed_token MIN_VALID: one token request; sets TT_CODE, TT_TOKEN (never
# printed), TT_ERROR, TT_MESSAGE and TT_MS (how long the answer took).
timed_token() {
        local t0 out
        t0=${EPOCHREALTIME/./}
        out=$(curl -sS --max-time 60 --unix-socket "$SOCK" -w '\n%{http_code}' \
                "http://t/v1/accounts/default/token?min_valid=$1") || true
        TT_MS=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
        TT_CODE=${out##*$'\n'}
        out=${out%$'\n'*}
        TT_TOKEN=$(jq -r '.access_token // empty' <<<"$out" 2>/dev/null || true)
        TT_ERROR=$(jq -r '.error // empty' <<<"$out" 2>/dev/null || true)
        TT_MESSAGE=$(jq -r '.message // empty' <<<"$out" 2>/dev/null || true)
}

# api_ping TOKEN: the emulator's verdict on a bearer token (HTTP status);
# the header goes through stdin, never onto a command line.
api_ping() {
        printf 'Authorization: Bearer %s\n' "$1" |
                curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -H @- "$API_BASE/v2/tenants/t-100/ping"
}

# gaps STAMPS...: the seconds between consecutive stamps, one a line.
gaps() {
        printf '%s\n' "$@" | awk 'NR > 1 { printf "%.2f\n", $1 - prev } { prev = $1 }'
}

# served_same TOKEN: the last answer was 200 with TOKEN.
served_same() { [ "$TT_CODE" = 200 ] && [ -n "$TT_TOKEN" ] && [ "$TT_TOKEN" = "$1" ]; }

# recovered_with_new_token OLD: the account is valid again and serves a
# token other than OLD.
recovered_with_new_token() {
        state_is valid || return 1
        timed_token 1
        [ "$TT_CODE" = 200 ] && [ -n "$TT_TOKEN" ] && [ "$TT_TOKEN" != "$1" ]
}

t_begin=$(now_s)
start_idp TESSERA_IDP_AT_TTL=$TTL
DEFAULT_EXTRA="refresh_margin = $MARGIN" write_idp_config
start_daemon
stamp_log &
CLEANUP_PIDS+=($!)
login_code default alice alice-pw approve >/dev/null
check "login" test "$(login_result default | jq -r .state)" = done

# ---- 1. a stall shorter than the HTTP timeout ------------------------------

log "1. the provider stops for ${SHORT_STALL} s, less than the HTTP timeout"
timed_token 1
t1=$TT_TOKEN
exp1=$(account_field default expires_at)
invalid0=$(stat_of invalid_grant)
kill -STOP "$IDP_PID"
stop1=$(now_s)

timed_token 1
check "the unexpired token is still served (200, the same token)" served_same "$t1"

check "the background refresh starts during the stall" \
        wait_until $((TTL + SLACK)) bash -c "grep -q 'refreshing tokens (attempt 1)' '$T/stamped.log'"
# A second later the token has less left than this caller wants: it waits
# for the refresh, but not for the hang.
sleep 1.2
if [ "$(date +%s)" -lt $((exp1 - 1)) ]; then
        timed_token 60
        check "a caller wanting more than is left gets the unexpired token (200, same token)" served_same "$t1"
        check "without waiting for the hanging refresh (${TT_MS} ms)" \
                test "$TT_MS" -le $(((ANSWER_WAIT + SLACK) * 1000))
else
        fail "the token expired before the refresh started: machine too slow for $TTL s tokens"
fi

while [ "$(date +%s)" -le "$exp1" ]; do sleep 0.2; done
timed_token 10
expect_eq "after expiry: 503 idp_unavailable" "503 idp_unavailable" "$TT_CODE $TT_ERROR"
check "the message says since when ($TT_MESSAGE)" grep -Eq 'since 20[0-9]{2}-[0-9]{2}-[0-9]{2}T' <<<"$TT_MESSAGE"
check "answered without waiting for the hang (${TT_MS} ms)" test "$TT_MS" -le $(((ANSWER_WAIT + SLACK) * 1000))
expect_eq "status: degraded" degraded "$(account_field default state)"
err=$(account_field default last_error)
check "status: last_error says since when ($err)" grep -Eq 'since 20[0-9]{2}-' <<<"$err"
expect_eq "CLI: exit 6 (IdP unavailable)" 6 "$(rc_of "$TESSERA" --socket "$SOCK" token default)"
while [ "$(awk -v a="$stop1" -v b="$(now_s)" 'BEGIN { print (b - a < '"$SHORT_STALL"') }')" = 1 ]; do sleep 0.2; done
kill -CONT "$IDP_PID"
cont1=$(now_s)

check "recovers on its own once the provider runs again" wait_until 15 recovered_with_new_token "$t1"
timed_token 1
expect_eq "the new token works at the API" 200 "$(api_ping "$TT_TOKEN")"
expect_eq "last_error cleared" null "$(account_field default last_error)"
mapfile -t A1 < <(attempts_between "$stop1" "$cont1")
echo "# stall 1: ${#A1[@]} attempt(s) in $(awk -v a="$stop1" -v b="$cont1" 'BEGIN { printf "%.1f", b - a }') s"
expect_eq "one attempt during a stall shorter than the HTTP timeout" 1 "${#A1[@]}"
expect_eq "the provider never saw a refresh token twice" "$invalid0" "$(stat_of invalid_grant)"

# ---- 2. a stall longer than the HTTP timeout -------------------------------

log "2. the provider stops for ${LONG_STALL} s, more than the HTTP timeout"
wait_until 10 state_is valid || true
timed_token 1
t2=$TT_TOKEN
invalid0=$(stat_of invalid_grant)
kill -STOP "$IDP_PID"
stop2=$(now_s)
timed_token 1
check "the unexpired token is still served (200, the same token)" served_same "$t2"

# Callers all through the stall: never held for the hang, never a token
# after it expired, always the reason.
slowest=0
bad=0
n=0
while [ "$(awk -v a="$stop2" -v b="$(now_s)" 'BEGIN { print (b - a < '"$LONG_STALL"' - 6) }')" = 1 ]; do
        timed_token 10
        n=$((n + 1))
        [ "$TT_MS" -gt "$slowest" ] && slowest=$TT_MS
        if [ "$TT_CODE" = 503 ]; then
                grep -Eq 'since 20[0-9]{2}-' <<<"$TT_MESSAGE" || bad=$((bad + 1))
                [ "$TT_ERROR" = idp_unavailable ] || bad=$((bad + 1))
        elif [ "$TT_CODE" != 200 ] || [ "$TT_TOKEN" != "$t2" ]; then
                bad=$((bad + 1))
        fi
        sleep 3
done
check "$n callers during the stall: none waited for the hang (slowest ${slowest} ms)" \
        test "$slowest" -le $(((ANSWER_WAIT + SLACK) * 1000))
expect_eq "every one got the old token or 503 idp_unavailable since ..." 0 "$bad"
expect_eq "status: degraded" degraded "$(account_field default state)"
while [ "$(awk -v a="$stop2" -v b="$(now_s)" 'BEGIN { print (b - a < '"$LONG_STALL"') }')" = 1 ]; do sleep 0.2; done
kill -CONT "$IDP_PID"
cont2=$(now_s)
stall2=$(awk -v a="$stop2" -v b="$cont2" 'BEGIN { printf "%.1f", b - a }')

mapfile -t A2 < <(attempts_between "$stop2" "$cont2")
echo "# stall 2: ${#A2[@]} attempt(s) in $stall2 s, gaps: $(gaps "${A2[@]}" | tr '\n' ' ')"
check "at least one attempt during the stall" test "${#A2[@]}" -ge 1
# No new attempt while one is unanswered: each later one must follow a
# failure of the previous one, and come no sooner than its back-off.
starts=$(awk -v a="$stop2" -v b="$cont2" '$1 >= a && $1 <= b && /refreshing tokens \(attempt/' "$T/stamped.log" | wc -l)
ends=$(awk -v a="$stop2" -v b="$cont2" '$1 >= a && $1 <= b && /refresh failed/' "$T/stamped.log" | wc -l)
check "never two attempts in flight ($starts started, $ends ended during the stall)" \
        test "$ends" -ge $((starts - 1))
spaced=$(awk -v a="$stop2" -v b="$cont2" '
        $1 < a || $1 > b { next }
        /refresh failed .*retrying in [0-9]+ s/ {
                match($0, /retrying in [0-9]+ s/); d = substr($0, RSTART + 12, RLENGTH - 14) + 0
                fail_at = $1; delay = d; next }
        /refreshing tokens \(attempt/ && fail_at {
                if ($1 + 0.2 < fail_at + delay) bad++
                fail_at = 0 }
        END { print bad + 0 }' "$T/stamped.log")
expect_eq "every retry waited its back-off after the previous attempt failed" 0 "$spaced"
g_bad=$(gaps "${A2[@]}" | awk 'NR > 1 && $1 < prev - 0.5 { bad++ } { prev = $1 } END { print bad + 0 }')
expect_eq "attempts spaced increasingly" 0 "$g_bad"
# The back-off alone (0.5, 1, 2, 4 ... s at the least) allows this many
# attempts in the stall; hanging attempts leave room for fewer.
allowed=$(awk -v l="$stall2" 'BEGIN { n = 1; t = 0; d = 0.5; while (t + d <= l) { t += d; d *= 2; n++ } print n }')
check "no more attempts than the back-off allows (${#A2[@]} <= $allowed)" test "${#A2[@]}" -le "$allowed"

check "recovers on its own once the provider runs again" wait_until 20 recovered_with_new_token "$t2"
timed_token 1
expect_eq "the new token works at the API" 200 "$(api_ping "$TT_TOKEN")"
expect_eq "the provider never saw a refresh token twice (requests abandoned during the stall were replayed)" \
        "$invalid0" "$(stat_of invalid_grant)"
echo "# state $(account_field default state), $(stat_of refresh_grants) refresh grants and $(stat_of invalid_grant) invalid_grant at the provider"

# ---- 3. the back-off, measured ---------------------------------------------

log "3. the token endpoint fails fast 4 times: back-off 1, 2, 4, 8 s at most"
if ! wait_until 10 state_is valid; then
        log "the session was lost in part 2: log in again to measure the back-off"
        login_code default alice alice-pw approve >/dev/null
        check "login again" test "$(login_result default | jq -r .state)" = done
fi
# Armed right after a refresh, so the next (background) one meets them.
n0=$(wc -l <"$T/stamped.log")
wait_until 10 bash -c "tail -n +$((n0 + 1)) '$T/stamped.log' | grep -q 'tokens refreshed'" || true
from=$(now_s)
fail_next '{"mode":"token_5xx","count":4}'
# The window closes once the stamper has read the success that follows the
# failures: the state alone can turn valid before the stamper (50 ms polls)
# has read the good attempt's line, which then falls after "to".
recovered_in_log() {
        tail -n +$((n0 + 1)) "$T/stamped.log" |
                awk '/refresh failed/ { f = 1 } f && /tokens refreshed/ { ok = 1 } END { exit !ok }'
}
export -f recovered_in_log
export n0
check "recovers after the failures" wait_until 40 bash -c "recovered_in_log && state_is valid"
to=$(now_s)
mapfile -t A3 < <(attempts_between "$from" "$to")
mapfile -t G3 < <(gaps "${A3[@]}")
echo "# 5xx: ${#A3[@]} attempts, gaps: ${G3[*]}"
expect_eq "4 failed attempts and the good one" 5 "${#A3[@]}"
# Failure n waits 2^(n-1) s times [0.5, 1), but at least 1 s after the
# previous start; the attempt itself takes a few ms.
out_of_range=0
for i in "${!G3[@]}"; do
        # Stamps are taken when this script reads the line: a few tenths of
        # a second of slack on a busy machine.
        lo=$(awk -v n="$i" 'BEGIN { d = 0.5 * 2 ^ n; print (d < 1 ? 1 : d) - 0.3 }')
        hi=$(awk -v n="$i" 'BEGIN { print 2 ^ n + 0.8 }')
        awk -v g="${G3[$i]}" -v lo="$lo" -v hi="$hi" 'BEGIN { exit !(g >= lo && g <= hi) }' ||
                { out_of_range=$((out_of_range + 1)); echo "# gap $((i + 1)): ${G3[$i]} s not in [$lo, $hi]"; }
done
expect_eq "each gap within its back-off window" 0 "$out_of_range"
g_bad=$(printf '%s\n' "${G3[@]}" | awk 'NR > 1 && $1 < prev - 0.5 { bad++ } { prev = $1 } END { print bad + 0 }')
expect_eq "attempts spaced increasingly" 0 "$g_bad"

check "daemon still running" kill -0 "$DAEMON_PID"
echo "# run time $(awk -v a="$t_begin" -v b="$(now_s)" 'BEGIN { printf "%.0f", b - a }') s"
finish
