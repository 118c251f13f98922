#!/bin/bash
# SPDX-License-Identifier: MIT
# Faults from the machine (issue 7, part 4):
#   - a damaged store file, many ways (truncated, bit-flipped, swapped,
#     another key, not a regular file): the account is logged out with a
#     clear error, the file is moved aside, nothing else is touched;
#   - kill -9 at 50 random moments of refreshes and logins against the real
#     provider: zero sessions lost outside the unavoidable rotation window
#     (counted separately);
#   - a full disk (state_dir on a small tmpfs): the write fails, the previous
#     session stays intact and readable, the error is logged, and the write
#     succeeds once there is space again.
. "$(dirname "$0")/lib.sh"
require_test_users

SMALL="$T/smallfs"
# The tmpfs must go before lib.sh's cleanup removes $T.
trap 'rc=$?; set +e; umount -l "$SMALL" 2>/dev/null; (exit $rc); cleanup' EXIT

start_fault_idp

# ---------------------------------------------------------------------
log "damaged store files"
write_store_config() {
        { fault_daemon_section debug; fault_account a; fault_account b; } > "$CONF"
}
write_store_config
start_daemon
for acct in a b; do
        check "$acct: good login" test "$(fault_login "$acct")" = 200
        login_wait "$acct" 20 >/dev/null
done
stop_daemon
cp "$STATE/accounts/a.session" "$T/a.good"
cp "$STATE/accounts/b.session" "$T/b.good"
size=$(stat -c %s "$T/a.good")

# A session written with another key: another state dir, same account.
mkdir -p "$T/otherkey"
printf 'other-key-at\nother-key-rt\n' | "$SEED_SESSION" "$T/otherkey" a "$FAULT_HTTP/i/a" 3600

flip() { # flip FILE OFFSET
        local b
        b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
        printf "\\$(printf '%03o' $(( (b ^ 0x5a) & 0xff )))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# damage KIND: turns accounts/a.session into the damaged file of KIND.
damage() {
        local f="$STATE/accounts/a.session"
        rm -rf "$f"
        cp "$T/a.good" "$f"
        case $1 in
        empty) : > "$f" ;;
        one-byte) truncate -s 1 "$f" ;;
        header-only) truncate -s 24 "$f" ;;
        half) truncate -s $((size / 2)) "$f" ;;
        minus-one) truncate -s $((size - 1)) "$f" ;;
        plus-one) printf 'x' >> "$f" ;;
        magic) flip "$f" 0 ;;
        version) flip "$f" 4 ;;
        nonce) flip "$f" 12 ;;
        body) flip "$f" $((size / 2)) ;;
        tag) flip "$f" $((size - 1)) ;;
        random) head -c "$size" /dev/urandom > "$f" ;;
        zeros) head -c "$size" /dev/zero > "$f" ;;
        huge) head -c $((4 * 1024 * 1024)) /dev/urandom > "$f" ;;
        swapped) cp "$T/b.good" "$f" ;;
        other-key) cp "$T/otherkey/accounts/a.session" "$f" ;;
        fifo) rm -f "$f"; mkfifo -m 0600 "$f" ;;
        directory) rm -f "$f"; mkdir -m 0700 "$f" ;;
        esac
}
KINDS=(empty one-byte header-only half minus-one plus-one magic version nonce body tag random zeros huge
       swapped other-key fifo directory)
for kind in "${KINDS[@]}"; do
        cp "$T/b.good" "$STATE/accounts/b.session"
        damage "$kind"
        start_daemon
        expect_eq "$kind: damaged account is logged out" logged_out "$(account_field a state)"
        check "$kind: last_error says it was moved aside" bash -c "account_field a last_error | grep -q 'moved aside'"
        check "$kind: the damaged file was moved aside" bash -c "ls '$STATE/accounts' | grep -q '^a.session.corrupt-'"
        check "$kind: no file left under the session's name" test ! -e "$STATE/accounts/a.session"
        expect_eq "$kind: the other account is untouched" valid "$(account_field b state)"
        check "$kind: a new login stores a fresh session" test "$(fault_login a)" = 200
        expect_eq "$kind: ... and the account is valid" "done valid" "$(login_wait a 20 | jq -r .state) $(account_field a state)"
        stop_daemon
        rm -rf "$STATE"/accounts/a.session.corrupt-*
done
check "damage logged as such" grep -q "stored session is damaged" "$T/daemon.log"

log "a symlink in place of the session file is not followed"
rm -f "$STATE/accounts/a.session"
cp "$T/a.good" "$T/a.elsewhere"
ln -s "$T/a.elsewhere" "$STATE/accounts/a.session"
start_daemon
expect_eq "symlink: the account is not loaded through it" logged_out "$(account_field a state)"
check "symlink: last_error says the session could not be read" bash -c "account_field a last_error | grep -qi 'cannot read\|damaged'"
check "symlink: the daemon still runs" kill -0 "$DAEMON_PID"
stop_daemon
rm -f "$STATE/accounts/a.session"

