#!/bin/bash
# selftest.sh: end-to-end checks of the test IdP and API emulator with curl
# alone (no tessera daemon).  Run after `npm ci` in this directory.
# Exit 0 only if every check passed.  Prints no token, code or secret.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/tessera-idp-selftest.XXXXXX")
chmod 700 "$work"
pids=()
cleanup() {
        local p
        for p in "${pids[@]}"; do
                kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
        done
        rm -rf "$work"
}
trap cleanup EXIT

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   - $*"; }
ko() { failed=$((failed + 1)); echo "FAIL - $*"; }
check() { # DESCRIPTION COMMAND...
        local d=$1
        shift
        if "$@"; then ok "$d"; else ko "$d"; fi
}
not() { ! "$@"; }
eq() { # DESCRIPTION ACTUAL EXPECTED
        if [ "$2" = "$3" ]; then ok "$1"; else ko "$1 (got '$2', want '$3')"; fi
}

command -v jq >/dev/null || { echo "selftest needs jq" >&2; exit 2; }
[ -d "$here/node_modules/oidc-provider" ] || { echo "run 'npm ci' in $here first" >&2; exit 2; }

clients=$here/clients.json
secret_of() { jq -r --arg c "$1" '.[$c].client_secret' "$clients"; }
BASIC_ID=tessera-basic
BASIC_SECRET=$(secret_of tessera-basic)
POST_ID=tessera-post
POST_SECRET=$(secret_of tessera-post)
DEVICE_GT=urn:ietf:params:oauth:grant-type:device_code

# start_idp NAME [ENV=VALUE...]: sets ISSUER, API for that instance.
start_idp() {
        local name=$1 _i
        shift
        local ready=$work/$name.ready
        env "$@" node "$here/idp.mjs" --port 0 --ready-file "$ready" \
                >"$work/$name.stdout" 2>"$work/$name.stderr" &
        pids+=($!)
        LAST_PID=$!
        for _i in $(seq 1 100); do
                [ -s "$ready" ] && break
                sleep 0.1
        done
        if [ ! -s "$ready" ]; then
                echo "IdP $name did not start:" >&2
                cat "$work/$name.stderr" >&2
                exit 1
        fi
        ISSUER=$(jq -r .issuer "$ready")
        API=$(jq -r .api_base "$ready")
        READY_FILE=$ready
}

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
new_pkce() {
        VERIFIER=$(openssl rand 48 | b64url)
        CHALLENGE=$(printf '%s' "$VERIFIER" | openssl dgst -sha256 -binary | b64url)
}
urlenc() { jq -rn --arg v "$1" '$v|@uri'; }
urldec() { local v=${1//+/ }; printf '%b' "${v//%/\\x}"; }
query_param() { # URL NAME
        sed -n "s/.*[?&]$2=\\([^&#]*\\).*/\\1/p" <<<"$1"
}

# authorize_url CLIENT REDIRECT_PORT SCOPE STATE: sets url, with a new
# VERIFIER/CHALLENGE pair (not in a subshell, so VERIFIER survives).
authorize_url() {
        new_pkce
        printf -v url '%s/auth?response_type=code&client_id=%s&redirect_uri=%s&scope=%s&state=%s&code_challenge=%s&code_challenge_method=S256' \
                "$ISSUER" "$1" "$(urlenc "http://127.0.0.1:$2/callback")" "$(urlenc "$3")" "$4" "$CHALLENGE"
}

# token_basic|token_post OUTFILE PARAMS...: HTTP status on stdout.
token_basic() {
        local out=$1
        shift
        curl -sS -o "$out" -w '%{http_code}' --max-time 20 -u "$BASIC_ID:$BASIC_SECRET" "$@" "$ISSUER/token"
}
token_post() {
        local out=$1
        shift
        curl -sS -o "$out" -w '%{http_code}' --max-time 20 \
                --data-urlencode "client_id=$POST_ID" --data-urlencode "client_secret=$POST_SECRET" "$@" "$ISSUER/token"
}
api_status() { # TOKEN PATH [OUTFILE]
        curl -sS -o "${3:-/dev/null}" -w '%{http_code}' --max-time 20 -H "Authorization: Bearer $1" "$API$2"
}
stat() { curl -sS --max-time 5 "$API/_test/stats" | jq -r ".$1"; }

SCOPE_ALL="openid offline_access giponext.patients giponext.agenda"

##############################################################################
echo "# instance A: forms, default settings"
start_idp a
IDP_A_PID=$LAST_PID
eq "ready line on stdout equals the ready file" "$(cat "$work/a.stdout")" "$(cat "$READY_FILE")"
eq "ready JSON names the pid" "$(jq -r .pid "$READY_FILE")" "$IDP_A_PID"
case $ISSUER in http://127.0.0.1:[0-9]*) ok "issuer on 127.0.0.1" ;; *) ko "issuer $ISSUER" ;; esac

disc=$work/disc.json
curl -sS --max-time 10 -o "$disc" "$ISSUER/.well-known/openid-configuration"
eq "discovery issuer" "$(jq -r .issuer "$disc")" "$ISSUER"
eq "discovery device endpoint" "$(jq -r .device_authorization_endpoint "$disc")" "$ISSUER/device/auth"
eq "discovery revocation endpoint" "$(jq -r .revocation_endpoint "$disc")" "$ISSUER/token/revocation"
eq "no client_credentials grant" "$(jq -r '.grant_types_supported|index("client_credentials")' "$disc")" null
eq "scopes advertised" "$(jq -r '.scopes_supported|index("giponext.invoices")!=null' "$disc")" true

echo "# code flow, client_secret_basic"
authorize_url "$BASIC_ID" 40123 "$SCOPE_ALL" st-one
redir=$work/redir1
out=$(UA_CAPTURE_REDIRECT=$redir "$here/ua-code-login.sh" "$url" alice alice-pw)
eq "UA reached the redirect URI" "$?" 0
eq "UA prints only the redirect status" "$out" 303
r=$(cat "$redir")
case $r in "http://127.0.0.1:40123/callback?"*) ok "redirect to the loopback port asked for" ;; *) ko "redirect target" ;; esac
eq "state echoed" "$(query_param "$r" state)" st-one
eq "iss parameter (RFC 9207)" "$(urldec "$(query_param "$r" iss)")" "$ISSUER"
code=$(query_param "$r" code)
check "code present" test -n "$code"

