#!/bin/bash
# SPDX-License-Identifier: MIT
# The Debian packages end to end, on this machine: builds them with
# "dpkg-buildpackage -us -uc -b" as an unprivileged user from a copy of the
# work tree (uncommitted changes included, build directories left out),
# checks them with lintian and dpkg-deb, installs them with apt-get, checks
# the files, the user and groups, the directories and the enabled socket,
# runs the installed tesserad and tessera (debian/tests, the autopkgtest
# scripts), upgrades tesserad to a rebuilt higher version (state and a
# changed configuration kept), removes it (state kept), purges everything
# and checks that the machine is as before.
#
# Users: Debian keeps system users and groups on purge (files elsewhere may
# still belong to them), so the test checks that "tessera" and
# "tessera-admin" are still there after the purge, and then deletes them
# itself when they did not exist before it ran; /etc/passwd, /etc/group,
# /etc/shadow and /etc/gshadow must then be as before.
#
# Needs root. Refuses to run when one of the packages is already installed.
# Environment: TESSERA_SOURCE_ROOT (the source tree), TESSERA_VERSION (the
# meson project version); TESSERA_BUILD_USER (default nobody) builds.
set -euo pipefail

SRC=${TESSERA_SOURCE_ROOT:?TESSERA_SOURCE_ROOT must name the source tree}
VERSION=${TESSERA_VERSION:?TESSERA_VERSION must be the meson project version}
BUILD_USER=${TESSERA_BUILD_USER:-nobody}
PACKAGES=(tesserad tessera libtessera1 libtessera-dev)
USER_FILES=(/etc/passwd /etc/group /etc/shadow /etc/gshadow)
export DEBIAN_FRONTEND=noninteractive

CHECKS=0
FAILED=0
pass() { CHECKS=$((CHECKS + 1)); echo "ok - $*"; }
fail() { CHECKS=$((CHECKS + 1)); FAILED=$((FAILED + 1)); echo "not ok - $*"; }
check() {
        local what=$1
        shift
        if "$@" >/dev/null; then pass "$what"; else fail "$what"; fi
}
expect_eq() {
        if [ "$2" = "$3" ]; then pass "$1"; else fail "$1 (expected '$2', got '$3')"; fi
}
log() { echo "# $*"; }
# show FILE: a file as comment lines.
show() { sed 's/^/#   /' "$1"; }
finish() {
        echo "# $CHECKS checks, $FAILED failed"
        [ "$FAILED" -eq 0 ]
}
# Fatal: what follows cannot run.
abort() {
        fail "$*"
        finish || true
        exit 1
}

[ "$(id -u)" -eq 0 ] || abort "needs root (apt-get install, users)"
for c in dpkg-buildpackage dh dpkg-checkbuilddeps lintian apt-get dpkg-deb runuser setpriv jq; do
        command -v "$c" >/dev/null || abort "$c is missing: run tools/install-deps"
done
id "$BUILD_USER" >/dev/null 2>&1 || abort "no build user $BUILD_USER"

pkg_status() { dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null | tr -d ' ' || true; }
for p in "${PACKAGES[@]}"; do
        s=$(pkg_status "$p")
        case $s in "" | ?n) ;; *) abort "package $p is already on this machine ($s): the test would replace it" ;; esac
done

T=$(mktemp -d /tmp/tessera-deb.XXXXXX)
chmod 0755 "$T"
INSTALLED=0
HAD_USER=0
HAD_GROUP=0
HAD_ADMIN_GROUP=0
getent passwd tessera >/dev/null && HAD_USER=1
getent group tessera >/dev/null && HAD_GROUP=1
getent group tessera-admin >/dev/null && HAD_ADMIN_GROUP=1

remove_created_users() {
        if [ "$HAD_USER" -eq 0 ] && getent passwd tessera >/dev/null; then userdel tessera; fi
        if [ "$HAD_GROUP" -eq 0 ] && getent group tessera >/dev/null; then groupdel tessera; fi
        if [ "$HAD_ADMIN_GROUP" -eq 0 ] && getent group tessera-admin >/dev/null; then groupdel tessera-admin; fi
}