# ---------------------------------------------------------------------
log "kill -9 at 50 random moments of refreshes and logins (real provider)"
# 10-minute tokens: the daemon plans no background refresh during the
# test, and token?min_valid=600 refreshes whenever a wall-clock second
# has passed since the last one.
rm -rf "$STATE"
start_idp TESSERA_IDP_AT_TTL=600
write_idp_config
start_daemon
export TESSERA_SOCKET=$SOCK

stat_of() { curl -s "$API_BASE/_test/stats" | jq -r ".$1 // 0"; }
next_second() { local s; s=$(date +%s); while [ "$(date +%s)" = "$s" ]; do sleep 0.02; done; }
relogin() {
        login_code default alice alice-pw approve >/dev/null &&
                [ "$(login_result default | jq -r .state)" = done ]
}
check "login" relogin

# Kills must land anywhere in an operation, not mostly after it: spread
# them over twice the time a refresh (or the end of a login: code
# exchange, userinfo, durable write) takes on this machine.
ms_of() { awk '{printf "%d", $1 * 1000}'; }
slowest=0
for _ in 1 2 3; do
        next_second
        ms=$(curl -s -o /dev/null -w '%{time_total}' --unix-socket "$SOCK" "http://t/v1/accounts/default/token?min_valid=600" | ms_of)
        [ "$ms" -gt "$slowest" ] && slowest=$ms
done
SPAN_REFRESH=$((slowest * 2 > 10 ? slowest * 2 : 10))
read -r code body <<<"$(api POST /v1/accounts/default/login '{"flow":"code"}')"
UA_CAPTURE_REDIRECT="$T/redirect" "$IDP_DIR/ua-code-login.sh" "$(jq -r .authorize_url <<<"$body")" alice alice-pw approve >/dev/null
ms=$(curl -s -o /dev/null -w '%{time_total}' --max-time 10 "$(cat "$T/redirect")" | ms_of)
login_result default >/dev/null
SPAN_LOGIN=$((ms * 2 > 20 ? ms * 2 : 20))
echo "# kill moments: 0-$SPAN_REFRESH ms into a refresh, 0-$SPAN_LOGIN ms after the browser's callback"

rounds=50 lost=0 window=0 n_refresh=0 n_login=0 durable=0
declare -A PHASE=()
for i in $(seq 1 "$rounds"); do
        next_second
        lines=$(wc -l < "$T/daemon.log")
        g0=$(stat_of refresh_grants)
        if [ $((i % 5)) -lt 3 ]; then
                kind=refresh
                n_refresh=$((n_refresh + 1))
                curl -s --max-time 10 --unix-socket "$SOCK" "http://t/v1/accounts/default/token?min_valid=600" -o /dev/null &
                client=$!
                delay=$((RANDOM % SPAN_REFRESH))
        else
                kind=login
                n_login=$((n_login + 1))
                read -r code body <<<"$(api POST /v1/accounts/default/login '{"flow":"code"}')"
                url=$(jq -r .authorize_url <<<"$body")
                UA_CAPTURE_REDIRECT="$T/redirect" "$IDP_DIR/ua-code-login.sh" "$url" alice alice-pw approve >/dev/null
                curl -s --max-time 10 -o /dev/null "$(cat "$T/redirect")" &
                client=$!
                delay=$((RANDOM % SPAN_LOGIN))
        fi
        sleep "$(printf '0.%03d' "$delay")"
        kill -9 "$DAEMON_PID"
        wait "$DAEMON_PID" 2>/dev/null || true
        DAEMON_PID=
        wait "$client" 2>/dev/null || true
        g1=$(stat_of refresh_grants)
        # Where the kill landed, from the last line the daemon logged.
        after=$(tail -n +"$((lines + 1))" "$T/daemon.log")
        if grep -q "tokens refreshed\|logged in as" <<<"$after"; then phase=after-durable-write
        elif grep -q "refreshing tokens\|callback received" <<<"$after"; then phase=in-flight
        else phase=before-request; fi
        PHASE[$kind/$phase]=$(( ${PHASE[$kind/$phase]:-0} + 1 ))

        start_daemon
        next_second
        out=$(curl -sS --max-time 20 --unix-socket "$SOCK" "http://t/v1/accounts/default/token?min_valid=600")
        tok=$(jq -r .access_token <<<"$out")
        if [ "$tok" != null ] && [ "$(introspect_active "$tok")" = true ]; then
                [ "$phase" = after-durable-write ] && durable=$((durable + 1))
                continue
        fi
        err=$(account_field default last_error)
        if [ "$kind" = refresh ] && [ "$g1" -gt "$g0" ] && grep -q invalid_grant <<<"$err"; then
                window=$((window + 1))
                echo "# round $i ($kind, kill after ${delay} ms): killed between the provider's rotation and the durable write"
        else
                lost=$((lost + 1))
                echo "# round $i ($kind, kill after ${delay} ms, $phase): session lost: $(jq -c 'del(.access_token)' <<<"$out") / $err"
        fi
        relogin
