#!/bin/bash
# SPDX-License-Identifier: MIT
# Secrets never leak (issue 7, part 6). A full login, refreshes, failures
# and a logout at debug log level, twice:
#   - against fault-idp.mjs, which reports every authorization code, access
#     token and refresh token it issued, so all of them can be searched for;
#   - against the real test provider (oidc-provider): the access tokens, the
#     authorization code (captured from the browser's redirect and delivered
#     by hand) and the client secrets.
# Searched: every daemon log line, every file under state_dir, the daemon's
# environment and command line, and the output of every CLI command except
# `tessera token` (whose job is to print the token), in plain, percent- and
# base64-encoded form and as fragments. Then: the daemon is not dumpable,
# no other uid (nor its own) can ptrace it, and a crash leaves no core.
. "$(dirname "$0")/lib.sh"
require_test_users

PY=/usr/bin/python3
SCAN="$TESSERA_SOURCE_ROOT/tests/integration/secret-scan.py"
OUT="$T/out"
mkdir -p "$OUT" "$T/proc"
SECRETS="$T/secrets.tsv"
: > "$SECRETS"
chmod 0600 "$SECRETS"
export TESSERA_SOCKET=$SOCK

# add_secret LABEL VALUE
add_secret() { printf '%s\t%s\n' "$1" "$2" >> "$SECRETS"; }
# cli NAME ARGS...: runs the CLI, keeping stdout and stderr for the scan.
cli() { local n=$1; shift; "$TESSERA" "$@" >"$OUT/$n.stdout" 2>"$OUT/$n.stderr" || true; }
next_second() { local s; s=$(date +%s); while [ "$(date +%s)" = "$s" ]; do sleep 0.02; done; }
snapshot_proc() {
        cp "/proc/$DAEMON_PID/environ" "$T/proc/environ.$1"
        cp "/proc/$DAEMON_PID/cmdline" "$T/proc/cmdline.$1"
}

# scan LABEL: no secret anywhere it must not be.
scan() {
        local res
        res=$("$PY" "$SCAN" "$SECRETS" "$T/daemon.log" "$STATE" "$OUT" "$T/proc")
        grep '^HIT\|^UNREADABLE' <<<"$res" | sed 's/^/# /' || true
        check "$1: $(tail -n1 <<<"$res") searched for $(wc -l <"$SECRETS") secrets, no hit" \
                test "$(grep '^hits ' <<<"$res")" = "hits 0"
}

# ---------------------------------------------------------------------
log "against the fault provider: every code and token is known"
start_fault_idp
{ fault_daemon_section debug; fault_account s; } > "$CONF"
start_daemon
snapshot_proc 1

"$TESSERA" login s --no-browser >"$OUT/login.stdout" 2>"$OUT/login.stderr" &
cli_pid=$!
wait_until 10 grep -q 'http://' "$OUT/login.stdout" "$OUT/login.stderr"
url=$(grep -ho 'http://[^ ]*' "$OUT/login.stdout" "$OUT/login.stderr" | head -n1)
loc=$(curl -sS -o /dev/null -w '%{redirect_url}' "$url")
code=$(curl -s -o /dev/null -w '%{http_code}' "$loc")
expect_eq "the browser lands on the success page" 200 "$code"
wait "$cli_pid" && rc=0 || rc=$?
expect_eq "tessera login exits 0" 0 "$rc"
cli status status s
cli status-json --json status
cli accounts accounts

for i in 1 2 3 4 5; do
        next_second
        curl -sS --unix-socket "$SOCK" "http://t/v1/accounts/s/token?min_valid=3600" -o /dev/null
