#!/bin/bash
# SPDX-License-Identifier: MIT
# The journal as the audit trail (issue 14): what journald would receive
# from tesserad. No journald runs here: journal-receiver.py stands in for it
# on the native socket, /run/systemd/journal/socket in a private mount
# namespace of the daemon, and parses the native protocol as journald does.
# The real daemon logs in against the test provider, hands out a token,
# forwards a gateway call and logs out; each entry must carry its MESSAGE_ID
# and TESSERA_* fields and never the token. Without journald (no
# JOURNAL_STREAM naming stderr) the old stderr lines stay as they were.
# The message catalog is checked with journalctl --update-catalog.
. "$(dirname "$0")/lib.sh"
require_test_users

ids_h="$TESSERA_SOURCE_ROOT/daemon/util/log-ids.h"
catalog="$TESSERA_SOURCE_ROOT/systemd/tessera.catalog"
id_of() { sed -n "s/^#define LOG_ID_$1 *\"\([0-9a-f]*\)\".*/\1/p" "$ids_h"; }
ID_TOKEN=$(id_of TOKEN_SERVED)
ID_API=$(id_of API_CALL)
ID_LOGIN=$(id_of LOGIN)
ID_LOGOUT=$(id_of LOGOUT)
ID_STATE=$(id_of STATE_CHANGED)
ID_ENDED=$(id_of SESSION_ENDED)

log "the message catalog"
all_ids=$(sed -n 's/^#define LOG_ID_[A-Z_]* *"\([0-9a-f]*\)".*/\1/p' "$ids_h" | sort)
expect_eq "six MESSAGE_IDs, 128 bits each" 6 "$(grep -cxE '[0-9a-f]{32}' <<<"$all_ids")"
expect_eq "the ids are distinct" 6 "$(sort -u <<<"$all_ids" | wc -l)"
mkdir -p "$T/root/usr/lib/systemd/catalog"
cp "$catalog" "$T/root/usr/lib/systemd/catalog/"
check "journalctl --update-catalog accepts it" bash -c "journalctl --root='$T/root' --update-catalog 2>'$T/catalog.err' && ! grep -q . '$T/catalog.err'"
journalctl --root="$T/root" --list-catalog >"$T/catalog.list" 2>&1 || true
expect_eq "--list-catalog lists exactly the daemon's ids, each Defined-By tessera" "$all_ids" \
        "$(sed -n 's/^\([0-9a-f]\{32\}\) tessera: .*/\1/p' "$T/catalog.list" | sort)"
entry_of() { awk -v id="-- $1" '$0 == id {on=1; next} /^-- /{on=0} on' "$catalog"; }
headers_of() { entry_of "$1" | grep -cE '^(Subject: .+|Defined-By: tessera|Documentation: man:tesserad\(8\))$'; }
for id in $all_ids; do
        expect_eq "  $id: Subject, Defined-By, Documentation" 3 "$(headers_of "$id")"
done

# ---- a journal socket in the daemon's own mount namespace ----
# $T/sd becomes /run/systemd for the daemon (a tmpfs over /run first where
# the host has no /run/systemd); the receiver, outside, binds the socket
# there by its real path.
mkdir -p "$T/sd/journal"
ENTRIES="$T/entries.jsonl"
RAW="$T/journal.raw"
python3 "$(dirname "$0")/journal-receiver.py" "$T/sd/journal/socket" "$ENTRIES" "$RAW" "$T/receiver.ready" \
        2>"$T/receiver.log" &
RECEIVER_PID=$!
CLEANUP_PIDS+=("$RECEIVER_PID")
for _ in $(seq 1 200); do [ -e "$T/receiver.ready" ] && break; sleep 0.05; done
check "the receiver is listening" test -S "$T/sd/journal/socket"
touch "$ENTRIES" "$RAW"

in_ns() {
        unshare --mount --propagation private -- sh -c '
                if [ ! -d /run/systemd ]; then mount -t tmpfs -o mode=0755 tmpfs /run && mkdir /run/systemd; fi
                mount --bind "$0" /run/systemd && exec "$@"' "$T/sd" "$@"
}

# start_daemon_ns [VAR=VALUE...]: tesserad with $T/sd as its /run/systemd
# (lib.sh), a clean logging environment plus the given variables.
unset JOURNAL_STREAM TESSERAD_LOG_TARGET
start_daemon_ns() {
        local a rc=0
        touch "$T/daemon.log"
        for a in "$@"; do export "${a?}"; done
        start_daemon_run_systemd "$T/sd" || rc=$?
        unset JOURNAL_STREAM TESSERAD_LOG_TARGET
        return $rc
}

