#!/bin/sh
# SPDX-License-Identifier: MIT
# meson install script: installs SOURCE as DEST (an absolute path below the
# prefix) with MODE, unless DEST already exists. An administrator's
# configuration is never overwritten, by a reinstall or an upgrade; meson's
# install_data() would overwrite it. Honours DESTDIR, --dry-run and --quiet.
#   install-if-absent.sh SOURCE DEST MODE
set -eu

src=$1
dest=${DESTDIR:-}$2
mode=$3

say() { [ -n "${MESON_INSTALL_QUIET:-}" ] || echo "$@"; }

if [ -e "$dest" ] || [ -L "$dest" ]; then
        say "Keeping existing $dest"
        exit 0
fi
if [ -n "${MESON_INSTALL_DRY_RUN:-}" ]; then
        say "Would install $src to $dest"
        exit 0
fi
say "Installing $src to $dest"
mkdir -p "$(dirname "$dest")"
# Into place atomically, so an interrupted install leaves no half file, and
# without clobbering a file that appeared meanwhile.
tmp="$dest.meson-new"
cp "$src" "$tmp"
chmod "$mode" "$tmp"
mv -n "$tmp" "$dest"
rm -f "$tmp"