cleanup() {
        local p
        # Whatever failed, the machine gets its state back: no package of
        # ours stays installed, no user the test created stays.
        if [ "$INSTALLED" -eq 1 ]; then
                for p in "${PACKAGES[@]}"; do
                        case $(pkg_status "$p") in "" | ?n) ;; *)
                                apt-get purge -y -qq "$p" >/dev/null 2>&1 || dpkg --purge "$p" >/dev/null 2>&1 || true ;;
                        esac
                done
                remove_created_users 2>/dev/null || true
        fi
        rm -rf "$T"
}
trap cleanup EXIT

# --- the machine before --------------------------------------------------------
mkdir -p "$T/before"
for f in "${USER_FILES[@]}"; do cp -p "$f" "$T/before/$(basename "$f")"; done
list_packages() { dpkg-query -W -f='${Package}:${Architecture} ${db:Status-Abbrev}\n' | sort; }
list_packages >"$T/packages.before"
ours_on_disk() {
        local f
        for f in /etc/tessera /var/lib/tessera /usr/sbin/tesserad /usr/bin/tessera \
                /etc/systemd/system/sockets.target.wants/tesserad.socket \
                /etc/systemd/system/multi-user.target.wants/tesserad.service; do
                if [ -e "$f" ] || [ -L "$f" ]; then echo "$f"; fi
        done
        find /lib/systemd/system /usr/lib/systemd/system /var/lib/systemd/deb-systemd-helper-enabled \
                /var/lib/systemd/deb-systemd-helper-masked -name 'tesserad*' 2>/dev/null || true
}
ours_on_disk >"$T/ours.before"
expect_eq "nothing of tessera on this machine before the test" "" "$(tr '\n' ' ' <"$T/ours.before")"

