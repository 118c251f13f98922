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
        for _ in $(seq 1 600); do
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
        for _ in $(seq 1 600); do
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

# ---- fault injection (test-idp-faults, test-machine-faults,
# ---- test-hostile-clients, test-secrets) ----

FAULT_IDP_JS="$TESSERA_SOURCE_ROOT/tests/integration/fault-idp.mjs"

# wait_until SECONDS COMMAND...: polls every 0.1 s until the command
# succeeds; returns 1 when time runs out.
wait_until() {
        local deadline=$(($(date +%s%N) / 1000000 + $1 * 1000))
        shift
        until "$@" >/dev/null 2>&1; do
                [ $(($(date +%s%N) / 1000000)) -lt "$deadline" ] || return 1
                sleep 0.1
        done
}

# start_fault_idp: the fault-injecting provider (fault-idp.mjs) on
# loopback, plain and with TLS under a fresh self-signed certificate that
# nothing trusts. Sets FAULT_HTTP and FAULT_HTTPS (origins); the client
# secret it checks is in $T/etc/fault.secret.
start_fault_idp() {
        mkdir -p "$T/fault"
        if [ ! -s "$T/fault/cert.pem" ]; then
                openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
                        -keyout "$T/fault/key.pem" -out "$T/fault/cert.pem" -days 2 \
                        -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1
        fi
        if [ ! -s "$T/etc/fault.secret" ]; then
                echo "fcs-$(head -c 24 /dev/urandom | base64 | tr '+/' '-_')" > "$T/etc/fault.secret"
                chmod 0600 "$T/etc/fault.secret"
        fi
        rm -f "$T/fault/ready.json"
        node "$FAULT_IDP_JS" --ready-file "$T/fault/ready.json" --tls-cert "$T/fault/cert.pem" \
                --tls-key "$T/fault/key.pem" --client-secret-file "$T/etc/fault.secret" \
                >"$T/fault/out" 2>"$T/fault/log" &
        FAULT_IDP_PID=$!
        CLEANUP_PIDS+=("$FAULT_IDP_PID")
        for _ in $(seq 1 600); do
                [ -s "$T/fault/ready.json" ] && break
                kill -0 "$FAULT_IDP_PID" 2>/dev/null || { cat "$T/fault/log" >&2; return 1; }
                sleep 0.05
        done
        FAULT_HTTP=$(jq -r .http "$T/fault/ready.json")
        FAULT_HTTPS=$(jq -r .https "$T/fault/ready.json")
        export FAULT_HTTP FAULT_HTTPS
}

# fault_ctl INSTANCE JSON: sets modes, e.g. '{"token":"html"}',
# '{"userinfo":{"mode":"hang","count":1}}', '{"token_tls":true}'.
fault_ctl() {
        curl -sS --max-time 5 -X POST -d "$2" "$FAULT_HTTP/_ctl/$1" >/dev/null
}

# fault_stat INSTANCE COUNTER: a counter of the instance (0 when unset).
fault_stat() {
        curl -sS --max-time 5 "$FAULT_HTTP/_ctl/$1" | jq -r ".$2 // 0"
}

# fault_account NAME [ISSUER_ORIGIN [USERINFO_ORIGIN]]: an account section
# for instance NAME of the fault provider, client_secret_basic.
fault_account() {
        local name=$1 iss=${2:-$FAULT_HTTP} ui=${3:-$FAULT_HTTP}
        cat <<CONF

[account $name]
issuer = $iss/i/$name
client_id = fault-client
client_secret_file = $T/etc/fault.secret
scope = openid offline_access giponext.patients
userinfo_url = $ui/i/$name/userinfo
api_base = $FAULT_HTTP
users = $TEST_USER
CONF
}

# fault_daemon_section [LOG_LEVEL]: the [daemon] section of a test config.
fault_daemon_section() {
        cat <<CONF
[daemon]
state_dir = $STATE
socket = $SOCK
socket_mode = 0666
admins = root
log_level = ${1:-debug}
CONF
}

# fault_login ACCOUNT: starts a code login over the API, lets the fault
# provider approve it and delivers the redirect to the daemon's listener
# like a browser; prints the listener's HTTP status (000 when it did not
# answer within FAULT_UA_TIMEOUT, default 60 s).
fault_login() {
        local code body url loc
        read -r code body <<<"$(api POST "/v1/accounts/$1/login" '{"flow":"code"}')"
        [ "$code" = 202 ] || { echo "login start: $code $(jq -r .message <<<"$body" 2>/dev/null)" >&2; return 1; }
        url=$(jq -r .authorize_url <<<"$body")
        loc=$(curl -sS -o /dev/null -w '%{redirect_url}' --max-time 10 "$url")
        [ -n "$loc" ] || { echo "the fault provider did not redirect" >&2; return 1; }
        curl -s -o /dev/null -w '%{http_code}' --max-time "${FAULT_UA_TIMEOUT:-60}" "$loc" || true
}

# login_wait ACCOUNT SECONDS: the login result once it is no longer
# pending (or after SECONDS).
login_wait() {
        curl -sS --max-time $(($2 + 5)) --unix-socket "$SOCK" "http://t/v1/accounts/$1/login?wait=$2"
}

# account_field ACCOUNT FIELD: one field of the account in /v1/status.
account_field() {
        curl -sS --max-time 10 --unix-socket "$SOCK" http://t/v1/status |
                jq -r ".accounts[]|select(.name==\"$1\").$2"
}

# token_of ACCOUNT [MIN_VALID]: the access token served (or "null").
token_of() {
        curl -sS --max-time 60 --unix-socket "$SOCK" "http://t/v1/accounts/$1/token?min_valid=${2:-10}" |
                jq -r .access_token
}

export -f wait_until account_field token_of login_wait fault_stat fault_ctl