n_entries() { jq -s --arg id "$1" '[.[] | select(.MESSAGE_ID == $id)] | length' "$ENTRIES"; }
# last ID [JQ-FILTER]: the last entry of that kind (matching the filter).
last() { jq -c --arg id "$1" "select(.MESSAGE_ID == \$id) | ${2:-.}" "$ENTRIES" | tail -n1; }
field() { jq -r --arg k "$2" '.[$k] // "(none)"' <<<"$1"; }
has_entries() { [ "$(n_entries "$1")" -ge "$2" ]; }
# has_entry JQ-CONDITION: some entry satisfies it.
has_entry() { jq -s -e "any(.[]; $1)" "$ENTRIES" >/dev/null; }
export -f n_entries has_entries has_entry
export ENTRIES

log "the receiver parses what libsystemd sends (plain, binary, memfd)"
in_ns python3 - <<'PY' 2>"$T/sdsend.err" || true
import ctypes
lib = ctypes.CDLL("libsystemd.so.0")
big = b"BIG=" + b"x" * (10 << 20)
lib.sd_journal_send(b"MESSAGE=plain", b"MESSAGE_ID=00000000000000000000000000000001",
                    b"MULTI=one\ntwo", None)
lib.sd_journal_send(b"MESSAGE=big", b"MESSAGE_ID=00000000000000000000000000000002", big, None)
PY
check "a value with a newline arrives whole (binary form)" wait_until 5 has_entries 00000000000000000000000000000001 1
expect_eq "  its value" "one
two" "$(field "$(last 00000000000000000000000000000001)" MULTI)"
check "an entry too big for a datagram arrives through a memfd" wait_until 5 has_entries 00000000000000000000000000000002 1
expect_eq "  all of it" "10485760 1" \
        "$(jq -r 'select(.MESSAGE_ID == "00000000000000000000000000000002") | (.BIG | length | tostring) + " " + ._VIA_MEMFD' "$ENTRIES")"

log "under journald: structured entries"
start_idp TESSERA_IDP_AT_TTL=300
write_idp_config
# journald hands a service its stderr stream and names it in JOURNAL_STREAM
# (systemd.exec(5)): here the log file stands for the stream.
touch "$T/daemon.log"
start_daemon_ns JOURNAL_STREAM="$(stat -c '%d:%i' "$T/daemon.log")"
login_code default alice alice-pw approve >/dev/null
expect_eq "logged in" done "$(login_result default | jq -r .state)"
check "login entry" wait_until 5 has_entries "$ID_LOGIN" 1
e=$(last "$ID_LOGIN")
expect_eq "  TESSERA_ACCOUNT/FLOW/RESULT/PRIORITY" "default code success 6" \
        "$(jq -r '[.TESSERA_ACCOUNT, .TESSERA_FLOW, .TESSERA_RESULT, .PRIORITY] | join(" ")' <<<"$e")"
expect_eq "  MESSAGE as on stderr" "account default: logged in as" "$(field "$e" MESSAGE | cut -d' ' -f1-5)"
expect_eq "  SYSLOG_IDENTIFIER" tesserad "$(field "$e" SYSLOG_IDENTIFIER)"
e=$(last "$ID_STATE" 'select(.TESSERA_STATE == "valid")')
expect_eq "state entry: login_pending -> valid" "default login_pending valid 6" \
        "$(jq -r '[.TESSERA_ACCOUNT, .TESSERA_OLD_STATE, .TESSERA_STATE, .PRIORITY] | join(" ")' <<<"$e")"
expect_eq "  MESSAGE" "account default: state valid (was login_pending)" "$(field "$e" MESSAGE)"
check "  logged_out -> login_pending too" has_entry '.TESSERA_STATE == "login_pending" and .TESSERA_OLD_STATE == "logged_out"'