# --- a copy of the work tree -----------------------------------------------------
B=$T/build
W=$B/tessera-$VERSION
mkdir -p "$W" "$T/home"
copy_tree() {
        if git -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
                # Tracked and untracked files, without what .gitignore leaves
                # out (build directories, node_modules) and without files
                # deleted in the work tree.
                (cd "$SRC" && git ls-files -co --exclude-standard -z |
                        while IFS= read -r -d '' f; do
                                [ -e "$f" ] || [ -L "$f" ] || continue
                                case $f in obj-*/*) continue ;; esac
                                printf '%s\0' "$f"
                        done | tar --null -T - -cf -) | tar -xf - -C "$W"
        else
                tar -C "$SRC" --exclude='./build*' --exclude='./obj-*' --exclude=node_modules \
                        --exclude=.git -cf - . | tar -xf - -C "$W"
        fi
}
check "the work tree is copied (git ls-files -co --exclude-standard, or all but build directories)" copy_tree
check "the copy has debian/ and no build directory" \
        bash -c "[ -f '$W/debian/control' ] && ! ls -d '$W'/build* '$W'/obj-* >/dev/null 2>&1"
chown -R "$BUILD_USER:" "$B" "$T/home"
expect_eq "debian/changelog has the meson project version" "$VERSION" \
        "$(cd "$W" && dpkg-parsechangelog -S Version)"

if (cd "$W" && dpkg-checkbuilddeps) >"$T/builddeps.log" 2>&1; then
        pass "build dependencies are installed"
else
        fail "build dependencies are installed (tools/install-deps)"
        show "$T/builddeps.log"
fi

# --- dpkg-buildpackage -------------------------------------------------------------
log "dpkg-buildpackage -us -uc -b, as $BUILD_USER"
build() {
        (cd "$W" && runuser -u "$BUILD_USER" -- env HOME="$T/home" DEB_BUILD_OPTIONS="parallel=$(nproc)" \
                dpkg-buildpackage -us -uc -b) >"$T/build.log" 2>&1
}
if build; then
        pass "dpkg-buildpackage -us -uc -b"
else
        fail "dpkg-buildpackage -us -uc -b"
        # The failed steps and tests first, then the end of the log.
        grep -E 'FAIL|check failed|error:|Error [0-9]' "$T/build.log" | head -n 20 | sed 's/^/#   /'
        echo "#   ..."
        tail -n 40 "$T/build.log" | sed 's/^/#   /'
        abort "no packages were built"
fi
ARCH=$(dpkg-architecture -qDEB_HOST_ARCH)
MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
CHANGES=$B/tessera_${VERSION}_$ARCH.changes
check "the .changes file" test -f "$CHANGES"
DEBS=()
for p in "${PACKAGES[@]}"; do
        d=$B/${p}_${VERSION}_$ARCH.deb
        check "package $p" test -f "$d"
        DEBS+=("$d")
done
deb_of() { echo "$B/${1}_${VERSION}_$ARCH.deb"; }

# --- lintian -------------------------------------------------------------------------
# Errors fail; every warning must be explained in debian/README.source.
lint_rc=0
runuser -u "$BUILD_USER" -- env HOME="$T/home" lintian --display-info --tag-display-limit 0 \
        --fail-on error "$CHANGES" >"$T/lintian.log" 2>&1 || lint_rc=$?
show "$T/lintian.log"
expect_eq "lintian: no error" 0 "$lint_rc"
expect_eq "lintian: no E: tag" "" "$(grep '^E: ' "$T/lintian.log" | tr '\n' ' ')"
for tag in $(sed -n 's/^W: [^:]*: \([a-z0-9-]*\).*/\1/p' "$T/lintian.log" | sort -u); do
        check "lintian warning $tag is explained in debian/README.source" \
                grep -qw -- "$tag" "$W/debian/README.source"
done

# --- what the packages hold ------------------------------------------------------------
UNITDIR=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
contents() {
        dpkg-deb --fsys-tarfile "$(deb_of "$1")" | tar -t | sed -n 's|^\./|/|p' | grep -v '/$' |
                grep -v "^/usr/share/doc/$1/" | sort
}
expected_contents() {
        case $1 in
        tesserad) printf '%s\n' /etc/tessera/tessera.conf "$UNITDIR/tesserad.service" \
                "$UNITDIR/tesserad.socket" /usr/lib/systemd/catalog/tessera.catalog \
                /usr/lib/sysusers.d/tessera.conf /usr/lib/tmpfiles.d/tessera.conf \
                /usr/sbin/tesserad /usr/share/lintian/overrides/tesserad \
                /usr/share/man/man5/tessera.conf.5.gz /usr/share/man/man8/tesserad.8.gz ;;
        tessera) printf '%s\n' /usr/bin/tessera /usr/share/man/man1/tessera.1.gz \
                "$UNITDIR/tessera-metrics.service" "$UNITDIR/tessera-metrics.timer" ;;
        libtessera1) printf '%s\n' "/usr/lib/$MULTIARCH/libtessera.so.1" ;;
        libtessera-dev) printf '%s\n' /usr/include/tessera/tessera.h "/usr/lib/$MULTIARCH/libtessera.so" \
                "/usr/lib/$MULTIARCH/pkgconfig/tessera.pc" /usr/share/man/man3/libtessera.3.gz ;;
        esac | sort
}
for p in "${PACKAGES[@]}"; do
        if [ "$p" = libtessera1 ]; then
                # The real file's name follows the library's version.
                expect_eq "libtessera1 holds libtessera.so.1 and the library it names" \
                        "/usr/lib/$MULTIARCH/libtessera.so.1 /usr/lib/$MULTIARCH/libtessera.so.1.*" \
                        "$(contents libtessera1 | sed "s|libtessera\.so\.1\.[0-9.]*$|libtessera.so.1.*|" | tr '\n' ' ' | sed 's/ $//')"
        else
                expect_eq "$p holds exactly its files" "$(expected_contents "$p" | tr '\n' ' ')" \
                        "$(contents "$p" | tr '\n' ' ')"
        fi
        check "$p has its copyright file" bash -c "dpkg-deb -c '$(deb_of "$p")' | grep ' ./usr/share/doc/$p/copyright$'"
done
expect_eq "tesserad's only conffile is the configuration" /etc/tessera/tessera.conf \
        "$(dpkg-deb --ctrl-tarfile "$(deb_of tesserad)" | tar -xO ./conffiles 2>/dev/null)"
check "the packaged configuration is config/tessera.conf" \
        bash -c "dpkg-deb --fsys-tarfile '$(deb_of tesserad)' | tar -xO ./etc/tessera/tessera.conf | cmp -s - '$SRC/config/tessera.conf'"
