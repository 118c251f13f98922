#!/bin/bash
# SPDX-License-Identifier: MIT
# The demo (tools/demo) without install and build, against the binaries
# under test: its steps and output, its exit status, and that nothing it
# started is left running, listening or on disk afterwards, whether it
# succeeds, fails or is interrupted.
. "$(dirname "$0")/lib.sh"

DEMO=$TESSERA_SOURCE_ROOT/tools/demo
ARGS=(--no-build --tesserad "$TESSERAD" --tessera "$TESSERA")

# The demo's temporary directory, from the configuration line it prints.
demo_dir() { sed -n 's#^    configuration \(/.*\)/etc/tessera\.conf:$#\1#p' "$1" | head -n 1; }

# check_gone OUT: what the demo said it started (temp dir, pids, ports) is gone.
check_gone() {
        local out=$1 label=$2 dir pid port found
        dir=$(demo_dir "$out")
        check "$label: the demo named its temporary directory" test -n "$dir"
        [ -n "$dir" ] || return 0
        check "$label: temporary directory removed" test ! -e "$dir"
        # tesserad and node carry the directory in their arguments, the
        # tessera login clients in TESSERA_SOCKET. The pattern comes from a
        # file so that grep's own arguments do not match.
        printf '%s\n' "$dir" >"$T/pattern"
        found=$(grep -lsF -f "$T/pattern" /proc/[0-9]*/cmdline /proc/[0-9]*/environ 2>/dev/null || true)
        expect_eq "$label: no process refers to $dir" "" "$found"
        for pid in $(grep -o '(pid [0-9]*)' "$out" | tr -dc '0-9\n' | sort -u); do
                check "$label: pid $pid is gone" bash -c "! grep -qsF -- '$dir' /proc/$pid/cmdline"
        done
        for port in $(grep -Eo '127\.0\.0\.1:[0-9]+' "$out" | cut -d: -f2 | sort -u); do
                expect_eq "$label: nothing listens on 127.0.0.1:$port" "" "$(ss -Hltn "sport = :$port")"
        done
}

log "a full run"
start=$(date +%s)
rc=0
timeout 120 "$DEMO" "${ARGS[@]}" >"$T/demo.out" 2>"$T/demo.err" || rc=$?
elapsed=$(($(date +%s) - start))
expect_eq "the demo exits 0" 0 "$rc"
[ "$rc" -eq 0 ] || { sed 's/^/# out: /' "$T/demo.out"; sed 's/^/# err: /' "$T/demo.err"; }
check "the demo takes well under a minute ($elapsed s)" test "$elapsed" -lt 40
expect_eq "nothing on standard error" "" "$(cat "$T/demo.err")"
expect_eq "nine numbered steps, in order" "1 2 3 4 5 6 7 8 9" \
        "$(sed -n 's#^==> \([0-9]\)/9 .*\.\.\.$#\1#p' "$T/demo.out" | tr '\n' ' ' | sed 's/ $//')"
check "install and build skipped" test "$(grep -c 'skipped (--no-build)' "$T/demo.out")" -eq 2
check "uses the given tesserad" grep -qxF "      $TESSERAD" "$T/demo.out"
check "the config names the demo user as admin" grep -qx "    | admins = $(id -un)" "$T/demo.out"
check "the authorize URL uses PKCE S256" grep -q 'code_challenge_method=S256' "$T/demo.out"
check "the browser reached the callback (200)" grep -Eq "landed on tesserad's page at 127\.0\.0\.1:[0-9]+/callback: HTTP 200" "$T/demo.out"
expect_eq "code and device logins both as Alice Rossi" 2 \
        "$(grep -c '^    | Logged in as Alice Rossi (tenant Clinica Rossi, id t-100)$' "$T/demo.out")"
