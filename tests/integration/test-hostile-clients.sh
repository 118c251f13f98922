#!/bin/bash
# SPDX-License-Identifier: MIT
# Hostile local clients (issue 7, part 5): malformed, oversized and tricky
# requests each get a clear answer; path tricks never reach another
# account; and while an unauthorised uid floods the socket, holds 1,000
# idle connections and sends headers a byte a second, an authorised client
# keeps getting its token fast. The attackers are hostile-client.py.
. "$(dirname "$0")/lib.sh"
require_test_users

PY=/usr/bin/python3
H="$T/hostile-client.py"
install -m 0755 "$TESSERA_SOURCE_ROOT/tests/integration/hostile-client.py" "$H"
hostile() { "$PY" "$H" "$SOCK" "$@"; }
hostile_as() { local u=$1; shift; runuser -u "$u" -- "$PY" "$H" "$SOCK" "$@"; }

ISSUER=https://account.gipo.example
write_config
TOK_DEFAULT="tok-$(head -c 24 /dev/urandom | base64 | tr '+/' '-_')"
TOK_OTHER="tok-$(head -c 24 /dev/urandom | base64 | tr '+/' '-_')"
printf '%s\n%s\n' "$TOK_DEFAULT" "ref-$RANDOM$RANDOM" | "$SEED_SESSION" "$STATE" default "$ISSUER" 3600
printf '%s\n%s\n' "$TOK_OTHER" "ref-$RANDOM$RANDOM" | "$SEED_SESSION" "$STATE" other "$ISSUER" 3600
SHA_DEFAULT=$(printf '%s' "$TOK_DEFAULT" | sha256sum | cut -d' ' -f1)
SHA_OTHER=$(printf '%s' "$TOK_OTHER" | sha256sum | cut -d' ' -f1)
start_daemon