uid=$(id -u "$TEST_USER")
gid=$(id -g "$TEST_USER")
token=$(as_user "$TEST_USER" curl -s --unix-socket "$SOCK" http://t/v1/accounts/default/token | jq -r .access_token)
check "a token was handed out" test -n "$token"
check "token entry" wait_until 5 has_entries "$ID_TOKEN" 1
e=$(last "$ID_TOKEN")
expect_eq "  TESSERA_ACCOUNT/UID/GID/OS_USER/SUB" "default $uid $gid $TEST_USER alice" \
        "$(jq -r '[.TESSERA_ACCOUNT, .TESSERA_UID, .TESSERA_GID, .TESSERA_OS_USER, .TESSERA_SUB] | join(" ")' <<<"$e")"
check "  TESSERA_PID is a number" grep -qxE '[0-9]+' <<<"$(field "$e" TESSERA_PID)"
expect_eq "  TESSERA_EXE is curl" curl "$(basename "$(field "$e" TESSERA_EXE)")"
check "  TESSERA_UNIT is set" bash -c "[ '$(field "$e" TESSERA_UNIT)' != '(none)' ]"
hash=$(python3 -c 'import hashlib,sys; print(hashlib.blake2b(sys.argv[1].encode(), digest_size=8).hexdigest())' "$token")
expect_eq "  TESSERA_TOKEN_HASH is the token's BLAKE2b-64" "$hash" "$(field "$e" TESSERA_TOKEN_HASH)"
expect_eq "  no TESSERA_SESSION_UID for a shared account" "(none)" "$(field "$e" TESSERA_SESSION_UID)"
check "  MESSAGE is the old stderr line" grep -qE \
        "^audit: token account=default pid=[0-9]+ uid=$uid gid=$gid exe=[^ ]+ unit=[^ ]+ os_user=$TEST_USER sub=alice token_hash=$hash\$" \
        <<<"$(field "$e" MESSAGE)"
check "  and it is not on stderr" bash -c "! grep -q 'audit: token' '$T/daemon.log'"
check "  other lines still are" grep -q 'code login requested by uid' "$T/daemon.log"
check "  ... and no other audit lines either" bash -c "! grep -q 'audit: api\|state valid' '$T/daemon.log'"

code=$(as_user "$TEST_USER" curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" \
        "http://t/v1/accounts/default/tenant/patients?limit=3&q=needle-7731")
expect_eq "a gateway call" 200 "$code"
check "gateway entry" wait_until 5 has_entries "$ID_API" 1
e=$(last "$ID_API")
expect_eq "  TESSERA_ACCOUNT/UID/METHOD/STATUS" "default $uid GET 200" \
        "$(jq -r '[.TESSERA_ACCOUNT, .TESSERA_UID, .TESSERA_METHOD, .TESSERA_STATUS] | join(" ")' <<<"$e")"
check "  TESSERA_PATH without the query" grep -qxE '/v2/tenants/[^/?]+/patients' <<<"$(field "$e" TESSERA_PATH)"
check "  TESSERA_DURATION_MS" grep -qxE '[0-9]+' <<<"$(field "$e" TESSERA_DURATION_MS)"
check "  MESSAGE is the old stderr line" grep -qE \
        "^audit: api account=default pid=[0-9]+ uid=$uid gid=$gid .*os_user=$TEST_USER sub=alice method=GET path=/v2/tenants/[^/]+/patients status=200 duration_ms=[0-9]+\$" \
        <<<"$(field "$e" MESSAGE)"
check "  no query string anywhere" bash -c "! grep -qa 'needle-7731\|limit=' '$RAW'"

read -r code _ <<<"$(api POST /v1/accounts/default/logout '{}')"
expect_eq "logout" 200 "$code"
check "logout entry" wait_until 5 has_entries "$ID_LOGOUT" 1
e=$(last "$ID_LOGOUT")
expect_eq "  TESSERA_ACCOUNT/UID/OS_USER/SUB" "default 0 root alice" \
        "$(jq -r '[.TESSERA_ACCOUNT, .TESSERA_UID, .TESSERA_OS_USER, .TESSERA_SUB] | join(" ")' <<<"$e")"
expect_eq "  MESSAGE" "account default: logged out by uid 0" "$(field "$e" MESSAGE)"
check "  and the state entry: valid -> logged_out" wait_until 5 has_entry \
        '.TESSERA_STATE == "logged_out" and .TESSERA_OLD_STATE == "valid"'

login_code default alice alice-pw deny >/dev/null || true
expect_eq "a refused login" failed "$(login_result default | jq -r .state)"
check "failed login entry" wait_until 5 has_entry '.TESSERA_RESULT == "failure"'
e=$(last "$ID_LOGIN" 'select(.TESSERA_RESULT == "failure")')
expect_eq "  at warning level, with the error code" "4 access_denied" \
        "$(jq -r '[.PRIORITY, .TESSERA_ERROR] | join(" ")' <<<"$e")"

check "no entry failed to parse" bash -c "! grep -q _PARSE_ERROR '$ENTRIES'"
check "every daemon entry has a known MESSAGE_ID and a TESSERA_ACCOUNT" bash -c \
        "jq -e -s --arg ids '$(tr '\n' ' ' <<<"$all_ids")' '[.[] | select(.SYSLOG_IDENTIFIER == \"tesserad\")] |
                length > 0 and all(.MESSAGE_ID as \$m | (\$ids | split(\" \") | index(\$m)) != null and .TESSERA_ACCOUNT != null)' '$ENTRIES' >/dev/null"
check "the token never reached the journal" bash -c "! grep -qF -- '$token' '$RAW'"
check "nor the client secret" bash -c "! grep -qF -- \"\$(cat '$T/etc/basic.secret')\" '$RAW'"
stop_daemon || true

log "not under journald: the stderr lines as before"
login_then_token() {
        login_code default alice alice-pw approve >/dev/null
        [ "$(login_result default | jq -r .state)" = done ] || return 1
        as_user "$TEST_USER" curl -s -o /dev/null --unix-socket "$SOCK" http://t/v1/accounts/default/token
}
for how in "no JOURNAL_STREAM:" "JOURNAL_STREAM of another file:JOURNAL_STREAM=1:1" \
           "TESSERAD_LOG_TARGET=stderr under journald:TESSERAD_LOG_TARGET=stderr"; do
        what=${how%%:*}
        var=${how#*:}
        : >"$T/daemon.log"
        before=$(wc -l <"$ENTRIES")
        if [ "$what" = "TESSERAD_LOG_TARGET=stderr under journald" ]; then
                start_daemon_ns "$var" JOURNAL_STREAM="$(stat -c '%d:%i' "$T/daemon.log")"
        else
                start_daemon_ns ${var:+"$var"}
        fi
        check "$what: login and token" login_then_token
        check "  the old token line on stderr" grep -qE \
                "audit: token account=default pid=[0-9]+ uid=$uid gid=$gid exe=[^ ]+ unit=[^ ]+ os_user=$TEST_USER sub=alice token_hash=[0-9a-f]{16}\$" \
                "$T/daemon.log"
        check "  its priority prefix" grep -q '^<6>audit: token ' "$T/daemon.log"
        check "  the state change line" grep -q '^<6>account default: state valid (was login_pending)$' "$T/daemon.log"
        sleep 0.2
        expect_eq "  nothing sent to the journal socket" "$before" "$(wc -l <"$ENTRIES")"
        api POST /v1/accounts/default/logout '{}' >/dev/null
        stop_daemon || true
done

log "TESSERAD_LOG_TARGET=journal without JOURNAL_STREAM"
: >"$T/daemon.log"
start_daemon_ns TESSERAD_LOG_TARGET=journal
n0=$(n_entries "$ID_TOKEN")
check "login and token" login_then_token
check "the token entry went to the journal" wait_until 5 has_entries "$ID_TOKEN" $((n0 + 1))
check "  not to stderr" bash -c "! grep -q 'audit: token' '$T/daemon.log'"
stop_daemon || true

log "the journal goes away: the lines fall back to stderr"
: >"$T/daemon.log"
start_daemon_ns TESSERAD_LOG_TARGET=journal
kill -TERM "$RECEIVER_PID" 2>/dev/null || true
wait "$RECEIVER_PID" 2>/dev/null || true
check "nobody listens on the socket: login and token" login_then_token
check "  the token line is on stderr" grep -q '^<6>audit: token account=default ' "$T/daemon.log"
api POST /v1/accounts/default/logout '{}' >/dev/null
stop_daemon || true
rm -f "$T/sd/journal/socket"
: >"$T/daemon.log"
start_daemon_ns TESSERAD_LOG_TARGET=journal
check "no journal socket at all: login and token" login_then_token
check "  the token line is on stderr" grep -q '^<6>audit: token account=default ' "$T/daemon.log"
stop_daemon || true

# The per-user session end ($ID_ENDED) needs logind: test-per-user.sh drives
# it; its fields are checked by tests/unit/test-audit.c.
: "$ID_ENDED"
if [ "$FAILED" -ne 0 ]; then
        echo "--- journal entries (without BIG) ---"
        jq -c 'del(.BIG)' "$ENTRIES" || true
        cat "$T/receiver.log" || true
fi
finish
