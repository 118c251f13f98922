#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# The tessera command against a fake tesserad: a small HTTP/1.1 server on a
# Unix socket in a temporary directory with canned answers. Checks output,
# exit codes, --json and that the token shows up nowhere but `tessera token`.
# Usage: test-cli.py PATH-TO-tessera

import http.server
import json
import os
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

TESSERA = os.path.abspath(sys.argv[1])
TOKEN = "tok-secret-1"
NOW = int(time.time())

failures = 0
requests = []
login_polls = {}


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL: " + what, file=sys.stderr)


def status_doc():
    return {
        "version": "0.1.0",
        "uptime_s": 12,
        "new_field": {"ignored": [1, 2]},
        "accounts": [
            {"name": "default", "state": "valid", "user": "dr.rossi", "tenant_id": "t-1",
             "tenant_name": "Clinica Roma", "scope_granted": "openid giponext.agenda",
             "scope_missing": ["giponext.invoices"], "expires_at": NOW + 3270,
             "refreshed_at": NOW - 300, "next_refresh_at": NOW + 3200, "last_error": None,
             "tokens_served": 4},
            {"name": "lab", "state": "needs_login", "user": "tech\x1b[31m", "tenant_id": None,
             "tenant_name": None, "scope_granted": "", "scope_missing": [], "expires_at": None,
             "refreshed_at": None, "next_refresh_at": None, "last_error": "invalid_grant",
             "tokens_served": 0},
            {"name": "offline", "state": "degraded", "user": "x", "tenant_id": "t-2",
             "tenant_name": "B", "scope_missing": [], "expires_at": NOW + 100,
             "last_error": "idp unreachable", "tokens_served": 0},
        ],
    }


ERRORS = {
    "lab": (401, "login_required"),
    "nope": (404, "no_such_account"),
    "forbid": (403, "forbidden"),
    "idp": (503, "idp_unavailable"),
    "busy": (409, "login_in_progress"),
}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, doc):
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def route(self, method):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        requests.append((method, self.path, body))
        parts = url.path.split("/")

        if method == "GET" and url.path == "/v1/status":
            return self.reply(200, status_doc())
        if len(parts) != 5 or parts[1] != "v1" or parts[2] != "accounts":
            return self.reply(404, {"error": "not_found", "message": "no route"})
        name, what = parts[3], parts[4]
        if name in ERRORS:
            code, err = ERRORS[name]
            return self.reply(code, {"error": err, "message": "canned " + err})

        if what == "token" and method == "GET":
            tok = TOKEN if "min_valid" not in query else "tok-mv-" + query["min_valid"][0]
            return self.reply(200, {"access_token": tok, "token_type": "Bearer", "expires_at": NOW + 3000,
                                    "expires_in": 3000, "scope": "openid", "tenant_id": "t-1"})
        if what == "logout" and method == "POST":
            return self.reply(200, {})
        if what == "login" and method == "POST":
            flow = json.loads(body).get("flow")
            login_polls[name] = 0
            if flow == "device":
                return self.reply(202, {"flow": "device", "verification_uri": "https://idp.example/device",
                                        "verification_uri_complete": "https://idp.example/device?code=ABCD-EFGH",
                                        "user_code": "ABCD-EFGH", "expires_in": 600, "interval": 5})
            return self.reply(202, {"flow": "code", "authorize_url": "https://idp.example/authorize?x=1&state=s",
                                    "expires_in": 600})
        if what == "login" and method == "GET":
            check(query.get("wait") == ["25"], "login poll asks wait=25")
            login_polls[name] = login_polls.get(name, 0) + 1
            if login_polls[name] < 2:
                return self.reply(200, {"state": "pending", "error": None, "user": None, "tenant_id": None})
            if name == "refused":
                return self.reply(200, {"state": "failed", "error": "tenant_not_allowed", "user": None,
                                        "tenant_id": None})
            if name == "gone":
                return self.reply(200, {"state": "none", "error": None, "user": None, "tenant_id": None})
            return self.reply(200, {"state": "done", "error": None, "user": "dr.rossi", "tenant_id": "t-1"})
        return self.reply(400, {"error": "bad_request", "message": "what?"})

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def run(args, env_extra=None, expect_rc=None, what=None):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "TESSERA_SOCKET")}
    env["TESSERA_SOCKET"] = SOCK
    env.update(env_extra or {})
    p = subprocess.run([TESSERA] + args, capture_output=True, text=True, env=env, timeout=60)
    if expect_rc is not None:
        check(p.returncode == expect_rc, "%s: exit %d, expected %d (stderr: %s)"
              % (what or " ".join(args), p.returncode, expect_rc, p.stderr.strip()))
    if "token" not in args:
        check(TOKEN not in p.stdout and TOKEN not in p.stderr, "token leaked by: " + " ".join(args))
    return p


def one_line(p, what):
    check(p.stderr.count("\n") == 1, what + ": expected one error line, got: %r" % p.stderr)


tmp = tempfile.mkdtemp(prefix="test-cli-")
SOCK = os.path.join(tmp, "api.sock")
server = Server(SOCK, Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()

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
check(lines and lines[0].split() == ["ACCOUNT", "STATE", "USER", "TENANT", "EXPIRES", "LAST", "ERROR"],
      "status header: %r" % lines[:1])
check(any(l.startswith("default") and "Clinica Roma" in l and "in 54m" in l for l in lines),
      "status row for default: %r" % lines)
check(lines[0].index("STATE") == lines[1].index("valid"), "status columns aligned")
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

server.shutdown()
os.unlink(SOCK)
for f in (mark, os.path.join(bindir, "xdg-open")):
    if os.path.exists(f):
        os.unlink(f)
os.rmdir(bindir)
os.rmdir(tmp)

if failures:
    print("test-cli: %d check(s) failed" % failures, file=sys.stderr)
    sys.exit(1)
print("test-cli: ok")