fds() { ls "/proc/$DAEMON_PID/fd" | wc -l; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$DAEMON_PID/status"; }

# ---------------------------------------------------------------------
log "malformed and oversized requests: a clear answer within 5 s, never a crash"
# Allowed answers per probe ("closed": the daemon hung up without one,
# "timeout": neither answer nor hang-up within 5 s).
declare -A EXPECT=(
        [header-40k]="431|413|400"
        [header-1m]="431|413|400|closed"
        [headers-2000]="431|413|400"
        [url-64k]="414|431|400|closed"
        # Known: libmicrohttpd 0.9.75 decides on 431 when 3,000 arguments
        # exhaust its pool but does not send it; the connection is held
        # until the idle timeout (60 s, bounded by the per-uid cap). Noted
        # for a fix; the daemon stays fine meanwhile (checked below).
        [query-many-args]="414|431|400|closed|timeout"
        [body-cl-100m]="413"
        [body-cl-huge]="413|400"
        [body-cl-negative]="400"
        [body-cl-junk]="400"
        [body-17k]="413"
        [body-chunked-1m]="413"
        [body-cl-and-chunked]="400|closed"
        [json-truncated]="400"
        [json-array]="400"
        [json-null]="400"
        [json-trailing]="400"
        [json-two-objects]="400"
        [json-deep]="400"
        [json-nul]="400"
        [json-escaped-nul]="400"
        [json-bad-utf8]="400"
        [json-overlong-utf8]="400"
        [json-lone-surrogate]="400"
        [json-big-number]="400"
        [json-dup-keys]="400"
        [path-bad-utf8]="400|404"
        [header-bad-utf8]="200|400"
        [path-raw-nul]="400|404"
        [garbage-line]="400|closed|timeout"
        [http09]="400|505|closed"
        [http2-preface]="400|505|closed"
        [method-long]="400|405|501|closed"
        [method-trace]="405"
        [version-junk]="400|505"
        [header-no-colon]="400"
        [header-fold]="200|400"
        [bare-lf]="200|400"
        [pipelined-100]="100"
)
PROBES=$(hostile probe list)
n_probes=0
for p in $PROBES; do
        n_probes=$((n_probes + 1))
        [ -n "${EXPECT[$p]:-}" ] || { fail "probe $p has no expectation"; continue; }
        read -r _ got <<<"$(hostile probe "$p")"
        check "$p: answered $got (allowed: ${EXPECT[$p]})" grep -Eqx -- "${EXPECT[$p]}" <<<"$got"
done
check "the daemon survived every probe" kill -0 "$DAEMON_PID"
check "no login was started by a probe" bash -c "! grep -q 'login requested' '$T/daemon.log'"

# ---------------------------------------------------------------------
log "path tricks never reach another account"
TRICKS=(
        /v1/accounts/../token
        /v1/accounts/default/../other/token
        /v1/accounts/default/..%2Fother/token
        '/v1/accounts/default%2F%2E%2E%2Fother/token'
        /v1/accounts/other%2Ftoken
        /v1/accounts/%2e%2e/token
        /v1/accounts/./token
        /v1/accounts/default/./token
        '/v1/accounts/default%00/token'
        '/v1/accounts/default%00other/token'
        '/v1/accounts/other%00/token'
        /v1/accounts/DEFAULT/token
        /v1/accounts/oth%65r/token
        /v1/accounts/%64efault/token
        //v1/accounts/other/token
        /v1//accounts/other/token
        /v1/accounts//other/token
        /v1/accounts/other/token/
        '/v1/accounts/default/token;other'
        'http://t/v1/accounts/other/token'
        '/v1/accounts/default\other/token'
        '/v1/accounts/%C0%AE%C0%AE/token'
        /v1/accounts/other/../default/token
        /v1/./accounts/other/token
        /v1/status/../accounts/other/token
        '/v1/accounts/%/token'
        "/v1/accounts/$(printf 'a%.0s' $(seq 300))/token"
)
for p in "${TRICKS[@]}"; do
        read -r st_user sha_user <<<"$(hostile_as "$TEST_USER" get "$p")"
        read -r st_root sha_root <<<"$(hostile get "$p")"
        check "${p:0:60}: refused with 4xx for the user ($st_user) and root ($st_root)" \
                bash -c "[[ '$st_user' == 4?? && '$st_root' == 4?? ]]"
        check "${p:0:60}: no token in either answer" test "$sha_user$sha_root" = "--"
done
read -r st sha <<<"$(hostile_as "$TEST_USER" get '/v1/accounts/default/token?account=other')"
expect_eq "a query cannot switch the account" "200 $SHA_DEFAULT" "$st $sha"
read -r st sha <<<"$(hostile_as "$TEST_USER" get /v1/accounts/other/token)"
expect_eq "the plain path to the other account: 403" "403 -" "$st $sha"
read -r st sha <<<"$(hostile get /v1/accounts/other/token)"
expect_eq "(root does get it: the seed is right)" "200 $SHA_OTHER" "$st $sha"

# ---------------------------------------------------------------------
log "an honest client under attack"
hostile_as "$TEST_USER" latency /v1/accounts/default/token 5 50 "$SHA_DEFAULT" > "$T/lat-before.json"
log "baseline: $(cat "$T/lat-before.json")"
# The flooding uid is refused with 403 while it holds no connection; under
# the attack below its own idle connections soon fill its 1,024 slots, and
# then it is hung up on before any answer (how many floods get in first
# is a race, so the 403 is checked here, not counted there).
read -r st sha <<<"$(hostile_as "$TEST_USER2" get /v1/accounts/default/token)"
expect_eq "the uid that is about to flood may not have the token: 403" "403 -" "$st $sha"
fd0=$(fds)
rss0=$(rss_kb)
DUR=30
hostile_as "$TEST_USER2" idle 1000 "$DUR" > "$T/idle.json" &
a1=$!
hostile_as "$TEST_USER2" partial 100 "$DUR" > "$T/partial.json" &
a2=$!
hostile_as "$TEST_USER2" slowloris 100 "$DUR" > "$T/slow.json" &
a3=$!
hostile_as "$TEST_USER2" flood /v1/accounts/default/token "$DUR" 2 > "$T/flood.json" &
a4=$!
(
        end=$((SECONDS + DUR))
        rounds=0
        while [ $SECONDS -lt $end ]; do
                for p in $PROBES; do hostile probe "$p" >/dev/null; done
                rounds=$((rounds + 1))
        done
        echo "$rounds" > "$T/probe-rounds"
) &
a5=$!
CLEANUP_PIDS+=("$a1" "$a2" "$a3" "$a4" "$a5")
sleep 4
peak_fds=$(fds)
hostile_as "$TEST_USER" latency /v1/accounts/default/token 20 50 "$SHA_DEFAULT" > "$T/lat-during.json"
for p in "$a1" "$a2" "$a3" "$a4" "$a5"; do wait "$p" || true; done
lat=$(cat "$T/lat-during.json")
log "during the attack: $lat"
log "idle: $(cat "$T/idle.json") partial: $(cat "$T/partial.json") slowloris: $(cat "$T/slow.json")"
log "flood by an unauthorised uid: $(cat "$T/flood.json"); probe rounds: $(cat "$T/probe-rounds")"
log "daemon file descriptors: $fd0 before, $peak_fds during"
check "the honest client made requests all along ($(jq -r .n <<<"$lat"))" test "$(jq -r .n <<<"$lat")" -ge 50
expect_eq "every one of them got its token" 0 "$(jq -r .fail <<<"$lat")"
check "p99 latency under 1 s ($(jq -r .p99_ms <<<"$lat") ms; p50 $(jq -r .p50_ms <<<"$lat") ms)" \
        bash -c "[ \$(jq -r '.p99_ms|floor' <<<'$lat') -lt 1000 ]"
check "the 1,000 idle connections were all accepted" test "$(jq -r .opened "$T/idle.json")" = 1000
check "the daemon held them without trouble (peak $peak_fds fds)" test "$peak_fds" -ge 1000
# Past its 1,024 connections the flooding uid is hung up on (closed,
# refused); nothing but 403 may ever come back.
check "the flood got 403 or a hang-up, nothing else" bash -c "jq -e '(.status|keys - [\"403\",\"closed\",\"refused\"]) == []' '$T/flood.json' >/dev/null"
check "the flood was real (at least 1,000 requests)" test "$(jq -r .requests "$T/flood.json")" -ge 1000
check "every attacker connection is released afterwards" \
        wait_until 15 bash -c "[ \$(ls /proc/$DAEMON_PID/fd | wc -l) -le $((fd0 + 5)) ]"
rss1=$(rss_kb)
log "daemon RSS: ${rss0} kB before, ${rss1} kB after"
# AddressSanitizer keeps freed memory in quarantine (256 MB by default),
# so RSS says nothing about the daemon there; a normal build is judged.
if grep -q asan "/proc/$DAEMON_PID/maps" 2>/dev/null; then
        log "sanitizer build: RSS growth not judged (ASan quarantine)"
else
        check "memory did not balloon (RSS +$((rss1 - rss0)) kB)" test $((rss1 - rss0)) -lt 51200
fi
check "the daemon is alive" kill -0 "$DAEMON_PID"
check "the token still comes" test "$(hostile_as "$TEST_USER" get /v1/accounts/default/token | cut -d' ' -f2)" = "$SHA_DEFAULT"

# ---------------------------------------------------------------------
log "an unauthorised uid cannot use up the connection limit"
# API_CONNECTIONS_MAX is 4000 for everyone together: a local user who may
# not use any account must not be able to lock out those who may.
hostile_as "$TEST_USER2" idle 4100 20 > "$T/exhaust.json" &
a6=$!
CLEANUP_PIDS+=("$a6")
wait_until 15 bash -c "[ \$(ls /proc/$DAEMON_PID/fd | wc -l) -ge 3900 ]" || true
hostile_as "$TEST_USER" latency /v1/accounts/default/token 3 100 "$SHA_DEFAULT" > "$T/lat-exhaust.json"
log "authorised client while 4,100 connections are held: $(cat "$T/lat-exhaust.json")"
expect_eq "the authorised client still gets its token" 0 "$(jq -r .fail "$T/lat-exhaust.json")"
kill "$a6" 2>/dev/null || true
wait "$a6" 2>/dev/null || true
check "the daemon is alive" kill -0 "$DAEMON_PID"

finish