t1=$work/t1.json
s=$(token_basic "$t1" -d grant_type=authorization_code --data-urlencode "code=$code" \
        --data-urlencode "redirect_uri=http://127.0.0.1:40123/callback" --data-urlencode "code_verifier=$VERIFIER")
eq "code exchange 200" "$s" 200
eq "token scope" "$(jq -r .scope "$t1")" "$SCOPE_ALL"
eq "refresh token issued" "$(jq -r 'has("refresh_token")' "$t1")" true
eq "token_type Bearer" "$(jq -r .token_type "$t1")" Bearer
eq "expires_in default 3600" "$(jq -r .expires_in "$t1")" 3600
s=$(token_basic "$work/x.json" -d grant_type=authorization_code --data-urlencode "code=$code" \
        --data-urlencode "redirect_uri=http://127.0.0.1:40123/callback" --data-urlencode "code_verifier=$VERIFIER")
eq "code replay rejected" "$s/$(jq -r .error "$work/x.json")" 400/invalid_grant
AT1=$(jq -r .access_token "$t1")
RT1=$(jq -r .refresh_token "$t1")
eq "code replay revoked the grant's access token" "$(api_status "$AT1" /v2/userinfo)" 401

echo "# second login: refresh rotation, userinfo, replay"
authorize_url "$BASIC_ID" 40124 "$SCOPE_ALL" st-two
UA_CAPTURE_REDIRECT=$redir "$here/ua-code-login.sh" "$url" alice alice-pw >/dev/null
code=$(query_param "$(cat "$redir")" code)
s=$(token_basic "$t1" -d grant_type=authorization_code --data-urlencode "code=$code" \
        --data-urlencode "redirect_uri=http://127.0.0.1:40124/callback" --data-urlencode "code_verifier=$VERIFIER")
eq "code exchange 200" "$s" 200
AT1=$(jq -r .access_token "$t1")
RT1=$(jq -r .refresh_token "$t1")
ui=$work/ui.json
eq "userinfo 200" "$(api_status "$AT1" /v2/userinfo "$ui")" 200
eq "userinfo sub" "$(jq -r .sub "$ui")" alice
eq "userinfo name" "$(jq -r .name "$ui")" "Alice Rossi"
eq "userinfo tenants" "$(jq -c '[.tenants[].id]' "$ui")" '["t-100","t-200"]'
eq "ping own tenant 200" "$(api_status "$AT1" /v2/tenants/t-200/ping)" 200
eq "ping other tenant 403" "$(api_status "$AT1" /v2/tenants/t-999/ping)" 403
eq "granted scope resource 200" "$(api_status "$AT1" /v2/tenants/t-100/agenda)" 200
eq "ungranted scope resource 403" "$(api_status "$AT1" /v2/tenants/t-100/invoices)" 403
h=$(curl -sS -D - -o /dev/null --max-time 10 "$API/v2/userinfo" | tr -d '\r')
check "no token: 401 with WWW-Authenticate" grep -qi '^www-authenticate: Bearer' <<<"$h"
eq "bogus token 401" "$(api_status "not-a-token" /v2/userinfo)" 401

t2=$work/t2.json
before=$(stat refresh_grants)
s=$(token_basic "$t2" -d grant_type=refresh_token --data-urlencode "refresh_token=$RT1")
eq "refresh 200" "$s" 200
RT2=$(jq -r .refresh_token "$t2")
AT2=$(jq -r .access_token "$t2")
check "refresh token rotated" test "$RT2" != "$RT1" -a -n "$RT2" -a "$RT2" != null
eq "refresh keeps scope" "$(jq -r .scope "$t2")" "$SCOPE_ALL"
eq "stats count the refresh" "$(stat refresh_grants)" $((before + 1))
check "refresh_inflight_max counts refresh grants" test "$(stat refresh_inflight_max)" -ge 1
eq "new access token works" "$(api_status "$AT2" /v2/userinfo)" 200
intro=$(curl -sS --max-time 10 -H 'Content-Type: application/json' \
        -d "$(jq -cn --arg t "$AT2" '{token:$t}')" "$API/_test/introspect")
eq "test introspection active" "$(jq -r '[.active,.sub,.client_id]|join(" ")' <<<"$intro")" "true alice tessera-basic"
eq "GET introspection refused" "$(curl -sS -o /dev/null -w '%{http_code}' "$API/_test/introspect")" 405
s=$(token_basic "$work/x.json" -d grant_type=refresh_token --data-urlencode "refresh_token=$RT1")
eq "rotated refresh token rejected" "$s/$(jq -r .error "$work/x.json")" 400/invalid_grant
s=$(token_basic "$work/x.json" -d grant_type=refresh_token --data-urlencode "refresh_token=$RT2")
eq "replay revoked the whole grant (new refresh token dead too)" "$s/$(jq -r .error "$work/x.json")" 400/invalid_grant
eq "replay revoked the new access token" "$(api_status "$AT2" /v2/userinfo)" 401