done
next_second
"$TESSERA" token s --min-valid 3600 >/dev/null 2>"$OUT/token.stderr"
check "six refreshes" test "$(fault_stat s refresh_grants)" -ge 6
fault_ctl s '{"token":{"mode":"html","count":1}}'
next_second
curl -sS --unix-socket "$SOCK" "http://t/v1/accounts/s/token?min_valid=3600" -o /dev/null
check "a failed refresh recovers" wait_until 20 bash -c '[ "$(account_field s state)" = valid ]'
fault_ctl s '{"userinfo":{"mode":"garbage","count":1}}'
fault_login s >/dev/null
check "a failed login (its tokens revoked)" bash -c "[ \"\$(login_wait s 20 | jq -r .error)\" = userinfo_failed ]"
cli status-degraded status s
snapshot_proc 2
# Root can always read a process's memory: PR_SET_DUMPABLE only keeps
# other uids (and the kernel's core dumps) out. How much a memory image
# taken by root shows is reported, not judged: secrets in sodium_malloc
# memory are marked MADV_DONTDUMP, copies elsewhere (libcurl, json-c,
# libmicrohttpd buffers) are not.
# Not for a sanitizer build: an ASan process maps terabytes of shadow
# memory and its image filled a 250 GB disk.
if ! grep -q asan "/proc/$DAEMON_PID/maps" 2>/dev/null &&
   gcore -o "$T/root-core" "$DAEMON_PID" >/dev/null 2>&1; then
        live=$(curl -s "$FAULT_HTTP/_ctl/s/issued")
        {
                printf 'live_access_token\t%s\n' "$(jq -r '.access_tokens[-1]' <<<"$live")"
                printf 'live_refresh_token\t%s\n' "$(jq -r '.refresh_tokens[-1]' <<<"$live")"
                printf 'any_access_token\t%s\n' $(jq -r '.access_tokens[]' <<<"$live")
                printf 'any_refresh_token\t%s\n' $(jq -r '.refresh_tokens[]' <<<"$live")
                printf 'client_secret\t%s\n' "$(cat "$T/etc/fault.secret")"
        } > "$T/core-secrets.tsv"
        res=$("$PY" "$SCAN" "$T/core-secrets.tsv" "$T"/root-core.*)
        log "memory image taken by root (information, not a check): $(grep -c '^HIT' <<<"$res" || true) hits"
        grep '^HIT' <<<"$res" | awk '{print "#   " $2 " " $3}' | sort | uniq -c || true
        rm -f "$T"/root-core.* "$T/core-secrets.tsv"
fi
cli logout logout s
check "logged out" test ! -e "$STATE/accounts/s.session"
cli status-after status s

issued=$(curl -s "$FAULT_HTTP/_ctl/s/issued")
while read -r c; do add_secret code "$c"; done < <(jq -r '.codes[]' <<<"$issued")
while read -r t; do add_secret access_token "$t"; done < <(jq -r '.access_tokens[]' <<<"$issued")
while read -r t; do add_secret refresh_token "$t"; done < <(jq -r '.refresh_tokens[]' <<<"$issued")
fsecret=$(cat "$T/etc/fault.secret")
add_secret client_secret "$fsecret"
add_secret basic_credentials "$(printf 'fault-client:%s' "$fsecret" | base64 -w0)"
log "issued: $(jq -r '.codes|length' <<<"$issued") codes, $(jq -r '.access_tokens|length' <<<"$issued") access tokens, $(jq -r '.refresh_tokens|length' <<<"$issued") refresh tokens"
# The scanner finds what it must: a log line with half of a refresh
# token in it.
mkdir -p "$T/canary"
rt=$(jq -r '.refresh_tokens[0]' <<<"$issued")
echo "<7>debug: refresh ...${rt:4:16}..." > "$T/canary/log"
check "(control: the scanner finds a fragment of a refresh token)" \
        bash -c "'$PY' '$SCAN' '$SECRETS' '$T/canary' > '$T/canary.out'; grep -q '^HIT refresh_token fragment' '$T/canary.out'"
rm -rf "$T/canary" "$T/canary.out"
check "the debug log is not empty ($(wc -l <"$T/daemon.log") lines)" test "$(wc -l <"$T/daemon.log")" -ge 30
scan "fault provider"
stop_daemon
kill -TERM "$FAULT_IDP_PID" 2>/dev/null || true

# ---------------------------------------------------------------------
log "against the real provider"
rm -rf "$STATE"
: > "$SECRETS"
mv "$T/daemon.log" "$T/daemon-fault.log"
rm -f "$OUT"/* "$T/proc"/*
start_idp TESSERA_IDP_AT_TTL=600
write_idp_config
start_daemon
snapshot_proc 1
read -r code body <<<"$(api POST /v1/accounts/default/login '{"flow":"code"}')"
url=$(jq -r .authorize_url <<<"$body")
UA_CAPTURE_REDIRECT="$T/redirect.url" "$IDP_DIR/ua-code-login.sh" "$url" alice alice-pw approve >/dev/null
authcode=$(sed -n 's/.*[?&]code=\([^&]*\).*/\1/p' "$T/redirect.url")
check "the authorization code was captured" test -n "$authcode"
add_secret code "$authcode"
expect_eq "delivered by hand: the success page" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$(cat "$T/redirect.url")")"
rm -f "$T/redirect.url"
expect_eq "login done" done "$(login_result default | jq -r .state)"
add_secret access_token "$("$TESSERA" token default 2>"$OUT/token1.stderr")"
cli status status default
cli status-json --json status
for i in 1 2 3; do
        next_second
        add_secret access_token "$(curl -sS --unix-socket "$SOCK" "http://t/v1/accounts/default/token?min_valid=600" | jq -r .access_token)"
