#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Looks for secrets in files without ever printing one (issue 7, part 6).

usage: secret-scan.py SECRETS_FILE PATH...

SECRETS_FILE has one "LABEL<TAB>VALUE" per line. Each PATH is a file or a
directory (searched recursively; symlinks are not followed). Every value is
looked for as is, percent-encoded, base64-encoded, and as three 12-byte
fragments of its random part (so a truncated or split copy is found too).
Prints "HIT LABEL FORM PATH" for each finding, then "hits N" and "files N"
on the last two lines. Values shorter than 8 bytes are refused.
"""

import base64
import os
import sys
import urllib.parse


def forms(value):
    v = value.encode()
    out = {"plain": v}
    q = urllib.parse.quote(value, safe="").encode()
    if q != v:
        out["percent"] = q
    out["base64"] = base64.b64encode(v).rstrip(b"=")
    # The random part: after a short prefix such as "fat-" when there is one.
    body = v.split(b"-", 1)[1] if b"-" in v[:6] else v
    if len(body) >= 24:
        n = len(body)
        for i, start in enumerate((0, n // 2 - 6, n - 12)):
            out[f"fragment{i + 1}"] = body[start:start + 12]
    return out


def files_under(path):
    if os.path.islink(path):
        return
    if os.path.isdir(path):
        for root, dirs, names in os.walk(path, followlinks=False):
            for n in names:
                p = os.path.join(root, n)
                if os.path.isfile(p) and not os.path.islink(p):
                    yield p
    elif os.path.isfile(path):
        yield path


def main():
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        sys.exit(2)
    secrets = []
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            label, _, value = line.partition("\t")
            if len(value) < 8:
                sys.stderr.write(f"secret-scan: {label}: value too short to search for\n")
                sys.exit(2)
            secrets.append((label, forms(value)))

    hits = nfiles = 0
    for arg in sys.argv[2:]:
        for p in files_under(arg):
            try:
                with open(p, "rb") as f:
                    data = f.read()
            except OSError as e:
                print(f"UNREADABLE {p}: {e.strerror}")
                continue
            nfiles += 1
            for label, fs in secrets:
                for form, needle in fs.items():
                    if needle in data:
                        hits += 1
                        print(f"HIT {label} {form} {p}")
    print(f"hits {hits}")
    print(f"files {nfiles}")


if __name__ == "__main__":
    main()