echo "# code flow, client_secret_post, partial consent, revocation"
authorize_url "$POST_ID" 40125 "$SCOPE_ALL giponext.invoices" st-three
UA_DENY_SCOPES="giponext.agenda" UA_CAPTURE_REDIRECT=$redir "$here/ua-code-login.sh" "$url" alice alice-pw >/dev/null
code=$(query_param "$(cat "$redir")" code)
t3=$work/t3.json
s=$(token_post "$t3" -d grant_type=authorization_code --data-urlencode "code=$code" \
        --data-urlencode "redirect_uri=http://127.0.0.1:40125/callback" --data-urlencode "code_verifier=$VERIFIER")
eq "post client code exchange 200" "$s" 200
eq "unticked scope missing from grant" "$(jq -r .scope "$t3")" "openid offline_access giponext.patients giponext.invoices"
RT3=$(jq -r .refresh_token "$t3")
AT3=$(jq -r .access_token "$t3")
s=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 10 --data-urlencode "client_id=$POST_ID" \
        --data-urlencode "client_secret=$POST_SECRET" --data-urlencode "token=$RT3" \
        -d token_type_hint=refresh_token "$ISSUER/token/revocation")
eq "revocation 200" "$s" 200
eq "stats count the revocation" "$(stat revocations)" 1
s=$(token_post "$work/x.json" -d grant_type=refresh_token --data-urlencode "refresh_token=$RT3")
eq "revoked refresh token rejected" "$s/$(jq -r .error "$work/x.json")" 400/invalid_grant
eq "revoking the refresh token revoked the access token" "$(api_status "$AT3" /v2/userinfo)" 401

echo "# PKCE and redirect URI enforcement"
authorize_url "$BASIC_ID" 40126 "$SCOPE_ALL" st-four
nopkce=${url/&code_challenge=$CHALLENGE&code_challenge_method=S256/}
UA_CAPTURE_REDIRECT=$redir "$here/ua-code-login.sh" "$nopkce" alice alice-pw >/dev/null 2>&1
eq "authorize without PKCE refused" "$(query_param "$(cat "$redir")" error)" invalid_request
badredir=${url/\%2Fcallback/%2Fother}
s=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 10 "$badredir")
eq "unregistered redirect path refused" "$s" 400
UA_CAPTURE_REDIRECT=$redir "$here/ua-code-login.sh" "$url" alice alice-pw >/dev/null
code=$(query_param "$(cat "$redir")" code)
s=$(token_basic "$work/x.json" -d grant_type=authorization_code --data-urlencode "code=$code" \
        --data-urlencode "redirect_uri=http://127.0.0.1:40126/callback" --data-urlencode "code_verifier=wrong-verifier-wrong-verifier-wrong-verifier-123")
eq "wrong code_verifier rejected" "$s/$(jq -r .error "$work/x.json")" 400/invalid_grant

echo "# deny, bad password, real redirect"
authorize_url "$BASIC_ID" 40127 "$SCOPE_ALL" st-five
UA_CAPTURE_REDIRECT=$redir "$here/ua-code-login.sh" "$url" alice alice-pw deny >/dev/null
eq "deny gives access_denied" "$(query_param "$(cat "$redir")" error)" access_denied
eq "deny keeps state" "$(query_param "$(cat "$redir")" state)" st-five
authorize_url "$BASIC_ID" 40128 "$SCOPE_ALL" st-six
UA_CAPTURE_REDIRECT=$redir "$here/ua-code-login.sh" "$url" alice wrong-pw >/dev/null 2>&1
eq "wrong password: UA fails" "$?" 1

# A stand-in for the daemon's loopback listener: answers 200 on /callback.
node -e '
const s = require("http").createServer((q, r) => { r.writeHead(q.url.startsWith("/callback?") ? 200 : 404); r.end("done\n"); });
s.listen(0, "127.0.0.1", () => { require("fs").writeFileSync(process.argv[1], String(s.address().port)); });
' "$work/listener.port" &
pids+=($!)
for _ in $(seq 1 50); do [ -s "$work/listener.port" ] && break; sleep 0.1; done
lport=$(cat "$work/listener.port")
authorize_url "$BASIC_ID" "$lport" "$SCOPE_ALL" st-seven
out=$("$here/ua-code-login.sh" "$url" bob bob-pw)
eq "UA fetched the redirect URI (listener status)" "$?/$out" 0/200

echo "# device flow, client_secret_basic"
dev=$work/dev.json
s=$(curl -sS -o "$dev" -w '%{http_code}' --max-time 10 -u "$BASIC_ID:$BASIC_SECRET" \
        --data-urlencode "scope=openid offline_access giponext.agenda" "$ISSUER/device/auth")
eq "device authorization 200" "$s" 200
eq "verification_uri" "$(jq -r .verification_uri "$dev")" "$ISSUER/device"
eq "no interval by default" "$(jq -r 'has("interval")' "$dev")" false
DC=$(jq -r .device_code "$dev")
UC=$(jq -r .user_code "$dev")
s=$(token_basic "$work/x.json" -d grant_type=$DEVICE_GT --data-urlencode "device_code=$DC")
eq "poll before approval: authorization_pending" "$s/$(jq -r .error "$work/x.json")" 400/authorization_pending
out=$("$here/ua-device-approve.sh" "$ISSUER" "$UC" bob bob-pw approve)
eq "device UA approved" "$?/$out" 0/approved
t4=$work/t4.json
s=$(token_basic "$t4" -d grant_type=$DEVICE_GT --data-urlencode "device_code=$DC")
eq "poll after approval 200" "$s" 200
eq "device token scope" "$(jq -r .scope "$t4")" "openid offline_access giponext.agenda"
eq "device flow refresh token" "$(jq -r 'has("refresh_token")' "$t4")" true
AT4=$(jq -r .access_token "$t4")
eq "device token userinfo" "$(api_status "$AT4" /v2/userinfo "$ui")/$(jq -r '.sub+" "+.tenants[0].id' "$ui")" "200/bob t-999"
check "stats count device polls" test "$(stat device_polls)" -ge 2

