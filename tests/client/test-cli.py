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


# Per-user accounts (sessions = per-user): the daemon lists one entry per
# session; status shows only the caller's own unless --all, with an OS USER
# column; --user adds ?uid= to token, login and logout.
def per_user_status_doc():
    import pwd
    doc = cli_fixture_status_doc()
    for a in doc["accounts"]:
        a["sessions"] = "shared"
    me = os.getuid()
    base = {"name": "desk", "sessions": "per-user", "tenant_id": "t-1", "tenant_name": "Clinica Roma",
            "scope_missing": [], "expires_at": NOW_S + 3270, "next_refresh_at": NOW_S + 3200,
            "last_error": None, "tokens_served": 1}
    doc["accounts"] += [
        dict(base, uid=me, os_user=pwd.getpwuid(me).pw_name, state="valid", user="dr.verdi"),
        dict(base, uid=4242, os_user=None, state="needs_login", user="dr.neri", last_error="invalid_grant"),
        dict(base, uid=4243, os_user="bob", state="valid", user="dr.bianchi", scope_missing=["giponext.invoices"]),
    ]
    return doc


def per_user_route(self, method):
    """The daemon's answers that name whose session is missing or refused."""
    import urllib.parse
    url = urllib.parse.urlsplit(self.path)
    uid = urllib.parse.parse_qs(url.query).get("uid", [None])[0]
    if url.path == "/v1/accounts/deskout/token":
        cli_fixture.requests.append((method, self.path, ""))
        if uid is None:
            return self.reply(401, {"error": "login_required",
                                    "message": "you are not logged in to account deskout; run: tessera login deskout"})
        return self.reply(401, {"error": "login_required", "message": "uid %s is not logged in to account deskout" % uid})
    if url.path.startswith("/v1/accounts/default/") and uid == "4244":
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        cli_fixture.requests.append((method, self.path, ""))
        return self.reply(403, {"error": "forbidden", "message": "uid 1000 may not act on the session of uid 4244 "
                                "in account default; only root may name another user (admins: to log them out)"})
    return cli_fixture_route(self, method)


def test_status_per_user():
    import pwd
    me = pwd.getpwuid(os.getuid()).pw_name
    p = run(["status"], expect_rc=3, what="status with a per-user account")
    lines = p.stdout.splitlines()
    check(lines and lines[0].split()[:4] == ["ACCOUNT", "OS", "USER", "STATE"], "OS USER column: %r" % lines[:1])
    desk = [l for l in lines if l.startswith("desk")]
    check(len(desk) == 1 and desk[0].split()[1] == me and "dr.verdi" in desk[0], "only the own session: %r" % lines)
    check(any(l.startswith("default") and l.split()[1] == "-" for l in lines), "shared row: OS USER -: %r" % lines)
    check(lines[0].index("STATE") == lines[1].index("valid"), "per-user columns aligned")
    check("4242" not in p.stdout and "bob" not in p.stdout, "others' sessions hidden without --all")

    p = run(["status", "desk"], expect_rc=0)
    lines = p.stdout.splitlines()
    check(len(lines) == 2 and lines[0].split()[1:3] == ["OS", "USER"], "status desk: %r" % lines)
    p = run(["status", "default"], expect_rc=0)
    check(p.stdout.split()[1] == "STATE", "no OS USER column without a per-user entry: %r" % p.stdout)

    p = run(["status", "desk", "--all"], expect_rc=3)
    lines = p.stdout.splitlines()
    rows = [l.split() for l in lines[1:] if l.startswith("desk ") and "missing" not in l]
    check([r[1] for r in rows] == [me, "4242", "bob"], "--all: every session, uid for no name: %r" % lines)
    check("desk (bob): missing scopes: giponext.invoices" in p.stdout, "missing scopes name the OS user")
    check('user 4242 is not logged in to account "desk"' in p.stderr and "tessera login desk" in p.stderr, "hint for another's session: " + p.stderr)

    p = run(["--json", "status", "desk"], expect_rc=0)
    doc = json.loads(p.stdout)
    check([(a["uid"], a["os_user"]) for a in doc["accounts"]] == [(os.getuid(), me)] and doc["uptime_s"] == 12,
          "status --json filters to the own session: %r" % doc["accounts"])
    p = run(["--json", "status"], expect_rc=3)
    doc = json.loads(p.stdout)
    check([a["name"] for a in doc["accounts"]] == ["default", "lab", "offline", "desk"], "--json without --all")
    p = run(["status", "--json", "--all"], expect_rc=3)
    doc = json.loads(p.stdout)
    desk = [a for a in doc["accounts"] if a["name"] == "desk"]
    check([a["uid"] for a in desk] == [os.getuid(), 4242, 4243] and desk[1]["os_user"] is None
          and desk[0]["sessions"] == "per-user" and doc["accounts"][0]["sessions"] == "shared",
          "status --json --all passes the entries through: %r" % desk)