check "tesserad depends on systemd-sysusers (or systemd)" \
        bash -c "dpkg-deb -f '$(deb_of tesserad)' Depends | grep 'systemd | systemd-standalone-sysusers'"
check "tessera depends on libtessera1 (>= $VERSION)" \
        bash -c "dpkg-deb -f '$(deb_of tessera)' Depends | grep -F 'libtessera1 (>= $VERSION)'"
expect_eq "libtessera-dev depends on libtessera1 of the same version" "libtessera1 (= $VERSION)" \
        "$(dpkg-deb -f "$(deb_of libtessera-dev)" Depends)"
# The symbols file names every symbol of the version script, in its node.
sym_script() {
        awk '/^LIBTESSERA_[0-9.]* *\{/ { node = $1; next }
             node && /^ *tessera_[a-z0-9_]*;/ { gsub(/[ ;\t]/, ""); print $0 "@" node }' \
                "$SRC/client-lib/libtessera.sym" | sort
}
sym_deb() {
        dpkg-deb --ctrl-tarfile "$(deb_of libtessera1)" | tar -xO ./symbols |
                awk '/^ tessera_/ { print $1 }' | sort
}
expect_eq "the symbols file matches client-lib/libtessera.sym" "$(sym_script | tr '\n' ' ')" "$(sym_deb | tr '\n' ' ')"
check "the symbols file has the LIBTESSERA_1 node" \
        bash -c "dpkg-deb --ctrl-tarfile '$(deb_of libtessera1)' | tar -xO ./symbols | grep '^ LIBTESSERA_1@LIBTESSERA_1 '"

# --- install -----------------------------------------------------------------------------
log "apt-get install ./*.deb"
INSTALLED=1
if apt-get install -y "${DEBS[@]}" </dev/null >"$T/install.log" 2>&1; then
        pass "apt-get install -y the four packages"
else
        fail "apt-get install -y the four packages"
        show "$T/install.log"
        abort "nothing to check without the packages"
fi
for p in "${PACKAGES[@]}"; do
        expect_eq "$p is installed" ii "$(pkg_status "$p")"
done
for p in "${PACKAGES[@]}"; do
        missing=
        for f in $(expected_contents "$p"); do
                [ -e "$f" ] || missing+="$f "
        done
        expect_eq "$p: its files are in place" "" "$missing"
done
expect_eq "/usr/bin/tessera loads the packaged libtessera.so.1" "$(readlink -f "/usr/lib/$MULTIARCH/libtessera.so.1")" \
        "$(readlink -f "$(ldd /usr/bin/tessera | awk '$1 == "libtessera.so.1" { print $3 }')")"

log "user, groups, directories"
pw=$(getent passwd tessera || true)
IFS=: read -r _ _ tuid tgid _ thome tshell <<<"$pw"
sys_uid_max=$(awk '$1 == "SYS_UID_MAX" { print $2 }' /etc/login.defs)
check "user tessera exists" test -n "$pw"
check "tessera is a system user (uid $tuid <= ${sys_uid_max:-999})" test "${tuid:-99999}" -le "${sys_uid_max:-999}"
expect_eq "tessera: home and shell" "/var/lib/tessera /usr/sbin/nologin" "$thome $tshell"
expect_eq "tessera's primary group is tessera" tessera "$(getent group "${tgid:-none}" | cut -d: -f1)"
check "group tessera-admin exists" getent group tessera-admin
expect_eq "/var/lib/tessera: 0700 tessera" "700 tessera tessera" "$(stat -c '%a %U %G' /var/lib/tessera 2>/dev/null)"
expect_eq "/etc/tessera: 0755 root" "755 root" "$(stat -c '%a %U' /etc/tessera 2>/dev/null)"
expect_eq "/etc/tessera/conf.d: 0755 root" "755 root" "$(stat -c '%a %U' /etc/tessera/conf.d 2>/dev/null)"
expect_eq "/etc/tessera/tessera.conf: 0644 root" "644 root" "$(stat -c '%a %U' /etc/tessera/tessera.conf 2>/dev/null)"
expect_eq "tesserad.socket is enabled" "$UNITDIR/tesserad.socket" \
        "$(readlink /etc/systemd/system/sockets.target.wants/tesserad.socket 2>/dev/null)"
