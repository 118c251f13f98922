#!/bin/bash
# SPDX-License-Identifier: MIT
# The Foundation issue end to end: the real tesserad on a real socket, the
# CLI and curl as clients, policy checked with real second uids.
. "$(dirname "$0")/lib.sh"
require_test_users

ISSUER=https://account.gipo.example
TOKEN="tok-$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')"
REFRESH="ref-$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')"

log "command line"
check "--version" bash -c "'$TESSERAD' --version | grep -q '^tesserad '"
check "--help" bash -c "'$TESSERAD' --help | grep -q -- '--check-config'"
expect_eq "unknown option is a usage error" 2 "$(rc_of "$TESSERAD" --no-such-option)"

log "check-config"
write_config
echo "client_secret = inline-secret-do-not-print" > "$T/etc/conf.d/ignored.txt"
out=$("$TESSERAD" --config "$CONF" --check-config 2>&1) && rc=0 || rc=$?
expect_eq "valid config exits 0" 0 "$rc"
check "effective config lists both accounts" grep -q '^\[account other\]' <<<"$out"
check "client secret never printed" bash -c "! grep -q test-client-secret-value <<<'$out'"
cat > "$T/etc/conf.d/50-inline.conf" <<X
[account inline]
client_id = x
client_secret = inline-secret-do-not-print
X
out=$("$TESSERAD" --config "$CONF" --check-config 2>&1)
check "drop-in account read" grep -q '^\[account inline\]' <<<"$out"
check "inline secret shown as (redacted)" grep -q '(redacted)' <<<"$out"
check "inline secret not printed" bash -c "! grep -q inline-secret-do-not-print <<<'$out'"
rm "$T/etc/conf.d/50-inline.conf"
cat > "$T/etc/conf.d/60-bad.conf" <<X
[account bad]
client_id = x
client_secret = y
issuer = http://example.com
colour = blue
users = no-such-user-tessera
X
out=$("$TESSERAD" --config "$CONF" --check-config 2>&1) && rc=0 || rc=$?
expect_eq "invalid config exits 1" 1 "$rc"
check "http to a non-loopback host reported with FILE:LINE" grep -q "60-bad.conf:4: " <<<"$out"
check "unknown key reported with FILE:LINE" grep -q "60-bad.conf:5: " <<<"$out"
check "unknown user reported with FILE:LINE" grep -q "60-bad.conf:6: " <<<"$out"
rm "$T/etc/conf.d/60-bad.conf"

log "daemon not running"
export TESSERA_SOCKET=$SOCK
expect_eq "CLI: daemon unreachable is exit 5" 5 "$(rc_of "$TESSERA" status)"
msg=$("$TESSERA" token 2>&1 || true)
check "CLI: unreachable message says how to start it" grep -qi "start" <<<"$msg"

log "start"
start_daemon
check "socket has mode 0666" bash -c "[ \$(stat -c %a '$SOCK') = 666 ]"
check "store key created 0600" bash -c "[ \$(stat -c %a '$STATE/key') = 600 ]"

read -r code body <<<"$(api GET /v1/status)"
expect_eq "status 200" 200 "$code"
expect_eq "status lists both accounts for root" "default other" "$(jq -r '[.accounts[].name]|join(" ")' <<<"$body")"
expect_eq "accounts start logged out" "logged_out" "$(jq -r '.accounts[0].state' <<<"$body")"
check "status --json parses with jq" bash -c "'$TESSERA' --json status | jq -e '.accounts|length==2' >/dev/null || [ \${PIPESTATUS[0]} -eq 3 ]"
expect_eq "CLI status: logged-out accounts are exit 3" 3 "$(rc_of "$TESSERA" status)"

read -r code body <<<"$(api GET /v1/accounts/default/token)"
expect_eq "token before login: 401" 401 "$code"
expect_eq "token before login: login_required" login_required "$(jq -r .error <<<"$body")"
expect_eq "CLI token before login: exit 3" 3 "$(rc_of "$TESSERA" token default)"
msg=$("$TESSERA" token default 2>&1 || true)
check "CLI says what to do next" grep -q "tessera login default" <<<"$msg"