def test_user_option():
    for args in (["token", "--all"], ["status", "--user", "0"], ["accounts", "--user", "0"],
                 ["api", "GET", "/v2/x", "--user", "0"], ["token", "--user", "no-such-user-xq"],
                 ["token", "--user", "4294967295"], ["token", "--user"]):
        p = run(args, expect_rc=2)
        one_line(p, " ".join(args))

    requests.clear()
    p = run(["token", "desk", "--user", "4242"], expect_rc=0)
    check(p.stdout == TOKEN + "\n", "token --user prints the token")
    check(("GET", "/v1/accounts/desk/token?uid=4242", "") in requests, "token --user 4242: %r" % requests)
    requests.clear()
    p = run(["token", "--user", "root", "--min-valid", "5"], expect_rc=0)
    check(("GET", "/v1/accounts/default/token?min_valid=5&uid=0", "") in requests, "--user NAME: %r" % requests)
    requests.clear()
    p = run(["--json", "token", "--user", "4243"], expect_rc=0)
    check(json.loads(p.stdout)["access_token"] == TOKEN and requests[-1][1] == "/v1/accounts/default/token?uid=4243",
          "token --json --user: %r" % requests)

    requests.clear()
    p = run(["logout", "desk", "--user", "4243"], expect_rc=0)
    check(("POST", "/v1/accounts/desk/logout?uid=4243", "{}") in requests, "logout --user: %r" % requests)
    check("4243" in p.stdout, "logout --user names the user: " + p.stdout)

    requests.clear()
    p = run(["login", "desk", "--user", "4243", "--no-browser"], expect_rc=0)
    check(("POST", "/v1/accounts/desk/login?uid=4243", '{"flow":"code"}') in requests, "login --user: %r" % requests)
    check(any(r[:2] == ("GET", "/v1/accounts/desk/login?wait=25&uid=4243") for r in requests),
          "login --user polls that session: %r" % requests)
    check("https://idp.example/authorize" in p.stdout and "Logged in as dr.bianchi" in p.stdout,
          "login --user reports that session's user: " + p.stdout)
    p = run(["login", "desk", "--no-browser"], expect_rc=0)
    check("Logged in as dr.verdi" in p.stdout, "login reports the own session's user: " + p.stdout)

    # The daemon's word on a per-user session, in one line.
    p = run(["token", "deskout"], expect_rc=3)
    check(p.stderr == "tessera: you are not logged in to account deskout; run: tessera login deskout\n",
          "per-user login_required: %r" % p.stderr)
    p = run(["--json", "token", "deskout"], expect_rc=3)
    one_line(p, "token --json deskout")
    p = run(["token", "deskout", "--user", "4242"], expect_rc=3)
    one_line(p, "token deskout --user")
    check("user 4242 has no session" in p.stderr and "tessera login deskout" in p.stderr, "--user login hint: " + p.stderr)
    p = run(["logout", "--user", "4244"], expect_rc=4)
    one_line(p, "logout --user refused")
    check("only root may name another user" in p.stderr and "4244" in p.stderr, "daemon's refusal: " + p.stderr)


import cli_fixture  # noqa: E402
NOW_S = cli_fixture.NOW
cli_fixture_status_doc = cli_fixture.status_doc
cli_fixture_route = cli_fixture.Handler.route
cli_fixture.status_doc = per_user_status_doc
cli_fixture.Handler.route = per_user_route
test_status_per_user()
test_user_option()
cli_fixture.status_doc = cli_fixture_status_doc
cli_fixture.Handler.route = cli_fixture_route

stop("test-cli")