check "tesserad.service is not enabled (socket activation)" \
        test ! -e /etc/systemd/system/multi-user.target.wants/tesserad.service
if [ -d /run/systemd/system ]; then
        expect_eq "tesserad.socket is active" active "$(systemctl is-active tesserad.socket 2>/dev/null)"
        expect_eq "tesserad.service was not started" inactive "$(systemctl is-active tesserad.service 2>/dev/null)"
else
        log "systemd is not PID 1 here: the maintainer scripts start nothing, as checked by the links above"
fi

log "the installed programs"
expect_eq "tesserad --version" "tesserad $VERSION" "$(/usr/sbin/tesserad --version 2>&1)"
expect_eq "tessera --version" "tessera $VERSION" "$(/usr/bin/tessera --version 2>&1)"
as_tessera() { setpriv --reuid=tessera --regid=tessera --init-groups -- "$@"; }
# The example configuration alone: the daemon says what to configure.
rc=0
as_tessera /usr/sbin/tesserad --check-config >"$T/shipped.out" 2>&1 || rc=$?
show "$T/shipped.out"
expect_eq "the shipped configuration without a client secret: --check-config exits 1" 1 "$rc"
check "... naming the file, the line and client_secret_file" \
        grep -q '^/etc/tessera/tessera.conf:[0-9]*: client_secret_file: ' "$T/shipped.out"
# With the secret an administrator writes, the example passes.
printf '%s' "pkgtest-secret-$RANDOM$RANDOM" >/etc/tessera/default.secret
chown root:tessera /etc/tessera/default.secret
chmod 0640 /etc/tessera/default.secret
rc=0
as_tessera /usr/sbin/tesserad --check-config >"$T/secret.out" 2>&1 || rc=$?
expect_eq "the shipped configuration plus /etc/tessera/default.secret: --check-config exits 0" 0 "$rc"
rm -f /etc/tessera/default.secret
# A complete test configuration of its own.
mkdir -p "$T/valid/state"
chown tessera:tessera "$T/valid/state"
chmod 0700 "$T/valid/state"
printf 'test-secret\n' >"$T/valid/client.secret"
chown root:tessera "$T/valid/client.secret"
chmod 0640 "$T/valid/client.secret"
cat >"$T/valid/tessera.conf" <<EOF
[daemon]
state_dir = $T/valid/state
socket = $T/valid/api.sock
admins = root @tessera-admin

[account default]
issuer = https://account.gipo.example
client_id = pkgtest
client_secret_file = $T/valid/client.secret
users = @tessera
EOF
chmod 0755 "$T/valid"
rc=0
as_tessera /usr/sbin/tesserad --config "$T/valid/tessera.conf" --check-config >"$T/valid.out" 2>&1 || rc=$?
expect_eq "/usr/sbin/tesserad --check-config with a valid test configuration, as tessera" 0 "$rc"
[ "$rc" -eq 0 ] || show "$T/valid.out"

log "debian/tests (the autopkgtest scripts), by hand against the installed packages"
# From the source tree, whose tests/idp has its npm packages (tools/install-deps).
rc=0
"$SRC/debian/tests/installed-daemon" >"$T/autopkgtest.log" 2>&1 || rc=$?
show "$T/autopkgtest.log"
expect_eq "debian/tests/installed-daemon (77 would be a skip: not accepted)" 0 "$rc"
rc=0
runuser -u "$BUILD_USER" -- env HOME="$T/home" TMPDIR="$T" "$SRC/debian/tests/build-library" \
        >"$T/build-library.log" 2>&1 || rc=$?
show "$T/build-library.log"
expect_eq "debian/tests/build-library, unprivileged" 0 "$rc"