echo "# device flow denied"
curl -sS -o "$dev" --max-time 10 -u "$BASIC_ID:$BASIC_SECRET" --data-urlencode "scope=openid offline_access" "$ISSUER/device/auth"
out=$("$here/ua-device-approve.sh" "$ISSUER" "$(jq -r .user_code "$dev")" bob bob-pw deny)
eq "device UA denied" "$?/$out" 0/denied
s=$(token_basic "$work/x.json" -d grant_type=$DEVICE_GT --data-urlencode "device_code=$(jq -r .device_code "$dev")")
eq "poll after deny: access_denied" "$s/$(jq -r .error "$work/x.json")" 400/access_denied

echo "# failure injection"
authorize_url "$BASIC_ID" 40129 "$SCOPE_ALL" st-eight
UA_CAPTURE_REDIRECT=$redir "$here/ua-code-login.sh" "$url" alice alice-pw >/dev/null
code=$(query_param "$(cat "$redir")" code)
token_basic "$t1" -d grant_type=authorization_code --data-urlencode "code=$code" \
        --data-urlencode "redirect_uri=http://127.0.0.1:40129/callback" --data-urlencode "code_verifier=$VERIFIER" >/dev/null
RT=$(jq -r .refresh_token "$t1")
eq "arm token_5xx" "$(curl -sS --max-time 5 -d '{"mode":"token_5xx","count":2}' "$API/_test/fail" | jq -r .ok)" true
before=$(stat token_requests)
eq "injected 503 #1" "$(token_basic "$work/x.json" -d grant_type=refresh_token --data-urlencode "refresh_token=$RT")" 503
eq "injected 503 #2" "$(token_basic "$work/x.json" -d grant_type=refresh_token --data-urlencode "refresh_token=$RT")" 503
eq "then the token endpoint works (token untouched)" "$(token_basic "$t1" -d grant_type=refresh_token --data-urlencode "refresh_token=$RT")" 200
eq "token_requests counts injected failures" "$(stat token_requests)" $((before + 3))
RT=$(jq -r .refresh_token "$t1")
curl -sS --max-time 5 -o /dev/null -d '{"mode":"token_timeout","count":1,"delay_ms":1500}' "$API/_test/fail"
s=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 1 -u "$BASIC_ID:$BASIC_SECRET" \
        -d grant_type=refresh_token --data-urlencode "refresh_token=$RT" "$ISSUER/token" 2>/dev/null)
eq "token_timeout: client times out" "$s" 000
sleep 1
eq "token_timeout used up" "$(curl -sS "$API/_test/stats" | jq -r '.fail_remaining')" 0
curl -sS --max-time 5 -o /dev/null -d '{"mode":"api_429","count":1,"retry_after":7}' "$API/_test/fail"
h=$(curl -sS -D - -o /dev/null --max-time 10 -H "Authorization: Bearer x" "$API/v2/userinfo" | tr -d '\r')
check "api_429 with Retry-After: 7" grep -qi '^retry-after: 7$' <<<"$h"
eq "bad fail mode refused" "$(curl -sS -o /dev/null -w '%{http_code}' -d '{"mode":"nope"}' "$API/_test/fail")" 400
eq "revoke_user" "$(curl -sS --max-time 5 -d '{"sub":"alice"}' "$API/_test/revoke_user" | jq -r '.grants_revoked>0')" true
eq "after revoke_user the refresh token is dead" "$(token_basic "$work/x.json" -d grant_type=refresh_token --data-urlencode "refresh_token=$RT")" 400

echo "# special-character client secret (RFC 6749 2.3.1 form-encoding in Basic)"
sp_id=tessera-special
sp_secret=$(secret_of tessera-special)
sp_auth=$(printf '%s:%s' "$(urlenc "$sp_id")" "$(urlenc "$sp_secret")" | openssl base64 -A)
s=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 10 -H "Authorization: Basic $sp_auth" \
        --data-urlencode "scope=openid" "$ISSUER/device/auth")
eq "encoded Basic credentials accepted" "$s" 200

echo "# SIGTERM"
kill -TERM "$IDP_A_PID"
wait "$IDP_A_PID"
eq "IdP exits 0 on SIGTERM" "$?" 0
check "IdP stderr quiet" test ! -s "$work/a.stderr"

##############################################################################
echo "# instance B: auto-login, denied scope, 2 s access tokens, device interval"
start_idp b TESSERA_IDP_AUTO_LOGIN=alice TESSERA_IDP_DENY_SCOPES=giponext.agenda \
        TESSERA_IDP_AT_TTL=2 TESSERA_IDP_DEVICE_INTERVAL=1
authorize_url "$BASIC_ID" 40130 "$SCOPE_ALL" st-nine
out=$(UA_CAPTURE_REDIRECT=$redir "$here/ua-code-login.sh" "$url" nobody nothing)
eq "auto-login needs no form" "$?" 0
code=$(query_param "$(cat "$redir")" code)
s=$(token_basic "$t1" -d grant_type=authorization_code --data-urlencode "code=$code" \
        --data-urlencode "redirect_uri=http://127.0.0.1:40130/callback" --data-urlencode "code_verifier=$VERIFIER")
eq "code exchange 200" "$s" 200
eq "TESSERA_IDP_DENY_SCOPES removed the scope" "$(jq -r .scope "$t1")" "openid offline_access giponext.patients"
eq "TESSERA_IDP_AT_TTL" "$(jq -r .expires_in "$t1")" 2
AT=$(jq -r .access_token "$t1")
eq "fresh token works" "$(api_status "$AT" /v2/userinfo)" 200
sleep 3
eq "expired token 401 at once (clockTolerance 0)" "$(api_status "$AT" /v2/userinfo)" 401
s=$(curl -sS -o "$dev" -w '%{http_code}' --max-time 10 -u "$BASIC_ID:$BASIC_SECRET" \
        --data-urlencode "scope=openid offline_access" "$ISSUER/device/auth")