log "errors and limits"
read -r code body <<<"$(api GET /v1/accounts/nope/token)"
expect_eq "unknown account: 404" "404 no_such_account" "$code $(jq -r .error <<<"$body")"
read -r code body <<<"$(api GET '/v1/accounts/a%2Fb/token')"
expect_eq "escaped slash in name: 400" "400 bad_request" "$code $(jq -r .error <<<"$body")"
read -r code body <<<"$(api GET '/v1/accounts/default%00/token')"
expect_eq "NUL in name: 400" "400 bad_request" "$code $(jq -r .error <<<"$body")"
read -r code body <<<"$(api GET "/v1/accounts/$(printf 'a%.0s' $(seq 65))/token")"
expect_eq "65-character name: 400" 400 "$code"
read -r code body <<<"$(api GET /v1/accounts/../token)"
expect_eq "'..' is no account" 404 "$code"
read -r code body <<<"$(api GET /v1/nothing)"
expect_eq "unknown path: 404" 404 "$code"
read -r code body <<<"$(api GET '/v1/accounts/default/token?min_valid=abc')"
expect_eq "bad min_valid: 400" "400 bad_request" "$code $(jq -r .error <<<"$body")"
big=$(head -c 100000 /dev/zero | tr '\0' 'x')
read -r code body <<<"$(api POST /v1/accounts/default/login "{\"flow\":\"$big\"}")"
expect_eq "oversized body: 413" "413 payload_too_large" "$code $(jq -r .error <<<"$body")"
code=$(curl -sS -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" -H "X-Big: $(head -c 40000 /dev/zero | tr '\0' 'y')" http://tessera/v1/status || true)
check "oversized header refused (got $code)" bash -c "[ '$code' -ge 400 ] && [ '$code' -lt 500 ]"
check "daemon survives all of it" kill -0 "$DAEMON_PID"

log "policy: SO_PEERCRED against users/admins"
code=$(as_user "$TEST_USER2" curl -sS -o /dev/null --unix-socket "$SOCK" -w '%{http_code}' http://tessera/v1/accounts/default/token)
expect_eq "unlisted uid: 403" 403 "$code"
expect_eq "unlisted uid: CLI exit 4" 4 "$(rc_of as_user "$TEST_USER2" "$TESSERA" token default)"
expect_eq "listed uid: 401 login_required (not 403)" 3 "$(rc_of as_user "$TEST_USER" "$TESSERA" token default)"
expect_eq "listed uid may not use the group's account" 4 "$(rc_of as_user "$TEST_USER" "$TESSERA" token other)"
expect_eq "supplementary group member may use 'other'" 3 "$(rc_of as_user "$TEST_USER2" "$TESSERA" token other)" 
out=$(as_user "$TEST_USER" "$TESSERA" --json status || true)
expect_eq "status shows only the caller's accounts" "default" "$(jq -r '[.accounts[].name]|join(" ")' <<<"$out")"
expect_eq "non-admin cannot log out: 403" 4 "$(rc_of as_user "$TEST_USER" "$TESSERA" logout default)"

log "a stored session is served"
stop_daemon
printf '%s\n%s\n' "$TOKEN" "$REFRESH" | "$SEED_SESSION" "$STATE" default "$ISSUER" 3600 "Alice Rossi" t-100 "Clinica Rossi"
check "no token bytes in plaintext under state_dir" bash -c "! grep -rqF -- '$TOKEN' '$STATE' && ! grep -rqF -- '${TOKEN:4:12}' '$STATE' && ! grep -rqF -- '$REFRESH' '$STATE'"
start_daemon
read -r code body <<<"$(api GET /v1/accounts/default/token)"
expect_eq "token served: 200" 200 "$code"
check "token value round-trips" bash -c "[ \"\$(jq -r .access_token <<<'$body')\" = '$TOKEN' ]"
expect_eq "token_type Bearer" Bearer "$(jq -r .token_type <<<"$body")"
expect_eq "tenant_id" t-100 "$(jq -r .tenant_id <<<"$body")"
check "expires_in about an hour" bash -c "[ \$(jq -r .expires_in <<<'$body') -gt 3500 ]"
check "CLI token prints exactly the token" bash -c "[ \"\$(as_user '$TEST_USER' '$TESSERA' token)\" = '$TOKEN' ]"
read -r code body <<<"$(api GET '/v1/accounts/default/token?min_valid=7200')"
expect_eq "min_valid beyond what the IdP grants: the freshest token" 200 "$code"
check "  with its true expires_in" bash -c "[ \$(jq -r .expires_in <<<'$body') -lt 7200 ]"
read -r code body <<<"$(api GET /v1/status)"
expect_eq "status: valid" valid "$(jq -r '.accounts[0].state' <<<"$body")"
expect_eq "status: user" "Alice Rossi" "$(jq -r '.accounts[0].user' <<<"$body")"
expect_eq "status: tokens_served counts" 3 "$(jq -r '.accounts[0].tokens_served' <<<"$body")"
check "audit line names the account and caller" grep -q "audit: token account=default pid=[0-9]* uid=[0-9]* gid=[0-9]* exe=" "$T/daemon.log"
# ... and the caller's systemd unit: a caller put in a unit of its own in
# every writable cgroup hierarchy, the way systemd places a service.
unit_name="tessera-audit-$$.service"
unit_dirs=()
for h in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified /sys/fs/cgroup; do
        [ -w "$h/cgroup.procs" ] && unit_dirs+=("$h/tessera-test.slice/$unit_name")
done
check "a cgroup hierarchy to put a caller in (as root)" test "${#unit_dirs[@]}" -gt 0
mkdir -p "${unit_dirs[@]}"
TESSERA_SOCKET=$SOCK bash -c 'for d in "$@"; do echo $$ >"$d/cgroup.procs"; done; exec "$TESSERA" token >/dev/null' \
        _ "${unit_dirs[@]}"
check "audit line names the caller's unit" grep -q "audit: token account=default pid=[0-9]* .* unit=$unit_name " "$T/daemon.log"
for d in "${unit_dirs[@]}"; do rmdir "$d" && rmdir "${d%/*}" 2>/dev/null || true; done
check "the log never contains the token" bash -c "! grep -qF -- '$TOKEN' '$T/daemon.log' && ! grep -qF -- '$REFRESH' '$T/daemon.log'"
tbl=$("$TESSERA" status default 2>&1 || true)
check "status table shows the tenant" grep -q "Clinica Rossi\|t-100" <<<"$tbl"
check "status table never shows the token" bash -c "! grep -qF -- '$TOKEN' <<<'$tbl'"

log "an expired token is not served"
stop_daemon
printf '%s\n' "$TOKEN" | "$SEED_SESSION" "$STATE" other "$ISSUER" -5
start_daemon
read -r code body <<<"$(api GET /v1/accounts/other/token)"
expect_eq "expired token: 401 login_required" "401 login_required" "$code $(jq -r .error <<<"$body")"

log "SIGHUP reload"
cat >> "$CONF" <<X

[account third]
client_id = x
client_secret_file = $T/etc/default.secret
X
kill -HUP "$DAEMON_PID"
sleep 0.3
read -r code body <<<"$(api GET /v1/status)"
expect_eq "reload added an account" "default other third" "$(jq -r '[.accounts[].name]|join(" ")' <<<"$body")"
read -r code body <<<"$(api GET /v1/accounts/default/token)"
expect_eq "unchanged account keeps its session" 200 "$code"
echo "bogus_key = 1" >> "$CONF"
kill -HUP "$DAEMON_PID"
sleep 0.3
check "invalid reload is logged with FILE:LINE" grep -q "tessera.conf:[0-9]*: " "$T/daemon.log"
read -r code body <<<"$(api GET /v1/status)"
expect_eq "invalid reload keeps the running config" "default other third" "$(jq -r '[.accounts[].name]|join(" ")' <<<"$body")"
read -r code body <<<"$(api GET /v1/accounts/default/token)"
expect_eq "and the session" 200 "$code"
write_config

log "a damaged store file"
stop_daemon
f="$STATE/accounts/default.session"
size=$(stat -c %s "$f")
printf '\x55' | dd of="$f" bs=1 seek=$((size / 2)) conv=notrunc status=none
printf '\xaa' | dd of="$f" bs=1 seek=$((size / 2 + 1)) conv=notrunc status=none
start_daemon
read -r code body <<<"$(api GET /v1/status)"
expect_eq "flipped bytes: account logged out" logged_out "$(jq -r '.accounts[0].state' <<<"$body")"
check "last_error says it was moved aside" bash -c "jq -r '.accounts[0].last_error' <<<'$body' | grep -q 'moved aside'"
check "file moved aside as .corrupt-" bash -c "ls '$STATE/accounts' | grep -q '^default.session.corrupt-'"
check "damage logged" grep -q "damaged" "$T/daemon.log"
check "daemon still running" kill -0 "$DAEMON_PID"

log "logout"
stop_daemon
printf '%s\n' "$TOKEN" | "$SEED_SESSION" "$STATE" default "$ISSUER" 3600
start_daemon
expect_eq "CLI logout exit 0" 0 "$(rc_of "$TESSERA" logout default)"
check "session file erased" test ! -e "$STATE/accounts/default.session"
read -r code body <<<"$(api GET /v1/accounts/default/token)"
expect_eq "after logout: 401" 401 "$code"

log "SIGTERM"
stop_daemon && rc=0 || rc=$?
expect_eq "SIGTERM exits 0" 0 "$rc"
check "socket unlinked" test ! -e "$SOCK"
check "stop logged" grep -q "shutting down" "$T/daemon.log"

log "a second daemon on a live socket refuses to start"
start_daemon
"$TESSERAD" --config "$CONF" >"$T/second.log" 2>&1 && rc=0 || rc=$?
expect_eq "second daemon exits 1" 1 "$rc"
check "and says why" grep -q "in use" "$T/second.log"
check "first daemon still serves" bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --unix-socket '$SOCK' http://x/v1/status)\" = 200 ]"

finish