# --- upgrade -------------------------------------------------------------------------------
log "upgrade: tesserad repacked as $VERSION+pkgtest1"
# State the daemon would have written, and an administrator's change.
install -o tessera -g tessera -m 0600 /dev/null /var/lib/tessera/pkgtest-state
echo "; changed by test-debian.sh" >>/etc/tessera/tessera.conf
uid_before=$(id -u tessera)
mkdir -p "$T/up"
dpkg-deb -R "$(deb_of tesserad)" "$T/up/tree"
sed -i "s/^Version: .*/Version: $VERSION+pkgtest1/" "$T/up/tree/DEBIAN/control"
dpkg-deb -b "$T/up/tree" "$T/up/tesserad_${VERSION}+pkgtest1_$ARCH.deb" >/dev/null
if apt-get install -y "$T/up/tesserad_${VERSION}+pkgtest1_$ARCH.deb" </dev/null >"$T/upgrade.log" 2>&1; then
        pass "apt-get install of the higher version (an upgrade)"
else
        fail "apt-get install of the higher version (an upgrade)"
        show "$T/upgrade.log"
fi
expect_eq "tesserad is at the new version" "$VERSION+pkgtest1" "$(dpkg-query -W -f='${Version}' tesserad)"
check "the changed configuration is kept" grep -qx "; changed by test-debian.sh" /etc/tessera/tessera.conf
check "no .dpkg-dist or .dpkg-new beside it" bash -c "! ls /etc/tessera/*.dpkg-* >/dev/null 2>&1"
check "the state is kept" test -f /var/lib/tessera/pkgtest-state
expect_eq "the user keeps its uid" "$uid_before" "$(id -u tessera)"
expect_eq "/var/lib/tessera is still 0700 tessera" "700 tessera" "$(stat -c '%a %U' /var/lib/tessera)"
check "tesserad.socket is still enabled" test -L /etc/systemd/system/sockets.target.wants/tesserad.socket

# --- remove ----------------------------------------------------------------------------------
log "apt-get remove tesserad"
check "apt-get remove -y tesserad" bash -c "apt-get remove -y tesserad </dev/null >'$T/remove.log' 2>&1"
expect_eq "tesserad: removed, configuration files left" rc "$(pkg_status tesserad)"
check "/usr/sbin/tesserad is gone" test ! -e /usr/sbin/tesserad
check "the units are gone" bash -c "! ls '$UNITDIR'/tesserad.* >/dev/null 2>&1"
check "remove keeps the state" test -f /var/lib/tessera/pkgtest-state
check "remove keeps the changed configuration" grep -qx "; changed by test-debian.sh" /etc/tessera/tessera.conf
check "the other packages stay" test -x /usr/bin/tessera

# --- purge -------------------------------------------------------------------------------------
log "apt-get purge, everything"
check "apt-get purge -y the four packages" \
        bash -c "apt-get purge -y ${PACKAGES[*]} </dev/null >'$T/purge.log' 2>&1"
for p in "${PACKAGES[@]}"; do
        expect_eq "$p is gone from dpkg" "" "$(pkg_status "$p" | sed 's/^.n$//')"
done
check "purge removed /var/lib/tessera (state and key)" test ! -e /var/lib/tessera
check "purge removed /etc/tessera" test ! -e /etc/tessera
ours_on_disk >"$T/ours.after"
expect_eq "no file, unit, link or systemd helper state of tessera is left" "" "$(tr '\n' ' ' <"$T/ours.after")"
INSTALLED=0
# Packages apt-get pulled in for ours (none when the build dependencies
# are installed) go again.
list_packages >"$T/packages.after"
pulled=$(comm -13 "$T/packages.before" "$T/packages.after" | awk '$2 == "ii" { print $1 }' | tr '\n' ' ')
if [ -n "$pulled" ]; then
        log "purging what apt-get pulled in: $pulled"
        # shellcheck disable=SC2086
        apt-get purge -y $pulled </dev/null >"$T/pulled.log" 2>&1 || show "$T/pulled.log"
        list_packages >"$T/packages.after"
fi
expect_eq "the installed packages are those of before" "" \
        "$(diff "$T/packages.before" "$T/packages.after" | grep '^[<>]' | tr '\n' ' ')"

log "users: Debian keeps system users and groups on purge"
check "user tessera is kept after purge" getent passwd tessera
check "group tessera-admin is kept after purge" getent group tessera-admin
remove_created_users
for f in "${USER_FILES[@]}"; do
        check "$f is as before the test (users the test created deleted)" cmp -s "$f" "$T/before/$(basename "$f")"
done

finish