check "tessera status shows the account valid" grep -Eq '^    \| default +valid +Alice Rossi +Clinica Rossi' "$T/demo.out"
check "a token was fetched, its length shown" grep -Eq '^    got a token \([0-9]+ characters; not shown\)$' "$T/demo.out"
check "userinfo is pretty-printed" grep -qx '    |   "name": "Alice Rossi",' "$T/demo.out"
check "userinfo lists the tenants" grep -q '"name": "Studio Bianchi"' "$T/demo.out"
check "the device code is shown" grep -Eq 'enter the code: +[A-Z]{4}-[A-Z]{4}$' "$T/demo.out"
check "the provider approved the device" grep -qx '    the provider says: approved; tesserad picks the tokens up at its next poll' "$T/demo.out"
check "the device login's token works" grep -qx '    the new token works: /v2/userinfo says Alice Rossi' "$T/demo.out"
check "tesserad and the provider reported stopped" bash -c "grep -q '^    stopped tesserad (pid' '$T/demo.out' && grep -q '^    stopped the identity provider' '$T/demo.out'"
expect_eq "the last line says it worked" "Demo finished: every step worked." "$(tail -n 1 "$T/demo.out")"
# Tokens here are 43 base64url characters; only URLs (state, PKCE
# challenge) may hold such runs.
expect_eq "no token-like string outside URLs" "" \
        "$(grep -v 'http://' "$T/demo.out" | grep -Eo '[A-Za-z0-9_-]{32,}' || true)"
check "the client secret is never shown" bash -c "! grep -qF -- '$(client_secret tessera-basic)' '$T/demo.out'"
check_gone "$T/demo.out" "after success"

log "a step fails: tesserad does not start"
cat >"$T/bad-tesserad" <<'EOF'
#!/bin/sh
echo "tesserad: simulated start failure"
exit 1
EOF
chmod 0755 "$T/bad-tesserad"
rc=0
timeout 60 "$DEMO" --no-build --tesserad "$T/bad-tesserad" --tessera "$TESSERA" >"$T/fail.out" 2>"$T/fail.err" || rc=$?
expect_eq "the demo exits 1" 1 "$rc"
expect_eq "a one-line reason at the end" \
        "demo: FAILED at step 4/9 (Starting tesserad with a demo configuration): tesserad exited at start" \
        "$(tail -n 1 "$T/fail.err")"
check "tesserad's log is shown" grep -q 'simulated start failure' "$T/fail.err"
grep -q 'simulated start failure' "$T/fail.err" ||
        { sed 's/^/# out: /' "$T/fail.out"; sed 's/^/# err: /' "$T/fail.err"; }
check "no later step ran" bash -c "! grep -q '^==> 5/9' '$T/fail.out'"
check_gone "$T/fail.out" "after a failure"

log "a missing binary"
rc=0
"$DEMO" --no-build --tesserad "$TESSERAD" --tessera "$T/no-such-tessera" >"$T/missing.out" 2>"$T/missing.err" || rc=$?
expect_eq "the demo exits 1" 1 "$rc"
expect_eq "the reason names the path" \
        "demo: FAILED at step 2/9 (Building tesserad and tessera): no tessera at $T/no-such-tessera" \
        "$(tail -n 1 "$T/missing.err")"

# interrupt SIGNAL WHOLE_GROUP LABEL: runs the demo in its own process
# group, signals it while the device login waits, checks the cleanup.
interrupt() {
        local sig=$1 group=$2 label=$3 out=$T/$1.out pid rc=0
        set -m
        "$DEMO" "${ARGS[@]}" >"$out" 2>&1 &
        pid=$!
        set +m
        CLEANUP_PIDS+=("$pid")
        for _ in $(seq 1 400); do
                grep -q '^    acting as the second device' "$out" && break
                sleep 0.05
        done
        check "$label: the demo reached the device login" grep -q '^    acting as the second device' "$out"
        check "$label: tesserad was running" grep -q 'tesserad running (pid' "$out"
        if [ "$group" = group ]; then
                kill "-$sig" -- "-$pid"   # what Ctrl-C does: the whole foreground group
        else
                kill "-$sig" "$pid"       # the demo alone: its trap must stop the rest
        fi
        wait "$pid" || rc=$?
        expect_eq "$label: exit status" "$4" "$rc"
        check "$label: says it was interrupted" grep -q "interrupted by SIG$sig; stopped everything it started" "$out"
        check "$label: the demo did not finish" bash -c "! grep -q 'Demo finished' '$out'"
        check_gone "$out" "$label"
}

log "Ctrl-C (SIGINT to the process group)"
interrupt INT group "SIGINT" 130
log "SIGTERM to the demo alone"
interrupt TERM single "SIGTERM" 143

finish
