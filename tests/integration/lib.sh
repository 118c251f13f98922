# SPDX-License-Identifier: MIT
# Shared helpers for the integration tests: a temporary world with a real
# tesserad on a real Unix socket. Sourced by each test-*.sh.
#
# Environment from meson: TESSERAD, TESSERA (the CLI), SEED_SESSION,
# TESSERA_SOURCE_ROOT.

set -euo pipefail

TEST_USER=${TESSERA_TEST_USER:-tessera-test}
TEST_USER2=${TESSERA_TEST_USER2:-tessera-test2}
TEST_GROUP=${TESSERA_TEST_GROUP:-tessera-test-grp}

T=$(mktemp -d /tmp/tessera-it.XXXXXX)
# Other test uids must reach the socket: policy, not permissions, is tested.
chmod 0755 "$T"
DAEMON_PID=
FAILED=0
CHECKS=0

cleanup() {
        local rc=$?
        if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
                kill -TERM "$DAEMON_PID" 2>/dev/null || true
                wait "$DAEMON_PID" 2>/dev/null || true
        fi
        for f in "${CLEANUP_PIDS[@]:-}"; do
                [ -n "$f" ] && kill -TERM "$f" 2>/dev/null || true
        done
        if [ "$rc" -ne 0 ] || [ "$FAILED" -ne 0 ]; then
                echo "--- daemon log (tail) ---"
                tail -n 60 "$T/daemon.log" 2>/dev/null || true
        fi
        rm -rf "$T"
}
CLEANUP_PIDS=()
trap cleanup EXIT

log() { echo "# $*"; }

pass() { CHECKS=$((CHECKS + 1)); echo "ok - $*"; }

fail() {
        CHECKS=$((CHECKS + 1))
        FAILED=$((FAILED + 1))
        echo "not ok - $*"
}

# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
        local what=$1
        shift
        if "$@"; then pass "$what"; else fail "$what"; fi
}

# expect_eq DESCRIPTION EXPECTED ACTUAL
expect_eq() {
        if [ "$2" = "$3" ]; then pass "$1"; else fail "$1 (expected '$2', got '$3')"; fi
}

finish() {
        echo "# $CHECKS checks, $FAILED failed"
        [ "$FAILED" -eq 0 ]
}

require_test_users() {
        if ! id "$TEST_USER" >/dev/null 2>&1 || ! getent group "$TEST_GROUP" >/dev/null; then
                echo "test users missing: run tests/setup-test-env (as root) first" >&2
                exit 1
        fi
}

# Runs a command as another uid; the environment it needs is passed on.
as_user() {
        local user=$1
        shift
        runuser -u "$user" -- env TESSERA_SOCKET="$SOCK" "$@"
}

SOCK="$T/run/api.sock"
STATE="$T/state"
CONF="$T/etc/tessera.conf"
mkdir -p "$T/etc/conf.d" "$T/run"
chmod 0755 "$T/run"
echo "test-client-secret-value" > "$T/etc/default.secret"
chmod 0600 "$T/etc/default.secret"

