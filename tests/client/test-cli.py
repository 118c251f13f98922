#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# The tessera command against a fake tesserad (cli_fixture.py): usage,
# token, status, accounts, logout and login. Checks output, exit codes,
# --json and that the token shows up nowhere but `tessera token`.
# Usage: test-cli.py PATH-TO-tessera

import json
import os
import pty
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from cli_fixture import TESSERA, TOKEN, check, one_line, requests, run, start, stop  # noqa: E402

tmp, SOCK = start()

# Usage errors: exit 2.
for args in ([], ["bogus"], ["token", "a", "b"], ["token", "bad name"], ["token", "--device"],
             ["status", "--min-valid", "3"], ["--min-valid", "x", "token"], ["--frobnicate", "status"],
             ["accounts", "default"], ["login", "--min-valid=5"]):
    p = run(args, expect_rc=2)
    one_line(p, " ".join(args))
    check(p.stdout == "", "usage error prints nothing on stdout")

p = run(["--help"], expect_rc=0)
check("Usage: tessera" in p.stdout and "Exit status" in p.stdout, "--help text")
p = run(["--version"], expect_rc=0)
check(p.stdout.startswith("tessera "), "--version")

# Daemon unreachable: exit 5 with a hint.
p = run(["--socket", os.path.join(tmp, "nothing.sock"), "token"], expect_rc=5)
one_line(p, "unreachable")
check("cannot reach tesserad at " + os.path.join(tmp, "nothing.sock") in p.stderr
      and "No such file or directory" in p.stderr and "systemctl start tesserad" in p.stderr,
      "unreachable message: " + p.stderr)
p = run(["status"], env_extra={"TESSERA_SOCKET": os.path.join(tmp, "nothing.sock")}, expect_rc=5)

# token
p = run(["token"], expect_rc=0)
check(p.stdout == TOKEN + "\n" and p.stderr == "", "token output %r" % p.stdout)
p = run(["token", "default", "--min-valid", "120"], expect_rc=0)
check(p.stdout == "tok-mv-120\n", "token --min-valid")
p = run(["--json", "token"], expect_rc=0)
check(json.loads(p.stdout)["access_token"] == TOKEN, "token --json")
p = run(["token", "lab"], expect_rc=3)
one_line(p, "token lab")
check(p.stdout == "" and "run: tessera login lab" in p.stderr, "login hint: " + p.stderr)
p = run(["token", "nope"], expect_rc=1)
check("tessera accounts" in p.stderr, "no account hint")
p = run(["token", "forbid"], expect_rc=4)
one_line(p, "token forbid")
check("users" in p.stderr and "admin" in p.stderr, "forbidden hint: " + p.stderr)
p = run(["token", "idp"], expect_rc=6)
one_line(p, "token idp")

# status
p = run(["status"], expect_rc=3)
lines = p.stdout.splitlines()
check(lines and lines[0].split() == ["ACCOUNT", "STATE", "USER", "TENANT", "EXPIRES", "NEXT", "REFRESH", "LAST", "ERROR"],
      "status header: %r" % lines[:1])
check(any(l.startswith("default") and "Clinica Roma" in l and "in 54m" in l for l in lines),
      "status row for default: %r" % lines)
check(lines[0].index("STATE") == lines[1].index("valid"), "status columns aligned")
check(lines[0].index("NEXT REFRESH") > lines[0].index("EXPIRES"), "next refresh column")
check(any(l.startswith("default") and "in 53m" in l for l in lines), "next refresh shown in words: %r" % lines)
check("default: missing scopes: giponext.invoices" in p.stdout, "missing scopes in status")
check("\x1b" not in p.stdout, "control characters from the daemon are not printed")
check("tessera login lab" in p.stderr and "offline" in p.stderr, "status hints: " + p.stderr)
p = run(["status", "default"], expect_rc=0)
check(len(p.stdout.splitlines()) == 3, "status default shows one account and its scopes")
p = run(["status", "offline"], expect_rc=0)
check("warning" in p.stderr, "degraded warning")
p = run(["status", "lab"], expect_rc=3)
p = run(["status", "ghost"], expect_rc=1)
one_line(p, "status ghost")
p = run(["status", "--json"], expect_rc=3)
doc = json.loads(p.stdout)
check([a["name"] for a in doc["accounts"]] == ["default", "lab", "offline"] and doc["version"] == "0.1.0"
      and doc["new_field"] == {"ignored": [1, 2]} and doc["accounts"][1]["user"] == "tech\x1b[31m",
      "status --json round trip")
p = run(["--json", "status", "default"], expect_rc=0)
doc = json.loads(p.stdout)
check(len(doc["accounts"]) == 1 and doc["accounts"][0]["name"] == "default" and doc["uptime_s"] == 12,
      "status --json ACCOUNT")