done
check "three refreshes at the provider" test "$(curl -s "$API_BASE/_test/stats" | jq -r .refresh_grants)" -ge 3
check "distinct access tokens" test "$(cut -f2 "$SECRETS" | sort -u | wc -l)" -eq "$(wc -l <"$SECRETS")"
"$TESSERA" login post --no-browser >"$OUT/login-post.stdout" 2>"$OUT/login-post.stderr" &
cli_pid=$!
wait_until 10 grep -q 'http://' "$OUT/login-post.stdout" "$OUT/login-post.stderr"
url=$(grep -ho 'http://[^ ]*' "$OUT/login-post.stdout" "$OUT/login-post.stderr" | head -n1)
"$IDP_DIR/ua-code-login.sh" "$url" alice alice-pw approve >/dev/null
wait "$cli_pid" || true
add_secret access_token "$("$TESSERA" token post 2>"$OUT/token2.stderr")"
snapshot_proc 2
cli logout logout default
cli logout-post logout post
for c in tessera-basic tessera-post; do
        s=$(client_secret "$c")
        add_secret client_secret "$s"
        add_secret basic_credentials "$(printf '%s:%s' "$c" "$s" | base64 -w0)"
done
log "refresh tokens of the real provider are not searched: it does not reveal them"
scan "real provider"

# ---------------------------------------------------------------------
log "the daemon is not dumpable"
# A daemon of an ordinary uid shows what PR_SET_DUMPABLE 0 changes: its
# /proc files belong to root, and even its own uid cannot ptrace it.
stop_daemon
stop_idp
D="$T/asuser"
mkdir -p "$D/state" "$D/run"
chown "$TEST_USER" "$D/state" "$D/run"
chmod 0755 "$D"
install -o "$TEST_USER" -m 0600 /dev/null "$D/secret"
echo "user-daemon-secret-value" > "$D/secret"
cat > "$D/tessera.conf" <<CONF
[daemon]
state_dir = $D/state
socket = $D/run/api.sock
socket_mode = 0666
admins = root
log_level = debug

[account u]
client_id = x
client_secret_file = $D/secret
CONF
chmod 0644 "$D/tessera.conf"
(cd "$D/run" && ulimit -c unlimited && exec runuser -u "$TEST_USER" -- "$TESSERAD" --config "$D/tessera.conf") \
        >"$D/daemon.log" 2>&1 &
upid=$!
CLEANUP_PIDS+=("$upid")
wait_until 10 curl -sf -o /dev/null --unix-socket "$D/run/api.sock" http://t/v1/status
dpid=$(pgrep -P "$upid" -x tesserad | head -n1)
check "the daemon runs as $TEST_USER" test -n "$dpid"
expect_eq "its /proc files belong to root (not dumpable)" root "$(stat -c %U "/proc/$dpid/environ")"
# The control: an ordinary process of the same uid is dumpable and traceable.
(runuser -u "$TEST_USER" -- bash -c "echo \$\$ > '$D/run/control.pid'; exec sleep 60"; true) 2>/dev/null &
ctl_pid=$!
CLEANUP_PIDS+=("$ctl_pid")
wait_until 5 test -s "$D/run/control.pid"
ctl_child=$(cat "$D/run/control.pid")
expect_eq "(control: a dumpable process of that uid owns its /proc files)" "$TEST_USER" "$(stat -c %U "/proc/$ctl_child/environ")"
check "(control: gdb as that uid can attach to it)" \
        bash -c "runuser -u '$TEST_USER' -- gdb -q -batch -nx -p $ctl_child -ex 'info inferiors' 2>&1 | grep -q 'process $ctl_child'"
kill "$ctl_child" 2>/dev/null || true
wait "$ctl_pid" 2>/dev/null || true
for u in "$TEST_USER" "$TEST_USER2"; do
        check "$u cannot read the daemon's memory" \
                bash -c "! runuser -u '$u' -- dd if=/proc/$dpid/mem bs=1 count=1 skip=4096 status=none 2>/dev/null"
        check "$u cannot read its environment" bash -c "! runuser -u '$u' -- cat /proc/$dpid/environ >/dev/null 2>&1"
        out=$(cd "$D" && runuser -u "$u" -- gcore -o "$D/gcore-$u" "$dpid" 2>&1 || true)
        check "$u: gcore is refused" bash -c "! ls '$D'/gcore-$u* >/dev/null 2>&1"
        check "$u: gdb cannot attach" \
                bash -c "! runuser -u '$u' -- gdb -q -batch -nx -p $dpid -ex 'info inferiors' 2>&1 | grep -q 'process $dpid'"
done
kill -SEGV "$dpid"
wait "$upid" 2>/dev/null || true
sleep 0.5
check "the daemon died of SIGSEGV" bash -c "! kill -0 $dpid 2>/dev/null"
log "core_pattern: $(cat /proc/sys/kernel/core_pattern), suid_dumpable: $(cat /proc/sys/fs/suid_dumpable)"
check "and left no core file" bash -c "! ls '$D/run' '$D/state' '$D' 2>/dev/null | grep -q '^core'"

finish