# write_config [EXTRA ACCOUNT LINES]: a config with accounts "default" and
# "other"; the test user may use "default", the test group may use "other".
write_config() {
        cat > "$CONF" <<CONF
[daemon]
state_dir = $STATE
socket = $SOCK
socket_mode = 0666
admins = root
log_level = ${LOG_LEVEL:-debug}

[account default]
issuer = ${ISSUER:-https://account.gipo.example}
client_id = ${CLIENT_ID:-tessera-basic}
client_secret_file = $T/etc/default.secret
users = $TEST_USER
${DEFAULT_EXTRA:-}

[account other]
issuer = ${ISSUER:-https://account.gipo.example}
client_id = ${CLIENT_ID:-tessera-basic}
client_secret_file = $T/etc/default.secret
users = @$TEST_GROUP
CONF
}

start_daemon() {
        "$TESSERAD" --config "$CONF" >>"$T/daemon.log" 2>&1 &
        DAEMON_PID=$!
        # Ready means answering: a socket file may be left by a killed daemon.
        for _ in $(seq 1 200); do
                curl -s -o /dev/null --max-time 2 --unix-socket "$SOCK" http://t/v1/status && return 0
                kill -0 "$DAEMON_PID" 2>/dev/null || { echo "tesserad exited early" >&2; return 1; }
                sleep 0.05
        done
        echo "tesserad did not create its socket" >&2
        return 1
}

stop_daemon() {
        local rc=0
        kill -TERM "$DAEMON_PID"
        wait "$DAEMON_PID" || rc=$?
        DAEMON_PID=
        return $rc
}

# api METHOD PATH [BODY]: prints "STATUS BODY"
api() {
        local out code
        if [ $# -ge 3 ]; then
                out=$(curl -sS --unix-socket "$SOCK" -X "$1" -H 'Content-Type: application/json' \
                        --data-binary "$3" -w '\n%{http_code}' "http://tessera$2")
        else
                out=$(curl -sS --unix-socket "$SOCK" -X "$1" -w '\n%{http_code}' "http://tessera$2")
        fi
        code=${out##*$'\n'}
        echo "$code ${out%$'\n'*}"
}

# Exit status of a command, without tripping set -e.
rc_of() {
        local rc=0
        "$@" >/dev/null 2>&1 || rc=$?
        echo $rc
}

IDP_DIR="$TESSERA_SOURCE_ROOT/tests/idp"

# start_idp [ENV=VALUE...]: the test identity provider and API emulator on
# loopback; sets ISSUER and API_BASE.
start_idp() {
        rm -f "$T/idp.json"
        env "$@" node "$IDP_DIR/idp.mjs" --ready-file "$T/idp.json" >"$T/idp.out" 2>"$T/idp.log" &
        IDP_PID=$!
        CLEANUP_PIDS+=("$IDP_PID")
        for _ in $(seq 1 200); do
                [ -s "$T/idp.json" ] && break
                kill -0 "$IDP_PID" 2>/dev/null || { cat "$T/idp.log" >&2; return 1; }
                sleep 0.05
        done
        ISSUER=$(jq -r .issuer "$T/idp.json")
        API_BASE=$(jq -r .api_base "$T/idp.json")
        export ISSUER API_BASE
}

stop_idp() {
        kill -TERM "$IDP_PID" 2>/dev/null || true
        wait "$IDP_PID" 2>/dev/null || true
}

client_secret() { jq -r ".\"$1\".client_secret" "$IDP_DIR/clients.json"; }

# idp_config: a config whose accounts use the test provider.
#   default: tessera-basic (client_secret_basic)
#   post:    tessera-post (client_secret_post)
#   narrow:  allowed_tenants = t-555, a tenant nobody has
write_idp_config() {
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
${DEFAULT_EXTRA:-}

[account post]
issuer = $ISSUER
client_id = tessera-post
client_secret_file = $T/etc/post.secret
client_auth = post
scope = openid offline_access giponext.patients
userinfo_url = $API_BASE/v2/userinfo
api_base = $API_BASE

[account narrow]
issuer = $ISSUER
client_id = tessera-basic
client_secret_file = $T/etc/basic.secret
userinfo_url = $API_BASE/v2/userinfo
api_base = $API_BASE
allowed_tenants = t-555
CONF
}

# login_code ACCOUNT USER PASSWORD [approve|deny]: starts a code login over
# the API and drives the provider's pages; prints the UA's final status.
login_code() {
        local account=$1 user=$2 pw=$3 decision=${4:-approve} code body url
        read -r code body <<<"$(api POST "/v1/accounts/$account/login" '{"flow":"code"}')"
        [ "$code" = 202 ] || { echo "login start: $code $body" >&2; return 1; }
        url=$(jq -r .authorize_url <<<"$body")
        "$IDP_DIR/ua-code-login.sh" "$url" "$user" "$pw" "$decision"
}

# login_result ACCOUNT: waits for the login to end, prints the JSON.
login_result() {
        local code body
        read -r code body <<<"$(api GET "/v1/accounts/$1/login?wait=20")"
        echo "$body"
}

# introspect TOKEN: the provider's verdict (via the emulator's test hook).
introspect_active() {
        printf '%s' "$1" | curl -sS -X POST --data-urlencode "token@-" "$API_BASE/_test/introspect" | jq -r .active
}

# Checks run some commands through "bash -c": give them the helpers.
export -f as_user introspect_active
export SOCK TESSERA TESSERAD T