eq "TESSERA_IDP_DEVICE_INTERVAL adds interval" "$s/$(jq -r .interval "$dev")" 200/1
out=$("$here/ua-device-approve.sh" "$ISSUER" "$(jq -r .user_code "$dev")" nobody nothing)
eq "device auto-login" "$?/$out" 0/approved

##############################################################################
echo "# instance C: API emulator routes (auto-login alice, TESSERA_API_RATE_LIMIT)"
env TESSERA_API_RATE_LIMIT=5 node "$here/idp.mjs" >/dev/null 2>"$work/badrate.stderr"
eq "malformed TESSERA_API_RATE_LIMIT: exit 2" "$?" 2
check "malformed TESSERA_API_RATE_LIMIT explained" grep -q TESSERA_API_RATE_LIMIT "$work/badrate.stderr"
start_idp c TESSERA_IDP_AUTO_LOGIN=alice TESSERA_API_RATE_LIMIT=3/2
IDP_C_PID=$LAST_PID
eq "rate limit from the environment" "$(curl -sS --max-time 5 "$API/_test/ratelimit" | jq -c .)" '{"limit":3,"window":2}'
eq "rate limit off" "$(curl -sS --max-time 5 -d '{"limit":0}' "$API/_test/ratelimit" | jq -c .)" '{"ok":true,"limit":0,"window":1}'

# login_at CLIENT PORT SCOPE: sets AT (auto-login, so no real credentials).
login_at() {
        authorize_url "$1" "$2" "$3" "st-$2"
        UA_CAPTURE_REDIRECT=$redir "$here/ua-code-login.sh" "$url" nobody nothing >/dev/null
        local c
        c=$(query_param "$(cat "$redir")" code)
        if [ "$1" = "$POST_ID" ]; then
                token_post "$work/tc.json" -d grant_type=authorization_code --data-urlencode "code=$c" \
                        --data-urlencode "redirect_uri=http://127.0.0.1:$2/callback" --data-urlencode "code_verifier=$VERIFIER" >/dev/null
        else
                token_basic "$work/tc.json" -d grant_type=authorization_code --data-urlencode "code=$c" \
                        --data-urlencode "redirect_uri=http://127.0.0.1:$2/callback" --data-urlencode "code_verifier=$VERIFIER" >/dev/null
        fi
        AT=$(jq -r .access_token "$work/tc.json")
}
login_at "$BASIC_ID" 40140 "$SCOPE_ALL"
ATC=$AT
check "token for the basic client" test -n "$ATC" -a "$ATC" != null
login_at "$POST_ID" 40141 "openid giponext.agenda"
ATP=$AT
check "token for the post client (no patients scope)" test -n "$ATP" -a "$ATP" != null
# no_token_in FILE: the access tokens never appear in a response.
no_token_in() { ! grep -qF -e "$ATC" -e "$ATP" "$1"; }
hdr() { tr -d '\r' <"$1" | sed -n "s/^$2: //Ip" | head -n 1; }

echo "# patients"
p=$work/p.json
eq "patients default page 200" "$(api_status "$ATC" /v2/tenants/t-100/patients "$p")" 200
eq "patients default page shape" "$(jq -c '[(.items|length),.offset,.limit,.total,.hasMore,.items[0].id,.items[19].id]' "$p")" '[20,0,20,137,true,"p-0001","p-0020"]'
check "patients have names" jq -e 'all(.items[]; (.name|length) > 0 and .name == .firstName + " " + .lastName)' "$p" >/dev/null
eq "patients tenant" "$(jq -r .tenant "$p")" t-100
cp "$p" "$work/p-first.json"
api_status "$ATC" /v2/tenants/t-100/patients "$p" >/dev/null
check "patients deterministic" cmp -s "$p" "$work/p-first.json"
eq "patients last page" "$(api_status "$ATC" "/v2/tenants/t-200/patients?offset=120&limit=50" "$p")/$(jq -c '[(.items|length),.offset,.limit,.hasMore,.items[-1].id]' "$p")" '200/[17,120,50,false,"p-0137"]'
eq "patients limit 100" "$(api_status "$ATC" "/v2/tenants/t-100/patients?offset=100&limit=100" "$p")/$(jq -c '[(.items|length),.hasMore,.items[0].id]' "$p")" '200/[37,false,"p-0101"]'
eq "patients past the end" "$(api_status "$ATC" "/v2/tenants/t-100/patients?offset=137" "$p")/$(jq -c '[(.items|length),.hasMore,.total]' "$p")" '200/[0,false,137]'
eq "patients exact page boundary" "$(api_status "$ATC" "/v2/tenants/t-100/patients?offset=117&limit=20" "$p")/$(jq -c '[(.items|length),.hasMore]' "$p")" '200/[20,false]'
for q in "limit=101" "limit=0" "offset=-1" "offset=abc" "limit=" "limit=1.5"; do
        eq "patients $q: 400" "$(api_status "$ATC" "/v2/tenants/t-100/patients?$q" "$p")/$(jq -r .error "$p")" 400/bad_request