done
expect_eq "sessions lost over $rounds kill -9 rounds, outside the rotation window" 0 "$lost"
echo "# kill -9 rounds: $rounds ($n_refresh during a refresh, $n_login during a login)"
echo "# kills inside the unavoidable rotation window: $window"
echo "# kills after the new session was durable: $durable"
for k in "${!PHASE[@]}"; do echo "# kill landed: $k: ${PHASE[$k]}"; done | sort
check "the stored session still refreshes at the end" bash -c "[ \"\$(token_of default 600)\" != null ]"
stop_daemon
stop_idp

# ---------------------------------------------------------------------
log "a full disk"
mkdir -p "$SMALL"
mount -t tmpfs -o size=256k,mode=0700 tmpfs "$SMALL"
STATE="$SMALL/state"
{ fault_daemon_section debug; fault_account d; } > "$CONF"
start_daemon
check "login on the small file system" test "$(fault_login d)" = 200
login_wait d 20 >/dev/null
T0=$(token_of d)
cp "$STATE/accounts/d.session" "$T/d.before"
# Fill it up: the daemon's next write fails with ENOSPC.
dd if=/dev/zero of="$SMALL/filler" bs=4k status=none 2>/dev/null || true
check "the file system is full" bash -c "! dd if=/dev/zero of='$SMALL/probe' bs=4k count=1 status=none 2>/dev/null"
rm -f "$SMALL/probe"
g0=$(fault_stat d refresh_grants)
sleep 1
expect_eq "disk full: the refresh happens, the old token is still served" "$T0" "$(token_of d 3600)"
expect_eq "  the provider rotated the refresh token" $((g0 + 1)) "$(fault_stat d refresh_grants)"
expect_eq "  state degraded" degraded "$(account_field d state)"
check "  last_error says the session could not be stored" bash -c "account_field d last_error | grep -q 'cannot store the renewed session: No space left'"
check "  the error is logged" grep -q "account d: cannot store the renewed session (No space left on device)" "$T/daemon.log"
check "  the stored file is untouched" cmp -s "$T/d.before" "$STATE/accounts/d.session"
check "  no temporary file left behind" bash -c "[ \$(ls -A '$STATE/accounts' | wc -l) = 1 ]"
sleep 3
check "  retries do not refresh again: the new refresh token is kept in memory" test "$(fault_stat d refresh_grants)" -eq $((g0 + 1))
check "  retries are logged" bash -c "[ \$(grep -c 'cannot store the renewed session' '$T/daemon.log') -ge 2 ]"

# The file on disk still opens: a second daemon with a copy of the state.
mkdir -p "$T/copy"
cp -a "$STATE" "$T/copy/state"
cat > "$T/copy.conf" <<CONF
$(STATE="$T/copy/state" SOCK="$T/copy/api.sock" fault_daemon_section info)
$(fault_account d)
CONF
"$TESSERAD" --config "$T/copy.conf" >"$T/copy.log" 2>&1 &
copy_pid=$!
CLEANUP_PIDS+=("$copy_pid")
wait_until 10 curl -sf -o /dev/null --unix-socket "$T/copy/api.sock" http://t/v1/status
expect_eq "  the previous session is readable from the file on the full disk" "$T0" \
        "$(curl -s --unix-socket "$T/copy/api.sock" http://t/v1/accounts/d/token | jq -r .access_token)"
kill -TERM "$copy_pid"; wait "$copy_pid" || true

log "a login on the full disk"
rev0=$(fault_stat d revocations)
fault_login d >/dev/null
res=$(login_wait d 20)
expect_eq "login fails: store_failed" "failed store_failed" "$(jq -r '.state + " " + .error' <<<"$res")"
check "  the message says no space" bash -c "jq -r .message <<<'$res' | grep -q 'No space left'"
expect_eq "  the old token is still served" "$T0" "$(token_of d)"
# Nothing of that login was stored: like a failed userinfo call, it must
# give its tokens back instead of leaving a live grant at the provider.
check "  the unstorable login's tokens are revoked at the provider" \
        wait_until 5 bash -c "[ \$(curl -s '$FAULT_HTTP/_ctl/d' | jq -r '.revocations // 0') -ge $((rev0 + 2)) ]"

log "space is back"
rm -f "$SMALL/filler"
check "the retry stores the renewed session" wait_until 70 bash -c "[ \"\$(account_field d state)\" = valid ]"
T1=$(token_of d)
check "the renewed token is served now" test "$T1" != "$T0"
check "the file changed" bash -c "! cmp -s '$T/d.before' '$STATE/accounts/d.session'"
expect_eq "no further refresh was needed for it" $((g0 + 1)) "$(fault_stat d refresh_grants)"
stop_daemon
start_daemon
expect_eq "after a restart the renewed session is loaded" "$T1" "$(token_of d)"
sleep 1
check "and its rotated refresh token works" bash -c "t=\$(token_of d 3600); [ \"\$t\" != null ] && [ \"\$t\" != '$T1' ]"
expect_eq "state valid" valid "$(account_field d state)"
stop_daemon
umount "$SMALL"

finish