# ---- per-user sessions (test-per-user) ----

TEST_USER3=${TESSERA_TEST_USER3:-tessera-test3}
TEST_ADMIN_GROUP=${TESSERA_TEST_ADMIN_GROUP:-tessera-test-adm}

# api_as USER METHOD PATH [BODY]: as api, from USER's uid; prints "STATUS BODY".
api_as() {
        local user=$1 out code
        shift
        if [ $# -ge 3 ]; then
                out=$(runuser -u "$user" -- curl -sS --unix-socket "$SOCK" -X "$1" \
                        -H 'Content-Type: application/json' --data-binary "$3" -w '\n%{http_code}' "http://tessera$2")
        else
                out=$(runuser -u "$user" -- curl -sS --unix-socket "$SOCK" -X "$1" -w '\n%{http_code}' "http://tessera$2")
        fi
        code=${out##*$'\n'}
        echo "$code ${out%$'\n'*}"
}

# token_as USER ACCOUNT [QUERY]: the access token USER is served ("null" if none).
token_as() {
        runuser -u "$1" -- curl -sS --max-time 60 --unix-socket "$SOCK" "http://t/v1/accounts/$2/token${3:+?$3}" |
                jq -r '.access_token // "null"'
}

# introspect_field TOKEN FIELD: one field of the provider's introspection.
introspect_field() {
        printf '%s' "$1" | curl -sS -X POST --data-urlencode "token@-" "$API_BASE/_test/introspect" | jq -r ".$2"
}

# login_code_as USER ACCOUNT IDP_USER PASSWORD: USER starts a code login of
# their own session over the API, the scripted browser signs in as IDP_USER;
# prints the login's final state (done, failed, ...) or what went wrong.
login_code_as() {
        local code body url
        read -r code body <<<"$(api_as "$1" POST "/v1/accounts/$2/login" '{"flow":"code"}')"
        [ "$code" = 202 ] || { echo "start-$code"; return 0; }
        url=$(jq -r .authorize_url <<<"$body")
        "$IDP_DIR/ua-code-login.sh" "$url" "$3" "$4" approve >/dev/null || { echo "browser-failed"; return 0; }
        read -r code body <<<"$(api_as "$1" GET "/v1/accounts/$2/login?wait=30")"
        jq -r .state <<<"$body"
}

# login_device_as USER ACCOUNT IDP_USER PASSWORD: the same with the device flow.
login_device_as() {
        local code body user_code
        read -r code body <<<"$(api_as "$1" POST "/v1/accounts/$2/login" '{"flow":"device"}')"
        [ "$code" = 202 ] || { echo "start-$code"; return 0; }
        user_code=$(jq -r .user_code <<<"$body")
        "$IDP_DIR/ua-device-approve.sh" "$ISSUER" "$user_code" "$3" "$4" approve >/dev/null ||
                { echo "browser-failed"; return 0; }
        read -r code body <<<"$(api_as "$1" GET "/v1/accounts/$2/login?wait=30")"
        jq -r .state <<<"$body"
}

# start_daemon_run_systemd DIR: start_daemon, but tesserad runs in a private
# mount namespace where DIR is /run/systemd, so sd-login reads the logind
# state a test writes into DIR (logind cannot run here). Where the host has
# no /run/systemd, a private tmpfs over /run makes room for it.
start_daemon_run_systemd() {
        unshare --mount --propagation private -- sh -c '
                if [ ! -d /run/systemd ]; then mount -t tmpfs -o mode=0755 tmpfs /run && mkdir /run/systemd; fi
                mount --bind "$1" /run/systemd && exec "$2" --config "$3"' sh "$1" "$TESSERAD" "$CONF" \
                >>"$T/daemon.log" 2>&1 &
        DAEMON_PID=$!
        for _ in $(seq 1 600); do
                curl -s -o /dev/null --max-time 2 --unix-socket "$SOCK" http://t/v1/status && return 0
                kill -0 "$DAEMON_PID" 2>/dev/null || { echo "tesserad exited early" >&2; return 1; }
                sleep 0.05
        done
        echo "tesserad did not create its socket" >&2
        return 1
}

# logind_user DIR UID STATE: users/UID under DIR as logind's
# user_save_internal() writes it (a temporary file renamed over it, which
# is what sd_login_monitor's inotify watch sees); STATE "-" removes the
# file, as logind does when it lets go of the user.
logind_user() {
        local dir=$1 uid=$2 state=$3 tmp sessions=
        mkdir -p "$dir/seats" "$dir/users" "$dir/sessions"
        if [ "$state" = - ]; then
                rm -f "$dir/users/$uid"
                return 0
        fi
        tmp=$(mktemp "$dir/users/.#${uid}XXXXXX")
        case $state in active | online | closing) sessions="c$uid" ;; esac
        {
                echo "# This is private data. Do not parse."
                echo "NAME=$(id -un "$uid" 2>/dev/null || echo "user$uid")"
                echo "STATE=$state"
                echo "STOPPING=$([ "$state" = closing ] && echo yes || echo no)"
                echo "RUNTIME=/run/user/$uid"
                echo "REALTIME=1700000000000000"
                echo "MONOTONIC=12345678"
                if [ -n "$sessions" ]; then
                        echo "SESSIONS=$sessions"
                        echo "SEATS="
                        echo "ACTIVE_SESSIONS=$([ "$state" = active ] && echo "$sessions")"
                        echo "ONLINE_SESSIONS=$([ "$state" != closing ] && echo "$sessions")"
                        echo "ACTIVE_SEATS="
                        echo "ONLINE_SEATS="
                fi
        } >"$tmp"
        chmod 0644 "$tmp"
        mv -f "$tmp" "$dir/users/$uid"
}

export -f api_as token_as introspect_field