done
s=$(curl -sS -D "$work/h" -o "$p" -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $ATP" "$API/v2/tenants/t-100/patients")
eq "patients without the scope: 403 insufficient_scope" "$s/$(jq -r .error "$p")" 403/insufficient_scope
case $(hdr "$work/h" www-authenticate) in *'error="insufficient_scope"'*'scope="giponext.patients"'*) ok "insufficient_scope WWW-Authenticate" ;; *) ko "insufficient_scope WWW-Authenticate" ;; esac
eq "patients of another tenant: 403 forbidden" "$(api_status "$ATC" /v2/tenants/t-999/patients "$p")/$(jq -r .error "$p")" 403/forbidden
s=$(curl -sS -D "$work/h" -o "$p" -w '%{http_code}' --max-time 10 "$API/v2/tenants/t-100/patients")
eq "patients without a token: 401" "$s" 401
case $(hdr "$work/h" www-authenticate) in Bearer*) ok "401 carries WWW-Authenticate" ;; *) ko "401 carries WWW-Authenticate" ;; esac
s=$(curl -sS -D "$work/h" -o "$p" -w '%{http_code}' --max-time 10 -H "Authorization: Bearer bogus-token" "$API/v2/tenants/t-100/patients")
eq "patients with a bogus token: 401 invalid_token" "$s/$(jq -r .error "$p")" 401/invalid_token
case $(hdr "$work/h" www-authenticate) in *'error="invalid_token"'*) ok "invalid_token WWW-Authenticate" ;; *) ko "invalid_token WWW-Authenticate" ;; esac
eq "POST patients: 405" "$(curl -sS -o /dev/null -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $ATC" -d x=1 "$API/v2/tenants/t-100/patients")" 405

echo "# echo"
e=$work/e.json
s=$(curl -sS -o "$e" -w '%{http_code}' --max-time 10 -X POST -H "Authorization: Bearer $ATC" \
        -H 'Content-Type: application/json' -H 'Accept: application/json' -H 'X-Custom-Thing: 1' \
        --data-binary '{"note":"caffè ☕"}' "$API/v2/tenants/t-100/echo/sub/a%2Fb?x=1&y=a%20b")
eq "echo POST 200" "$s" 200
eq "echo fields" "$(jq -c '[.method,.path,.query,.content_type,.accept,.body,.authorization,.tenant,.sub,.client_id]' "$e")" \
        '["POST","/v2/tenants/t-100/echo/sub/a%2Fb","x=1&y=a%20b","application/json","application/json","{\"note\":\"caffè ☕\"}","valid","t-100","alice","tessera-basic"]'
eq "echo body bytes and sha256" "$(jq -r '"\(.body_bytes) \(.body_sha256)"' "$e")" \
        "$(printf '%s' '{"note":"caffè ☕"}' | wc -c) $(printf '%s' '{"note":"caffè ☕"}' | sha256sum | cut -d' ' -f1)"
eq "echo header names, lowercased, in order" "$(jq -c '.header_names' "$e")" \
        '["host","user-agent","authorization","content-type","accept","x-custom-thing","content-length"]'
check "echo never shows the token" no_token_in "$e"
for m in GET PUT PATCH DELETE; do
        s=$(curl -sS -o "$e" -w '%{http_code}' --max-time 10 -X "$m" -H "Authorization: Bearer $ATC" "$API/v2/tenants/t-200/echo")
        eq "echo $m" "$s/$(jq -r '.method+" "+.path+" "+.query+" "+(.body_bytes|tostring)' "$e")" "200/$m /v2/tenants/t-200/echo  0"
done
s=$(curl -sS -o "$e" -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $ATC" -H 'Connection: close' -H 'TE: trailers' "$API/v2/echo")
eq "echo without a tenant" "$s/$(jq -r '.tenant' "$e")" 200/null
eq "echo lists hop-by-hop headers it got" "$(jq -c '[.header_names[]|select(.=="connection" or .=="te")]' "$e")" '["connection","te"]'
s=$(curl -sS -D "$work/h" -o "$e" -w '%{http_code}' --max-time 10 -H "Authorization: Bearer evil-caller-token" -d 'a=b' "$API/v2/tenants/t-100/echo")
eq "echo with a foreign token: 401 invalid" "$s/$(jq -r '.error+" "+.authorization+" "+.body' "$e")" "401/invalid_token invalid a=b"
check "echo 401 does not repeat the foreign token" not grep -q evil-caller-token "$e"
case $(hdr "$work/h" www-authenticate) in *'error="invalid_token"'*) ok "echo 401 WWW-Authenticate" ;; *) ko "echo 401 WWW-Authenticate" ;; esac
s=$(curl -sS -o "$e" -w '%{http_code}' --max-time 10 "$API/v2/tenants/t-100/echo")
eq "echo without Authorization: 401 missing" "$s/$(jq -r '.error+" "+.authorization' "$e")" "401/unauthorized missing"
s=$(curl -sS -o "$e" -w '%{http_code}' --max-time 10 -H "Authorization: Basic Zm9vOmJhcg==" "$API/v2/tenants/t-100/echo")
eq "echo with a non-Bearer Authorization: 401 invalid" "$s/$(jq -r .authorization "$e")" 401/invalid
eq "echo of another tenant: 403 forbidden" "$(curl -sS -o "$e" -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $ATC" "$API/v2/tenants/t-999/echo")/$(jq -r .error "$e")" 403/forbidden
head -c 1048576 /dev/urandom >"$work/1m"
s=$(curl -sS -o "$e" -w '%{http_code}' --max-time 20 -X PUT -H "Authorization: Bearer $ATC" -H 'Content-Type: application/octet-stream' \
        --data-binary "@$work/1m" "$API/v2/tenants/t-100/echo")
eq "echo 1 MiB body" "$s/$(jq -r '"\(.body_bytes) \(.body_sha256)"' "$e")" "200/1048576 $(sha256sum <"$work/1m" | cut -d' ' -f1)"
printf x >>"$work/1m"
before=$(stat api_413)
s=$(curl -sS -o "$e" -w '%{http_code}' --max-time 20 -X PUT -H "Authorization: Bearer $ATC" --data-binary "@$work/1m" "$API/v2/tenants/t-100/echo")
eq "echo 1 MiB + 1 byte: 413" "$s/$(jq -r .error "$e")" 413/payload_too_large
eq "api_413 counted" "$(stat api_413)" $((before + 1))

