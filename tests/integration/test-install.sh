#!/bin/bash
# SPDX-License-Identifier: MIT
# The systemd issue end to end: a DESTDIR install of the build and its file
# set, the example config that is never overwritten, the installed header,
# library and pkg-config file used by a real program, the units (verify,
# security exposure), sysusers.d and tmpfiles.d, socket activation, the
# sd_notify protocol, the store key from $CREDENTIALS_DIRECTORY, and the
# installed tesserad logging in and refreshing inside a sandbox that applies
# the service's hardening as far as it can be reproduced without systemd as
# PID 1.
#
# Environment: BUILD_ROOT (the meson build directory) besides what lib.sh
# needs (TESSERA_SOURCE_ROOT, TESSERAD, TESSERA, SEED_SESSION); MESON
# optionally names the meson command.
. "$(dirname "$0")/lib.sh"
require_test_users

: "${BUILD_ROOT:?BUILD_ROOT must name the meson build directory}"
MESON=${MESON:-meson}
EXPOSURE_MAX=1.5

D=$T/destdir
mkdir -p "$D"

# --- where things should go -------------------------------------------------
options=$($MESON introspect --buildoptions "$BUILD_ROOT")
opt() { jq -r --arg n "$1" '.[] | select(.name == $n) | .value' <<<"$options"; }
under() { case $2 in /*) echo "$2" ;; *) echo "$1/$2" ;; esac; }
prefix=$(opt prefix)
bindir=$(under "$prefix" "$(opt bindir)")
sbindir=$(under "$prefix" "$(opt sbindir)")
libdir=$(under "$prefix" "$(opt libdir)")
includedir=$(under "$prefix" "$(opt includedir)")
mandir=$(under "$prefix" "$(opt mandir)")
sysconfdir=$(under "$prefix" "$(opt sysconfdir)")
version=$($MESON introspect --projectinfo "$BUILD_ROOT" | jq -r .version)

# The same rule as systemd/meson.build: systemd.pc, relocated under a prefix
# other than /usr; the meson options win.
systemd_dir() {
        local option=$1 var=$2 define=$3 fallback=$4 v
        v=$(opt "$option")
        if [ -n "$v" ]; then
                echo "$v"
        elif pkg-config --exists systemd; then
                if [ "$prefix" = /usr ]; then
                        pkg-config --variable="$var" systemd
                else
                        pkg-config --define-variable="$define=$prefix" --variable="$var" systemd
                fi
        else
                echo "$prefix/$fallback"
        fi
}
unitdir=$(systemd_dir systemunitdir systemdsystemunitdir root_prefix lib/systemd/system)
sysusersdir=$(systemd_dir sysusersdir sysusersdir prefix lib/sysusers.d)
tmpfilesdir=$(systemd_dir tmpfilesdir tmpfilesdir prefix lib/tmpfiles.d)
catalogdir=$(systemd_dir catalogdir catalogdir prefix lib/systemd/catalog)

# This test is about the complete installation.
if [ "$unitdir" = no ] || [ "$sysusersdir" = no ] || [ "$tmpfilesdir" = no ] || [ "$(opt man)" = disabled ]; then
        fail "the build leaves part of the installation out (-Dsystemunitdir/-Dsysusersdir/-Dtmpfilesdir=no or -Dman=disabled)"
        finish
fi

install_it() {
        $MESON install -C "$BUILD_ROOT" --no-rebuild --quiet --destdir "$D" >"$T/install.log" 2>&1 && return 0
        cat "$T/install.log"
        return 1
}

log "DESTDIR install"
check "meson install --destdir succeeds" install_it

real_lib=$(basename "$(readlink -f "$D$libdir/libtessera.so" 2>/dev/null || echo missing)")
expected=(
        "$sbindir/tesserad"
        "$bindir/tessera"
        "$libdir/libtessera.so"
        "$libdir/libtessera.so.1"
        "$libdir/$real_lib"
        "$libdir/pkgconfig/tessera.pc"
        "$includedir/tessera/tessera.h"
        "$sysconfdir/tessera/tessera.conf"
)
expected+=("$unitdir/tesserad.service" "$unitdir/tesserad.socket"
           "$unitdir/tessera-metrics.service" "$unitdir/tessera-metrics.timer"
           "$catalogdir/tessera.catalog"
           "$sysusersdir/tessera.conf" "$tmpfilesdir/tessera.conf"
           "$mandir/man1/tessera.1" "$mandir/man3/libtessera.3"
           "$mandir/man5/tessera.conf.5" "$mandir/man8/tesserad.8")
printf '%s\n' "${expected[@]}" | sed 's|//*|/|g' | sort >"$T/expected.list"
(cd "$D" && find . \( -type f -o -type l \) | sed 's|^\.||' | sort) >"$T/installed.list"
missing=$(comm -23 "$T/expected.list" "$T/installed.list" | tr '\n' ' ')
extra=$(comm -13 "$T/expected.list" "$T/installed.list" | tr '\n' ' ')
expect_eq "no expected file is missing" "" "$missing"
expect_eq "nothing unexpected is installed" "" "$extra"

log "installed files"
check "tesserad is executable" test -x "$D$sbindir/tesserad"
check "tessera is executable" test -x "$D$bindir/tessera"
expect_eq "installed tesserad --version" "tesserad $version" "$("$D$sbindir/tesserad" --version)"
check "the real library is libtessera.so.1.*" bash -c "[[ '$real_lib' == libtessera.so.1.* ]]"
expect_eq "libtessera.so.1 is a symlink to it" "$real_lib" "$(basename "$(readlink -f "$D$libdir/libtessera.so.1")")"
check "libtessera.so is a symlink" test -L "$D$libdir/libtessera.so"
soname=$(readelf -d "$D$libdir/$real_lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
expect_eq "SONAME" libtessera.so.1 "$soname"
check "public symbols carry the version LIBTESSERA_1" \
        bash -c "readelf -W --dyn-syms '$D$libdir/$real_lib' | grep -q ' tessera_get_token@@LIBTESSERA_1$'"
check "private symbols are not exported" \
        bash -c "! readelf -W --dyn-syms '$D$libdir/$real_lib' | grep -Eq ' (jr_|http_)[a-z_]*(@|$)'"
check "the example config is installed unchanged" cmp -s "$TESSERA_SOURCE_ROOT/config/tessera.conf" "$D$sysconfdir/tessera/tessera.conf"
expect_eq "the example config is mode 0644" 644 "$(stat -c %a "$D$sysconfdir/tessera/tessera.conf")"
for f in "$D$unitdir/tesserad.service" "$D$unitdir/tesserad.socket" "$D$tmpfilesdir/tessera.conf"; do
        check "no @placeholder@ left in $(basename "$f")" bash -c "! grep -q '@[a-z_]*@' '$f'"
done
check "the service starts the installed tesserad" grep -qx "ExecStart=$sbindir/tesserad" "$D$unitdir/tesserad.service"
check "tmpfiles.d creates the configured conf.d" grep -q "^d $sysconfdir/tessera/conf.d " "$D$tmpfilesdir/tessera.conf"
check "the installed config passes --check-config (with a secret)" \
        bash -c "sed 's|^client_secret_file = .*|client_secret_file = $T/etc/default.secret|' '$D$sysconfdir/tessera/tessera.conf' > '$T/example.conf' &&
                 STATE_DIRECTORY=$T/state-example RUNTIME_DIRECTORY=$T/run '$D$sbindir/tesserad' --config '$T/example.conf' --check-config >/dev/null"

log "the example config is never overwritten"
echo "; local change" >>"$D$sysconfdir/tessera/tessera.conf"
chmod 0640 "$D$sysconfdir/tessera/tessera.conf"
check "second install succeeds" install_it
check "a modified config is kept" grep -qx "; local change" "$D$sysconfdir/tessera/tessera.conf"
expect_eq "its mode is kept" 640 "$(stat -c %a "$D$sysconfdir/tessera/tessera.conf")"
check "no temporary file left beside it" bash -c "[ \$(ls -A '$D$sysconfdir/tessera' | wc -l) = 1 ]"
rm "$D$sysconfdir/tessera/tessera.conf"
check "third install succeeds" install_it
check "a deleted config is installed again" cmp -s "$TESSERA_SOURCE_ROOT/config/tessera.conf" "$D$sysconfdir/tessera/tessera.conf"

log "pkg-config, header and library"
export PKG_CONFIG_PATH="$D$libdir/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$D"
export PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 PKG_CONFIG_ALLOW_SYSTEM_LIBS=1
expect_eq "pkg-config --modversion tessera" "$version" "$(pkg-config --modversion tessera 2>&1)"
flags=$(pkg-config --cflags --libs tessera 2>&1) || true
check "cflags point into the DESTDIR ($flags)" grep -q -- "-I$D$includedir" <<<"$flags"
check "libs point into the DESTDIR" grep -q -- "-L$D$libdir" <<<"$flags"
check "libs name -ltessera" grep -qw -- "-ltessera" <<<"$flags"
cat >"$T/app.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <tessera/tessera.h>

/* app SOCKET: prints the HTTP status of /v1/status (or the error) and the
 * error code of a token request for "default"; never a token. */
int main(int argc, char *argv[]) {
        tessera_client *c = NULL;
        tessera_token *t = NULL;
        char *body = NULL;
        int r, status = 0;

        if (argc != 2)
                return 2;
        r = tessera_client_new(argv[1], &c);
        if (r < 0)
                return 1;
        (void) tessera_client_set_timeout(c, 5000);
        r = tessera_request(c, "GET", "/v1/status", NULL, 0, &status, &body);
        printf("status %d %d\n", r, status);
        body = tessera_free(body);
        r = tessera_get_token(c, NULL, 10, &t);
        printf("token %d %s\n", r, r == 0 ? "ok" : tessera_strerror(r));
        t = tessera_token_free(t);
        c = tessera_client_free(c);
        return 0;
}
C
# A library built with sanitizers needs its runtime in the program too.
sanitize=$(opt b_sanitize)
[ "$sanitize" = none ] && sanitize= || sanitize="-fsanitize=$sanitize"
# shellcheck disable=SC2086
check "a program compiles and links against the installed library" \
        cc -Wall -Wextra -Werror $sanitize -o "$T/app" "$T/app.c" $flags
check "it needs libtessera.so.1" bash -c "readelf -d '$T/app' | grep -q 'NEEDED.*\[libtessera.so.1\]'"
out=$(LD_LIBRARY_PATH="$D$libdir" "$T/app" "$T/no-such.sock" 2>&1) || true
expect_eq "it runs: no daemon is TESSERA_E_UNAVAILABLE (-5)" "status -5 0" "$(head -n1 <<<"$out")"
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR

log "units, sysusers.d, tmpfiles.d"
mkdir -p "$T/units"
sed "s|^ExecStart=$sbindir/tesserad|ExecStart=$D$sbindir/tesserad|" "$D$unitdir/tesserad.service" >"$T/units/tesserad.service"
cp "$D$unitdir/tesserad.socket" "$T/units/"
# The man pages named in Documentation= must be the installed ones.
verify=$(cd "$T/units" && MANPATH="$D$mandir" systemd-analyze verify ./tesserad.service ./tesserad.socket 2>&1) && rc=0 || rc=$?
expect_eq "systemd-analyze verify: clean ($verify)" "0 " "$rc $verify"
sec=$(systemd-analyze security --offline=true --no-pager "$D$unitdir/tesserad.service" 2>&1) || true
exposure=$(sed -n 's/.*Overall exposure level for tesserad.service: \([0-9.]*\).*/\1/p' <<<"$sec")
echo "# exposure level: ${exposure:-?}"
check "exposure is a number" grep -Eq '^[0-9]+\.[0-9]+$' <<<"$exposure"
check "exposure $exposure <= $EXPOSURE_MAX" awk -v e="$exposure" -v m="$EXPOSURE_MAX" 'BEGIN { exit !(e != "" && e + 0 <= m + 0) }'
check "systemd-analyze security --threshold=15 passes" \
        bash -c "systemd-analyze security --offline=true --threshold=15 --no-pager '$D$unitdir/tesserad.service' >/dev/null 2>&1"
for s in "User=tessera" "Type=notify" "StateDirectory=tessera" "RuntimeDirectory=tessera" \
        "ConfigurationDirectory=tessera" "LoadCredentialEncrypted=tessera.key" "WatchdogSec=" \
        "CapabilityBoundingSet=$" "ProtectSystem=strict" "PrivateDevices=yes" "NoNewPrivileges=yes"; do
        check "service: $s" grep -q "^$s" "$D$unitdir/tesserad.service"
done
for s in "ListenStream=/run/tessera/api.sock" "SocketMode=0660" "SocketGroup=tessera"; do
        check "socket: $s" grep -qx "$s" "$D$unitdir/tesserad.socket"
done

R=$T/sysroot
mkdir -p "$R/etc"
check "systemd-sysusers accepts the sysusers.d file" bash -c "systemd-sysusers --root='$R' '$D$sysusersdir/tessera.conf' >/dev/null 2>&1"
check "user tessera: system user, no login shell, home in the state dir" \
        grep -Eq '^tessera:x:[0-9]+:[0-9]+:[^:]*:/var/lib/tessera:/usr/sbin/nologin$' "$R/etc/passwd"
check "group tessera" grep -q '^tessera:' "$R/etc/group"
check "group tessera-admin" grep -q '^tessera-admin:' "$R/etc/group"
check "systemd-tmpfiles accepts the tmpfiles.d file" systemd-tmpfiles --root="$R" --create "$D$tmpfilesdir/tessera.conf"
tessera_uid=$(awk -F: '$1 == "tessera" { print $3 }' "$R/etc/passwd")
expect_eq "tmpfiles: configuration directory" "755 0" "$(stat -c '%a %u' "$R$sysconfdir/tessera")"
expect_eq "tmpfiles: conf.d" "755 0" "$(stat -c '%a %u' "$R$sysconfdir/tessera/conf.d")"
expect_eq "tmpfiles: state directory" "700 $tessera_uid" "$(stat -c '%a %u' "$R/var/lib/tessera")"

log "socket activation (systemd-socket-activate)"
write_config
ACT=$T/act/api.sock
mkdir -p "$T/act"
systemd-socket-activate -l "$ACT" "$D$sbindir/tesserad" --config "$CONF" >>"$T/daemon.log" 2>&1 &
DAEMON_PID=$!
for _ in $(seq 1 100); do [ -S "$ACT" ] && break; sleep 0.05; done
code=$(curl -s -o "$T/act-status.json" -w '%{http_code}' --max-time 10 --unix-socket "$ACT" http://tessera/v1/status) || true
expect_eq "the first connection starts tesserad, which answers /v1/status" 200 "$code"
check "it serves the socket it was given" grep -q "listening on the socket passed by systemd" "$T/daemon.log"
check "it did not bind its configured socket" test ! -e "$SOCK"
rc=$(rc_of env TESSERA_SOCKET="$ACT" LD_LIBRARY_PATH="$D$libdir" "$D$bindir/tessera" status)
expect_eq "installed tessera status: accounts need a login (3)" 3 "$rc"
out=$(LD_LIBRARY_PATH="$D$libdir" "$T/app" "$ACT" 2>&1) || true
expect_eq "the program gets 200 from /v1/status" "status 0 200" "$(sed -n 1p <<<"$out")"
expect_eq "the program gets TESSERA_E_LOGIN_REQUIRED (-2)" "-2" "$(sed -n 2p <<<"$out" | cut -d' ' -f2)"
stop_daemon && rc=0 || rc=$?
expect_eq "SIGTERM: exit 0" 0 "$rc"
check "the passed socket is left to its owner" test -S "$ACT"

log "sd_notify: READY, WATCHDOG, RELOADING, STOPPING"
NOTIFY=$T/notify.sock
python3 - "$NOTIFY" "$T/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as out:
    while True:
        for line in s.recv(4096).decode(errors="replace").splitlines():
            out.write(line + "\n")
PY
CLEANUP_PIDS+=($!)
for _ in $(seq 1 100); do [ -S "$NOTIFY" ] && break; sleep 0.05; done
wait_for() { for _ in $(seq 1 200); do grep -qx "$1" "$T/notify.log" 2>/dev/null && return 0; sleep 0.05; done; return 1; }
NOTIFY_SOCKET=$NOTIFY WATCHDOG_USEC=400000 "$TESSERAD" --config "$CONF" >>"$T/daemon.log" 2>&1 &
DAEMON_PID=$!
check "READY=1" wait_for "READY=1"
check "a STATUS= line" bash -c "grep -q '^STATUS=' '$T/notify.log'"
: >"$T/notify.log"
sleep 1.3
n=$(grep -cx "WATCHDOG=1" "$T/notify.log" || true)
check "WATCHDOG=1 at least twice in 1.3 s with WatchdogSec=0.4 s (got $n)" test "$n" -ge 2
: >"$T/notify.log"
kill -HUP "$DAEMON_PID"
check "SIGHUP: RELOADING=1" wait_for "RELOADING=1"
check "SIGHUP: READY=1 again" wait_for "READY=1"
kill -TERM "$DAEMON_PID"
check "SIGTERM: STOPPING=1" wait_for "STOPPING=1"
wait "$DAEMON_PID" && rc=0 || rc=$?
DAEMON_PID=
expect_eq "exit 0" 0 "$rc"

log "store key from \$CREDENTIALS_DIRECTORY"
rm -rf "$STATE"
mkdir -p "$T/creds"
head -c 32 /dev/urandom >"$T/creds/tessera.key"
chmod 0400 "$T/creds/tessera.key"
TOKEN="tok-$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')"
REFRESH="ref-$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')"
printf '%s\n%s\n' "$TOKEN" "$REFRESH" |
        CREDENTIALS_DIRECTORY=$T/creds "$SEED_SESSION" "$STATE" default https://account.gipo.example 3600 "Alice" t-1 "Clinic" "openid" >/dev/null
CREDENTIALS_DIRECTORY=$T/creds "$TESSERAD" --config "$CONF" >>"$T/daemon.log" 2>&1 &
DAEMON_PID=$!
for _ in $(seq 1 200); do [ -S "$SOCK" ] && break; sleep 0.05; done
read -r code body <<<"$(api GET /v1/accounts/default/token)"
expect_eq "the session sealed with the credential key serves its token" 200 "$code"
check "it is the seeded token" bash -c '[ "$(jq -r .access_token <<<"$1")" = "$2" ]' _ "$body" "$TOKEN"
check "no key file was created in the state directory" test ! -e "$STATE/key"
check "the token is not in the store in plaintext" bash -c "! grep -rqF -- '$TOKEN' '$STATE'"
stop_daemon
start_daemon
check "without the credential a key file is created" test -f "$STATE/key"
read -r code body <<<"$(api GET /v1/accounts/default/token)"
expect_eq "and the credential-sealed session does not open with it" "401 login_required" "$code $(jq -r .error <<<"$body")"
stop_daemon

log "the installed tesserad under the service's restrictions"
# The sandbox: what tesserad.service asks systemd for, rebuilt with
# unshare, mounts, setpriv and seccomp (python3-seccomp), applied to the
# installed binary running as an unprivileged user:
#   User=, NoNewPrivileges, CapabilityBoundingSet= (empty), UMask=0077,
#   ProtectSystem=strict (all mounts read-only but the state and runtime
#   directories), ProtectKernelTunables and ProtectControlGroups (/sys
#   read-only), ProtectHome, PrivateTmp, PrivateDevices, ProcSubset=pid,
#   ProtectProc=default, ProtectHostname (UTS namespace), PrivateIPC,
#   SystemCallFilter=@system-service ~@privileged @resources,
#   SystemCallArchitectures=native, MemoryDenyWriteExecute,
#   RestrictAddressFamilies, RestrictNamespaces, LockPersonality,
#   RestrictSUIDSGID, LimitNOFILE, and $STATE_DIRECTORY/$RUNTIME_DIRECTORY.
# Not reproduced: DevicePolicy (cgroup), ProtectKernelModules/Logs/Clock
# beyond having no capabilities, RemoveIPC, KeyringMode,
# LoadCredentialEncrypted, WatchdogSec and Restart.
check "python3-seccomp is installed (tools/install-deps)" /usr/bin/python3 -c "import seccomp"
H=$T/hard
mkdir -p "$H/bin" "$H/lib" "$H/etc" "$H/state" "$H/run"
cp "$D$sbindir/tesserad" "$H/bin/"
chown "$TEST_USER:" "$H/state" "$H/run"
chmod 0700 "$H/state"
chmod 0755 "$H/run"

/usr/bin/python3 - "$H/lib/allow.txt" <<'PY'
# @system-service minus @privileged and @resources, groups expanded.
import subprocess, sys
groups, cur = {}, None
for line in subprocess.run(["systemd-analyze", "syscall-filter", "--no-pager"],
                           capture_output=True, text=True, check=True).stdout.splitlines():
    if line.startswith("@"):
        cur = groups.setdefault(line.strip(), [])
    elif cur is not None and line.strip() and not line.strip().startswith("#"):
        cur.append(line.strip())
def expand(name, seen=None):
    seen = set() if seen is None else seen
    out = set()
    for item in groups[name]:
        if item.startswith("@"):
            if item not in seen:
                seen.add(item)
                out |= expand(item, seen)
        else:
            out.add(item)
    return out
allowed = expand("@system-service") - expand("@privileged") - expand("@resources")
assert "read" in allowed and "setuid" not in allowed and "setrlimit" not in allowed
open(sys.argv[1], "w").write("\n".join(sorted(allowed)) + "\n")
PY

cat >"$H/lib/seccomp-exec.py" <<'PY'
# seccomp-exec.py ALLOWLIST COMMAND...: loads filters like systemd's and execs.
import errno, os, sys
from seccomp import ALLOW, ERRNO, EQ, GT, MASKED_EQ, NE, Arg, SyscallFilter

allow = SyscallFilter(defaction=ERRNO(errno.EPERM))          # SystemCallFilter=, native arch only
for name in open(sys.argv[1]).read().split():
    try:
        allow.add_rule(ALLOW, name)
    except Exception:
        pass                                                  # not a syscall on this architecture

extra = SyscallFilter(defaction=ALLOW)
PROT_WRITE, PROT_EXEC, SHM_EXEC = 0x2, 0x4, 0o100000
extra.add_rule(ERRNO(errno.EPERM), "mmap", Arg(2, MASKED_EQ, PROT_WRITE | PROT_EXEC, PROT_WRITE | PROT_EXEC))
extra.add_rule(ERRNO(errno.EPERM), "mprotect", Arg(2, MASKED_EQ, PROT_EXEC, PROT_EXEC))
extra.add_rule(ERRNO(errno.EPERM), "pkey_mprotect", Arg(2, MASKED_EQ, PROT_EXEC, PROT_EXEC))
extra.add_rule(ERRNO(errno.EPERM), "shmat", Arg(2, MASKED_EQ, SHM_EXEC, SHM_EXEC))
for family in range(0, 46):                                   # RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
    if family not in (1, 2, 10):
        extra.add_rule(ERRNO(errno.EAFNOSUPPORT), "socket", Arg(0, EQ, family))
extra.add_rule(ERRNO(errno.EAFNOSUPPORT), "socket", Arg(0, GT, 45))
for flag in (0x00020000, 0x02000000, 0x04000000, 0x08000000,  # RestrictNamespaces=yes
             0x10000000, 0x20000000, 0x40000000, 0x00000080):
    extra.add_rule(ERRNO(errno.EPERM), "unshare", Arg(0, MASKED_EQ, flag, flag))
    extra.add_rule(ERRNO(errno.EPERM), "clone", Arg(0, MASKED_EQ, flag, flag))
extra.add_rule(ERRNO(errno.EPERM), "setns")
extra.add_rule(ERRNO(errno.ENOSYS), "clone3")                 # flags out of reach: glibc falls back to clone
extra.add_rule(ERRNO(errno.EPERM), "personality", Arg(0, NE, 0))  # LockPersonality=
for bit in (0o4000, 0o2000):                                  # RestrictSUIDSGID=
    extra.add_rule(ERRNO(errno.EPERM), "chmod", Arg(1, MASKED_EQ, bit, bit))
    extra.add_rule(ERRNO(errno.EPERM), "fchmod", Arg(1, MASKED_EQ, bit, bit))
    extra.add_rule(ERRNO(errno.EPERM), "fchmodat", Arg(2, MASKED_EQ, bit, bit))

# The allow list denies seccomp() itself: it goes last.
extra.load()
allow.load()
os.execv(sys.argv[2], sys.argv[2:])
PY

cat >"$H/lib/sandbox.sh" <<'SH'
# sandbox.sh HARD_DIR USER COMMAND...: run inside "unshare --mount --uts --ipc".
set -euo pipefail
H=$1 U=$2
shift 2
mount --bind "$H" /mnt
for d in bin lib etc; do mount --bind "/mnt/$d" "/mnt/$d"; mount -o remount,bind,ro "/mnt/$d"; done
# ProtectSystem=strict, ProtectKernelTunables=, ProtectControlGroups=
awk '{ print $5 }' /proc/self/mountinfo | sort -u | while read -r m; do
        case $m in /mnt|/mnt/*|/proc|/proc/*|/dev|/dev/*) continue ;; esac
        mount -o remount,bind,ro "$m"
done
# PrivateTmp=, ProtectHome=
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /var/tmp
for d in /home /root /run/user; do
        if [ -d "$d" ]; then mount -t tmpfs -o mode=000,ro tmpfs "$d"; fi
done
# PrivateDevices=
mount -t tmpfs -o mode=0755,nosuid,noexec tmpfs /dev
while read -r name major minor; do
        mknod -m 0666 "/dev/$name" c "$major" "$minor"
done <<DEV
null 1 3
zero 1 5
full 1 7
random 1 8
urandom 1 9
DEV
mkdir /dev/shm
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm
ln -s /proc/self/fd /dev/fd
# ProcSubset=pid with ProtectProc=default
mount -t proc -o subset=pid,nosuid,nodev,noexec proc /proc
# LimitNOFILE=65536, or the hard limit where that is lower.
hard=$(ulimit -Hn)
if [ "$hard" = unlimited ] || [ "$hard" -gt 65536 ]; then hard=65536; fi
ulimit -n "$hard"
umask 0077
exec setpriv --reuid="$U" --regid="$U" --init-groups --no-new-privs \
        --inh-caps=-all --ambient-caps=-all --bounding-set=-all \
        -- /usr/bin/python3 /mnt/lib/seccomp-exec.py /mnt/lib/allow.txt "$@"
SH

# Replaces the calling (sub)shell, so that $! of "sandbox ... &" is the
# sandboxed program itself: unshare, bash and setpriv all exec.
# LeakSanitizer (in a sanitizer build) stops threads with ptrace, which the
# service's filter forbids: leaks are checked in the other runs.
sandbox() {
        STATE_DIRECTORY=/mnt/state RUNTIME_DIRECTORY=/mnt/run \
                ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
                exec unshare --mount --uts --ipc -- bash "$H/lib/sandbox.sh" "$H" "$TEST_USER" "$@"
}

cat >"$H/lib/probe.py" <<'PY'
# Each line: a restriction and whether it held inside the sandbox.
import ctypes, errno, mmap, os, socket
def res(name, ok): print(("ok" if ok else "FAIL"), name)
def fails(fn, *errs):
    try:
        fn()
    except OSError as e:
        return e.errno in errs
    return False
def write(p):
    with open(p, "w") as f:
        f.write("x")
status = dict(l.split(":", 1) for l in open("/proc/self/status").read().splitlines() if ":" in l)
res("runs as the unprivileged user", os.getuid() != 0 and os.geteuid() != 0)
res("no capabilities", int(status["CapEff"].strip(), 16) == 0 and int(status["CapBnd"].strip(), 16) == 0)
res("no new privileges", status["NoNewPrivs"].strip() == "1")
res("seccomp filter active", status["Seccomp"].strip() == "2")
res("/etc is read-only", fails(lambda: write("/etc/tessera-probe"), errno.EROFS, errno.EACCES))
res("/usr is read-only", fails(lambda: write("/usr/tessera-probe"), errno.EROFS, errno.EACCES))
res("/var/lib is read-only", fails(lambda: write("/var/lib/tessera-probe"), errno.EROFS, errno.EACCES))
res("/sys is read-only", fails(lambda: write("/sys/kernel/tessera-probe"), errno.EROFS, errno.EACCES, errno.ENOENT))
write("/mnt/state/probe"); os.unlink("/mnt/state/probe"); res("the state directory is writable", True)
res("the config directory is read-only", fails(lambda: write("/mnt/etc/probe"), errno.EROFS, errno.EACCES))
res("private /tmp is empty", os.listdir("/tmp") == [])
res("/home is inaccessible", fails(lambda: os.listdir("/home"), errno.EACCES))
res("/root is inaccessible", fails(lambda: os.listdir("/root"), errno.EACCES))
res("/proc/sys is hidden", not os.path.exists("/proc/sys"))
res("/dev has only the basic nodes", set(os.listdir("/dev")) <= {"null", "zero", "full", "random", "urandom", "shm", "fd"})
res("AF_NETLINK is refused", fails(lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0), errno.EAFNOSUPPORT))
res("AF_PACKET is refused", fails(lambda: socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0), errno.EAFNOSUPPORT, errno.EPERM))
socket.socket(socket.AF_INET6, socket.SOCK_STREAM).close(); res("AF_INET6 is allowed", True)
res("writable+executable memory is refused",
    fails(lambda: mmap.mmap(-1, 4096, prot=mmap.PROT_WRITE | mmap.PROT_EXEC), errno.EPERM))
libc = ctypes.CDLL(None, use_errno=True)
res("unshare(CLONE_NEWUSER) is refused", libc.unshare(0x10000000) == -1 and ctypes.get_errno() == errno.EPERM)
res("personality() is locked", libc.personality(0x0008) == -1 and ctypes.get_errno() == errno.EPERM)
res("setpriority (@resources) is refused", fails(lambda: os.setpriority(os.PRIO_PROCESS, 0, 5), errno.EPERM))
res("realtime scheduling is refused", fails(lambda: os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1)), errno.EPERM))
res("setuid (@privileged) is refused", libc.setuid(0) == -1 and ctypes.get_errno() == errno.EPERM)
open("/mnt/state/suid", "w").close()
res("setting the SUID bit is refused", fails(lambda: os.chmod("/mnt/state/suid", 0o4755), errno.EPERM))
os.unlink("/mnt/state/suid")
res("the hostname namespace is private", os.readlink("/proc/self/ns/uts") != open("/mnt/lib/host-uts").read().strip())
PY
readlink /proc/self/ns/uts >"$H/lib/host-uts"
(sandbox /usr/bin/python3 /mnt/lib/probe.py) >"$T/probe.out" 2>&1 || true
while read -r verdict what; do
        if [ "$verdict" = ok ]; then pass "sandbox: $what"; else fail "sandbox: $verdict $what"; fi
done <"$T/probe.out"
check "sandbox: every probe ran ($(wc -l <"$T/probe.out") lines)" test "$(grep -c '^ok ' "$T/probe.out")" -eq 26

start_idp TESSERA_IDP_AT_TTL=30
client_secret tessera-basic >"$H/etc/basic.secret"
chown "root:$(id -gn "$TEST_USER")" "$H/etc/basic.secret"
chmod 0640 "$H/etc/basic.secret"
cat >"$H/etc/tessera.conf" <<CONF
[daemon]
admins = root
log_level = debug

[account default]
issuer = $ISSUER
client_id = tessera-basic
client_secret_file = /mnt/etc/basic.secret
scope = openid offline_access giponext.patients giponext.agenda
userinfo_url = $API_BASE/v2/userinfo
api_base = $API_BASE
users = $TEST_USER
CONF
chmod 0644 "$H/etc/tessera.conf"
SOCK=$H/run/api.sock
: >"$T/daemon.log"
sandbox /mnt/bin/tesserad --config /mnt/etc/tessera.conf >>"$T/daemon.log" 2>&1 &
DAEMON_PID=$!
for _ in $(seq 1 200); do [ -S "$SOCK" ] && break; kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.05; done
check "hardened tesserad started and bound \$RUNTIME_DIRECTORY/api.sock" test -S "$SOCK"
expect_eq "socket mode 0660, group of the service user" "660 $(id -gn "$TEST_USER")" "$(stat -c '%a %G' "$SOCK" 2>/dev/null)"
read -r code body <<<"$(api GET /v1/status)"
expect_eq "GET /v1/status" 200 "$code"
expect_eq "store key created by the service user, 0600" "600 $TEST_USER" "$(stat -c '%a %U' "$H/state/key" 2>/dev/null)"
status=$(login_code default alice alice-pw approve) || true
expect_eq "code login: the browser lands on the success page" 200 "$status"
res=$(login_result default)
expect_eq "code login done (loopback listener, IdP over the network)" done "$(jq -r .state <<<"$res")"
read -r code body <<<"$(api GET /v1/accounts/default/token)"
expect_eq "token served" 200 "$code"
tok1=$(jq -r .access_token <<<"$body")
expect_eq "session written by the service user, 0600" "600 $TEST_USER" \
        "$(stat -c '%a %U' "$H/state/accounts/default.session" 2>/dev/null)"
expect_eq "the token works at the API emulator" 200 \
        "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok1" "$API_BASE/v2/tenants/t-100/ping")"
sleep 2
read -r code body <<<"$(api GET '/v1/accounts/default/token?min_valid=29')"
expect_eq "a token valid 29 s more needs a refresh: served" 200 "$code"
tok2=$(jq -r .access_token <<<"$body")
check "refresh gave a new token" test "$tok1" != "$tok2"
expect_eq "the refreshed token is active" true "$(introspect_active "$tok2")"
check "the audit line names the caller, not its token" grep -q "audit: token account=default pid=[0-9]* uid=0 " "$T/daemon.log"
check "the audit line cannot read another user's /proc/PID/exe (documented)" grep -q "audit: token account=default .* exe=? " "$T/daemon.log"
check "no token in the log" bash -c "! grep -qF -- '$tok1' '$T/daemon.log' && ! grep -qF -- '$tok2' '$T/daemon.log'"
check "no token in the store" bash -c "! grep -rqF -- '$tok2' '$H/state'"
read -r code body <<<"$(api POST /v1/accounts/default/logout)"
expect_eq "logout (revocation at the IdP)" 200 "$code"
expect_eq "the revoked token is no longer active" false "$(introspect_active "$tok2")"
stop_daemon && rc=0 || rc=$?
expect_eq "hardened tesserad stops cleanly" 0 "$rc"
check "it removed its socket" test ! -e "$SOCK"
stop_idp

finish