# accounts
p = run(["accounts"], expect_rc=0)
check(p.stdout == "default\nlab\noffline\n", "accounts: %r" % p.stdout)
p = run(["accounts", "--json"], expect_rc=0)
check(json.loads(p.stdout) == ["default", "lab", "offline"], "accounts --json")

# logout
requests.clear()
p = run(["logout"], expect_rc=0)
check(("POST", "/v1/accounts/default/logout", "{}") in requests, "logout request: %r" % requests)
p = run(["logout", "forbid"], expect_rc=4)
check("admins" in p.stderr, "logout forbidden names admins: " + p.stderr)

# login, code flow, no browser
requests.clear()
p = run(["login", "--no-browser"], env_extra={"DISPLAY": ":99"}, expect_rc=0)
check(("POST", "/v1/accounts/default/login", '{"flow":"code"}') in requests, "login code request")
check("https://idp.example/authorize?x=1&state=s" in p.stdout, "authorize URL printed")
check("Logged in as dr.rossi (tenant Clinica Roma, id t-1)" in p.stdout, "login result: " + p.stdout)
check("missing scopes: giponext.invoices" in p.stdout, "login shows missing scopes")

# login opens the browser only with a display and without --no-browser
bindir = os.path.join(tmp, "bin")
os.mkdir(bindir)
mark = os.path.join(tmp, "opened")
with open(os.path.join(bindir, "xdg-open"), "w") as f:
    f.write("#!/bin/sh\nprintf '%%s' \"$1\" > %s\n" % mark)
os.chmod(os.path.join(bindir, "xdg-open"), 0o755)
path_env = bindir + ":" + os.environ.get("PATH", "/usr/bin:/bin")
run(["login"], env_extra={"PATH": path_env}, expect_rc=0, what="login without display")
time.sleep(0.3)
check(not os.path.exists(mark), "no browser without a graphical session")
run(["login"], env_extra={"PATH": path_env, "DISPLAY": ":99"}, expect_rc=0, what="login with display")
for _ in range(50):
    if os.path.exists(mark) and os.path.getsize(mark) > 0:
        break
    time.sleep(0.1)
check(os.path.exists(mark) and open(mark).read() == "https://idp.example/authorize?x=1&state=s",
      "xdg-open got the URL")

# login, device flow
requests.clear()
p = run(["login", "default", "--device"], expect_rc=0)
check(("POST", "/v1/accounts/default/login", '{"flow":"device"}') in requests, "login device request")
check("https://idp.example/device" in p.stdout and "ABCD-EFGH" in p.stdout, "device instructions")
check("\u2580" not in p.stdout, "no QR code when stdout is not a terminal")


def run_on_terminal(args):
    """Runs tessera with standard output on a pseudo-terminal; returns
    (exit status, what it wrote there)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "TESSERA_SOCKET")}
    env["TESSERA_SOCKET"] = SOCK
    master, slave = pty.openpty()
    proc = subprocess.Popen([TESSERA] + args, stdout=slave, stderr=subprocess.PIPE, env=env)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:     # EIO: the terminal's last writer has gone
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return proc.wait(timeout=60), out.decode(errors="replace")


# On a terminal the device login also draws the complete URI as a QR code;
# libqrencode is opened only then (not linked), so this is its only test.
rc, out = run_on_terminal(["login", "default", "--device"])
check(rc == 0, "login --device on a terminal: exit %d" % rc)
check("ABCD-EFGH" in out, "device instructions on a terminal")
qr_rows = [l for l in out.splitlines() if l.startswith("\033[30;47m")]
if os.environ.get("TESSERA_HAVE_QRENCODE") == "1":
    check("or scan this code with a phone." in out, "QR code offered on a terminal")
    # Version 3 (29 modules) or more, two module rows per line, a margin of 2.
    check(len(qr_rows) >= 16, "QR code drawn: %d rows" % len(qr_rows))
    check(len(set(len(l) for l in qr_rows)) == 1, "QR code rows of equal width")
    check(any("\u2588" in l for l in qr_rows), "QR code has dark modules")
else:
    check("or scan this code" not in out and not qr_rows, "no QR code without libqrencode")
p = run(["--json", "login", "--device"], expect_rc=0)
docs = [json.loads(l) for l in p.stdout.splitlines()]
check(docs[0]["user_code"] == "ABCD-EFGH" and docs[-1]["state"] == "done", "login --json")

# login failures
p = run(["login", "refused", "--no-browser"], expect_rc=4)
one_line(p, "login refused")
p = run(["login", "gone", "--no-browser"], expect_rc=1)
check("tessera login gone" in p.stderr, "cancelled login hint")
p = run(["login", "busy", "--no-browser"], expect_rc=1)
check("in progress" in p.stderr, "busy login")
p = run(["login", "forbid"], expect_rc=4)

for f in (mark, os.path.join(bindir, "xdg-open")):
    if os.path.exists(f):
        os.unlink(f)
os.rmdir(bindir)
stop("test-cli")