echo "# large"
# large_body N: the emulator's large content, built independently.
large_body() {
        case $1 in
        0) ;;
        1) printf 0 ;;
        *) printf '"'; yes 0123456789abcdef | tr -d '\n' | head -c $(($1 - 2)); printf '"' ;;
        esac
}
l=$work/large
for n in 0 1 2 3 17 1000 65537 1000003; do
        s=$(curl -sS -D "$work/h" -o "$l" -w '%{http_code}' --max-time 30 -H "Authorization: Bearer $ATC" "$API/v2/tenants/t-100/large?bytes=$n")
        want=$(large_body "$n" | sha256sum | cut -d' ' -f1)
        eq "large $n: status, Content-Length, size, content" \
                "$s $(hdr "$work/h" content-length) $(wc -c <"$l") $(sha256sum <"$l" | cut -d' ' -f1)" "200 $n $n $want"
        eq "large $n: /_test/large_sha256 agrees" "$(curl -sS --max-time 10 "$API/_test/large_sha256?bytes=$n" | jq -r .sha256)" "$want"
done
check "large body is a JSON string" jq -e 'type == "string" and length == 1000001' "$l" >/dev/null
s=$(curl -sS -D "$work/h" -o "$l" -w '%{http_code}' --max-time 30 -H "Authorization: Bearer $ATC" "$API/v2/tenants/t-100/large?bytes=100000&chunked=1&chunk_bytes=777")
eq "large chunked: status, Transfer-Encoding, no Content-Length" "$s $(hdr "$work/h" transfer-encoding) [$(hdr "$work/h" content-length)]" "200 chunked []"
eq "large chunked content" "$(sha256sum <"$l" | cut -d' ' -f1)" "$(large_body 100000 | sha256sum | cut -d' ' -f1)"
t=$(curl -sS -o "$l" -w '%{time_total}' --max-time 30 -H "Authorization: Bearer $ATC" "$API/v2/tenants/t-100/large?bytes=10&chunk_bytes=2&delay_ms=150")
check "large with delay_ms: 4 pauses between 5 chunks (took ${t}s)" awk -v t="$t" 'BEGIN { exit !(t >= 0.55 && t < 5) }'
eq "large with delay_ms content" "$(cat "$l")" '"01234567"'
for q in "" "bytes=-1" "bytes=209715201" "bytes=10&chunked=2" "bytes=10&chunk_bytes=0" "bytes=10&delay_ms=60001"; do
        eq "large ?$q: 400" "$(api_status "$ATC" "/v2/tenants/t-100/large?$q")" 400
done
eq "large of another tenant: 403" "$(api_status "$ATC" "/v2/tenants/t-999/large?bytes=10")" 403
eq "large without a token: 401" "$(curl -sS -o /dev/null -w '%{http_code}' --max-time 10 "$API/v2/tenants/t-100/large?bytes=10")" 401
# 200 MiB through a pipe: the emulator must not hold it in memory.
n=$((200 * 1024 * 1024))
got=$(curl -sS --max-time 120 -H "Authorization: Bearer $ATC" "$API/v2/tenants/t-100/large?bytes=$n&chunked=1" | sha256sum | cut -d' ' -f1)
eq "large 200 MiB content" "$got" "$(curl -sS --max-time 60 "$API/_test/large_sha256?bytes=$n" | jq -r .sha256)"
hwm=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$IDP_C_PID/status")
check "emulator peak memory stayed small (${hwm} kB)" test "$hwm" -lt 204800
curl -sS --max-time 60 -H "Authorization: Bearer $ATC" "$API/v2/tenants/t-100/large?bytes=5000000" 2>/dev/null | head -c 1000 >/dev/null
eq "client hanging up mid-stream leaves the emulator fine" "$(api_status "$ATC" /v2/tenants/t-100/ping)" 200
eq "no request left in flight" "$(stat api_inflight)" 0

echo "# slow and concurrency"
s=$(curl -sS -o "$e" -w '%{http_code} %{time_total}' --max-time 10 -H "Authorization: Bearer $ATC" "$API/v2/tenants/t-100/slow?ms=300")
check "slow 300 ms (got $s)" awk -v s="${s#* }" -v c="${s% *}" 'BEGIN { exit !(c == 200 && s >= 0.3) }'
eq "slow body" "$(jq -c . "$e")" '{"ok":true,"ms":300}'
eq "slow without ms: 400" "$(api_status "$ATC" /v2/tenants/t-100/slow)" 400
curl -sS -o /dev/null --max-time 5 -X POST "$API/_test/stats/reset"
t0=$(date +%s%N)
for i in 1 2 3 4 5; do
        api_status "$ATC" "/v2/tenants/t-100/slow?ms=700" "$work/slow$i" >"$work/slow$i.status" &
done
wait_for_slow() { local i; for i in 1 2 3 4 5; do while [ ! -s "$work/slow$i.status" ]; do sleep 0.05; done; done; }
for _ in $(seq 1 12); do [ "$(stat api_inflight)" = 5 ] && break; sleep 0.05; done
eq "5 slow requests in flight" "$(stat api_inflight)" 5
wait_for_slow
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
eq "5 concurrent slow requests all 200" "$(cat "$work"/slow[1-5].status | tr -d '\n')" 200200200200200
check "they ran concurrently (${ms} ms)" test "$ms" -lt 2500
eq "api_inflight_max" "$(stat api_inflight_max)" 5
sleep 0.2
eq "api_inflight back to 0" "$(stat api_inflight)" 0

