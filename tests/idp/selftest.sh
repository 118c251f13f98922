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

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