echo "# rate limit per client_id"
eq "set 2 per 3 s" "$(curl -sS --max-time 5 -H 'Content-Type: application/json' -d '{"limit":2,"window":3}' "$API/_test/ratelimit" | jq -c .)" '{"ok":true,"limit":2,"window":3}'
curl -sS -o /dev/null --max-time 5 -X POST "$API/_test/stats/reset"
eq "1st within the limit" "$(api_status "$ATC" /v2/tenants/t-100/ping)" 200
eq "2nd within the limit" "$(api_status "$ATC" /v2/userinfo)" 200
s=$(curl -sS -D "$work/h" -o "$e" -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $ATC" "$API/v2/tenants/t-100/echo")
eq "3rd: 429 rate_limited" "$s/$(jq -r .error "$e")" 429/rate_limited
ra=$(hdr "$work/h" retry-after)
case $ra in [1-3]) ok "Retry-After $ra within the window" ;; *) ko "Retry-After '$ra'" ;; esac
eq "another client is not limited" "$(api_status "$ATP" /v2/tenants/t-100/ping)" 200
eq "a bad token is a 401, not a 429" "$(api_status bogus /v2/tenants/t-100/ping)" 401
eq "still limited" "$(api_status "$ATC" /v2/tenants/t-100/ping)" 429
sleep "$ra"
eq "after Retry-After seconds: let through" "$(api_status "$ATC" /v2/tenants/t-100/ping)" 200
eq "api_429 and api_rate_limited" "$(stat api_429)/$(stat api_rate_limited)" 2/2
eq "api_401" "$(stat api_401)" 1
eq "api_by_route" "$(curl -sS --max-time 5 "$API/_test/stats" | jq -c '.api_by_route|{ping,userinfo,echo,patients}')" '{"ping":5,"userinfo":1,"echo":1,"patients":0}'
eq "api_requests counts them all" "$(stat api_requests)" 7
eq "rate limit off again" "$(curl -sS --max-time 5 -d 'limit=0' "$API/_test/ratelimit" | jq -r .limit)" 0
ok5=0
for i in 1 2 3 4 5; do [ "$(api_status "$ATC" /v2/tenants/t-100/ping)" = 200 ] && ok5=$((ok5 + 1)); done
eq "no limit: 5 of 5 through" "$ok5" 5
eq "window 0 refused" "$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 -d '{"limit":1,"window":0}' "$API/_test/ratelimit")" 400
eq "negative limit refused" "$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 -d '{"limit":-1,"window":1}' "$API/_test/ratelimit")" 400

echo "# counters, reset, injected failures on the new routes"
curl -sS -o /dev/null --max-time 5 -X POST "$API/_test/stats/reset"
eq "reset zeroes the API counters" "$(curl -sS --max-time 5 "$API/_test/stats" | jq -c '[.api_requests,.api_401,.api_429,.api_403,([.api_by_route[]]|add)]')" '[0,0,0,0,0]'
curl -sS -o /dev/null --max-time 5 -d '{"mode":"api_5xx","count":1,"status":502}' "$API/_test/fail"
eq "api_5xx on echo" "$(curl -sS -o /dev/null -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $ATC" -d x "$API/v2/tenants/t-100/echo")" 502
curl -sS -o /dev/null --max-time 5 -d '{"mode":"api_429","count":1,"retry_after":4}' "$API/_test/fail"
s=$(curl -sS -D "$work/h" -o /dev/null -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $ATC" "$API/v2/tenants/t-100/patients")
eq "api_429 on patients" "$s/$(hdr "$work/h" retry-after)" 429/4
eq "then patients answer again" "$(api_status "$ATC" /v2/tenants/t-100/patients)" 200
api_status "$ATC" /v2/nope >/dev/null
eq "counters after injected failures" "$(curl -sS --max-time 5 "$API/_test/stats" | jq -c '[.api_requests,.api_429,.api_rate_limited,.injected_failures,.api_by_route.echo,.api_by_route.patients,.api_by_route.other]')" '[4,1,0,2,1,2,1]'

echo "# killing one access token, not its grant"
login_at "$BASIC_ID" 40142 "$SCOPE_ALL"
RTC=$(jq -r .refresh_token "$work/tc.json")
eq "revoke_access_token" "$(curl -sS --max-time 5 -H 'Content-Type: application/json' -d "$(jq -cn --arg t "$AT" '{token:$t}')" "$API/_test/revoke_access_token" | jq -c .)" '{"ok":true,"revoked":true}'
eq "the access token is dead" "$(api_status "$AT" /v2/tenants/t-100/ping)" 401
eq "revoke_access_token of an unknown token" "$(curl -sS --max-time 5 -d '{"token":"nope"}' "$API/_test/revoke_access_token" | jq -r .revoked)" false
s=$(token_basic "$work/tr.json" -d grant_type=refresh_token --data-urlencode "refresh_token=$RTC")
eq "its refresh token still works" "$s" 200
eq "and the new access token too" "$(api_status "$(jq -r .access_token "$work/tr.json")" /v2/tenants/t-100/ping)" 200
login_at "$BASIC_ID" 40143 "$SCOPE_ALL"
RTC=$(jq -r .refresh_token "$work/tc.json")
curl -sS -o /dev/null --max-time 10 -u "$BASIC_ID:$BASIC_SECRET" --data-urlencode "token=$AT" \
        -d token_type_hint=access_token "$ISSUER/token/revocation"
s=$(token_basic "$work/tr.json" -d grant_type=refresh_token --data-urlencode "refresh_token=$RTC")
eq "whereas /token/revocation of an access token kills its grant" "$s/$(jq -r .error "$work/tr.json")" 400/invalid_grant

kill -TERM "$IDP_C_PID"
wait "$IDP_C_PID"
eq "instance C exits 0 on SIGTERM" "$?" 0
check "instance C stderr quiet" test ! -s "$work/c.stderr"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
