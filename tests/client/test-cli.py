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
import pty
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
gw_requests = []
USERINFO = b'{"sub":"u-1","name":"Dr. Rossi","tenants":[12345]}'
BINARY = bytes(range(256)) * 4
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

    def raw(self, status, body, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def gateway(self, method, name, rest, raw_body):
        gw_requests.append({"method": method, "path": self.path, "body": raw_body,
                            "type": self.headers.get("Content-Type"), "wait": self.headers.get("Tessera-Wait"),
                            "length": self.headers.get("Content-Length")})
        plain = [("Content-Type", "text/plain")]
        if name in ERRORS:
            code, err = ERRORS[name]
            return self.reply(code, {"error": err, "message": "canned " + err})
        if rest == "v2/userinfo":
            return self.raw(200, USERINFO, [("Content-Type", "application/json")])
        if rest == "v2/binary":
            return self.raw(200, BINARY, [("Content-Type", "application/octet-stream")])
        if rest == "v2/chunked":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in (b'{"items":', b"[1,2,3]", b"}"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
            return
        if rest == "v2/created":
            return self.raw(201, b'{"id":7}', [("Content-Type", "application/json"),
                                              ("Location", "https://api.example/v2/patients/7"), ("ETag", '"e1"')])
        if rest == "v2/nocontent":
            self.send_response(204)
            self.end_headers()
            return
        if rest.startswith("v2/status/"):
            code = int(rest.split("/")[2])
            return self.raw(code, b"upstream says %d" % code, plain)
        if rest == "v2/upstream-json-403":
            return self.raw(403, b'{"code":"E_PERM","detail":"scope giponext.invoices needed"}',
                            [("Content-Type", "application/json")])
        if rest == "v2/upstream429":
            return self.raw(429, b"slow down", plain + [("Retry-After", "9")])
        daemon = {"v2/ratelimited": (429, "rate_limited", [("Retry-After", "12")]),
                  "v2/busy": (503, "api_busy", []), "v2/unavailable": (502, "api_unavailable", []),
                  "v2/timeout": (504, "api_timeout", []), "v2/toolarge": (413, "payload_too_large", []),
                  "v2/tenant": (403, "tenant_not_allowed", [])}
        if rest in daemon:
            code, err, extra = daemon[rest]
            body = json.dumps({"error": err, "message": "canned " + err}).encode()
            return self.raw(code, body, [("Content-Type", "application/json")] + extra)
        if rest == "v2/marked":
            # tesserad's mark settles whose error it is, whatever the body.
            return self.raw(503, b"<html>busy</html>", [("Content-Type", "text/html"), ("Tessera-Error", "api_busy")])
        return self.raw(200, json.dumps({"method": method, "path": self.path}).encode(),
                        [("Content-Type", "application/json")])

    def route(self, method):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        body = raw_body.decode(errors="replace")
        requests.append((method, self.path, body))
        parts = url.path.split("/")

        if method == "GET" and url.path == "/v1/status":
            return self.reply(200, status_doc())
        if len(parts) > 5 and parts[1:3] == ["v1", "accounts"] and parts[4] in ("api", "tenant"):
            return self.gateway(method, parts[3], self.path.split("/", 5)[5], raw_body)
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

    def do_PUT(self):
        self.route("PUT")

    def do_PATCH(self):
        self.route("PATCH")

    def do_DELETE(self):
        self.route("DELETE")


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


def run_bytes(args, stdin=b"", expect_rc=None, what=None):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "TESSERA_SOCKET")}
    env["TESSERA_SOCKET"] = SOCK
    p = subprocess.run([TESSERA] + args, capture_output=True, input=stdin, env=env, timeout=60)
    if expect_rc is not None:
        check(p.returncode == expect_rc, "%s: exit %d, expected %d (stderr: %s)"
              % (what or " ".join(args), p.returncode, expect_rc, p.stderr.decode(errors="replace").strip()))
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

# api: requests through tesserad's GipoNext gateway
def api(args, expect_rc, stdin=b"", what=None):
    gw_requests.clear()
    p = run_bytes(["api"] + args, stdin=stdin, expect_rc=expect_rc, what=what or "api " + " ".join(args))
    check(TOKEN.encode() not in p.stdout + p.stderr, "token leaked by api")
    return p


def err_line(p, what):
    check(p.stderr.count(b"\n") == 1 and p.stderr.startswith(b"tessera: "),
          what + ": expected one error line, got: %r" % p.stderr)
    return p.stderr.decode()


# The body exactly as received: no newline added, bytes untouched.
p = api(["GET", "/v2/userinfo"], 0)
check(p.stdout == USERINFO and p.stderr == b"", "api body verbatim: %r %r" % (p.stdout, p.stderr))
check(len(gw_requests) == 1 and gw_requests[0]["path"] == "/v1/accounts/default/api/v2/userinfo"
      and gw_requests[0]["method"] == "GET" and gw_requests[0]["type"] is None
      and gw_requests[0]["wait"] is None, "api path mapping: %r" % gw_requests)
p = api(["GET", "/v2/binary"], 0)
check(p.stdout == BINARY, "api binary body")
p = api(["GET", "/v2/chunked"], 0)
check(p.stdout == b'{"items":[1,2,3]}', "api chunked body: %r" % p.stdout)
p = api(["default", "DELETE", "/v2/nocontent"], 0)
check(p.stdout == b"" and p.stderr == b"", "api 204")

# Tenant-relative paths, an explicit account, and an account that looks like a method.
api(["clinic", "GET", "patients?limit=10&q=a%20b"], 0)
check(gw_requests and gw_requests[0]["path"] == "/v1/accounts/clinic/tenant/patients?limit=10&q=a%20b",
      "tenant path mapping: %r" % gw_requests)
api(["GET", "patients/7"], 0)
check(gw_requests and gw_requests[0]["path"] == "/v1/accounts/default/tenant/patients/7", "default tenant path")
api(["GET", "PUT", "/v2/x"], 0)
check(gw_requests and gw_requests[0]["method"] == "PUT" and gw_requests[0]["path"] == "/v1/accounts/GET/api/v2/x",
      "three arguments: ACCOUNT METHOD PATH: %r" % gw_requests)

# --data: text, @FILE (binary), @- ; --content-type ; --wait
api(["POST", "patients", "--data", '{"name":"Rossi"}'], 0)
check(gw_requests and gw_requests[0]["body"] == b'{"name":"Rossi"}' and gw_requests[0]["type"] == "application/json"
      and gw_requests[0]["method"] == "POST", "--data text: %r" % gw_requests)
blob = os.path.join(tmp, "blob.bin")
with open(blob, "wb") as f:
    f.write(b"\x00\x01binary\xff\r\n" * 1000)
api(["lab2", "PUT", "/v2/files/1", "--data", "@" + blob, "--content-type", "application/octet-stream"], 0)
check(gw_requests and gw_requests[0]["body"] == b"\x00\x01binary\xff\r\n" * 1000
      and gw_requests[0]["type"] == "application/octet-stream", "--data @FILE, binary")
api(["PATCH", "/v2/x", "-d", "@-", "--wait", "30"], 0, stdin=b'{"from":"stdin"}')
check(gw_requests and gw_requests[0]["body"] == b'{"from":"stdin"}' and gw_requests[0]["wait"] == "30"
      and gw_requests[0]["method"] == "PATCH", "--data @- and --wait: %r" % gw_requests)
api(["POST", "/v2/x", "--data", ""], 0)
check(gw_requests and gw_requests[0]["body"] == b"" and gw_requests[0]["length"] == "0"
      and gw_requests[0]["type"] == "application/json", "--data with an empty body")
p = api(["POST", "/v2/x", "--data", "@" + os.path.join(tmp, "missing.json")], 1)
err_line(p, "--data missing file")
check(b"missing.json" in p.stderr and b"No such file" in p.stderr and not gw_requests, "missing file message")

# --include: status line and headers, blank line, body.
p = api(["POST", "/v2/created", "--include", "--data", "{}"], 0)
head, sep, body = p.stdout.partition(b"\r\n\r\n")
check(head.startswith(b"HTTP/1.1 201 ") and b"\r\nLocation: https://api.example/v2/patients/7" in head
      and b'\r\nETag: "e1"' in head and body == b'{"id":7}', "--include output: %r" % p.stdout)
p = api(["-i", "GET", "/v2/status/404"], 1)
check(p.stdout.startswith(b"HTTP/1.1 404 ") and p.stdout.endswith(b"\r\n\r\nupstream says 404"), "-i on an error")

# Exit codes by status class; GipoNext's errors: body on stdout, one line on stderr.
for code, rc in ((400, 1), (401, 3), (403, 4), (404, 1), (409, 1), (422, 1), (500, 1), (503, 1), (302, 0)):
    p = api(["GET", "/v2/status/%d" % code], rc)
    check(p.stdout == b"upstream says %d" % code, "upstream %d body on stdout" % code)
    if code >= 400:
        line = err_line(p, "upstream %d" % code)
        check(line.startswith("tessera: GipoNext answered %d " % code), "upstream %d message: %s" % (code, line))
    else:
        check(p.stderr == b"", "no message for %d" % code)
p = api(["GET", "/v2/status/403"], 4)
check(p.stderr == b"tessera: GipoNext answered 403 Forbidden\n", "upstream 403 message: %r" % p.stderr)
p = api(["GET", "/v2/status/401"], 3)
check(b"GipoNext answered 401 Unauthorized" in p.stderr and b"tessera login default" in p.stderr, "upstream 401")
p = api(["GET", "/v2/upstream-json-403"], 4)
check(b"GipoNext answered 403 Forbidden" in p.stderr and b"E_PERM" in p.stdout, "upstream JSON 403 is GipoNext's")
p = api(["GET", "/v2/upstream429"], 1)
check(b"GipoNext answered 429 Too Many Requests; try again in 9 s" in p.stderr, "upstream 429: %r" % p.stderr)

# tesserad's own errors: a line that says what to do, body still on stdout.
p = api(["lab", "GET", "/v2/userinfo"], 3)
check("run: tessera login lab" in err_line(p, "api lab"), "api login hint")
check(json.loads(p.stdout)["error"] == "login_required", "daemon error body on stdout")
p = api(["forbid", "GET", "/v2/userinfo"], 4)
check("users" in err_line(p, "api forbid"), "api forbidden hint")
p = api(["nope", "GET", "/v2/userinfo"], 1)
check("tessera accounts" in err_line(p, "api nope"), "api no account hint")
p = api(["idp", "GET", "/v2/userinfo"], 6)
err_line(p, "api idp")
p = api(["GET", "/v2/busy"], 1)
check("try again shortly" in err_line(p, "api_busy"), "api_busy is not an IdP outage")
p = api(["GET", "/v2/marked"], 1)
check("try again shortly" in err_line(p, "marked") and p.stdout == b"<html>busy</html>", "Tessera-Error mark")
p = api(["GET", "/v2/ratelimited"], 1)
check("try again in 12 s" in err_line(p, "rate_limited") and "--wait 12" in p.stderr.decode(), "rate_limited hint")
p = api(["GET", "/v2/unavailable"], 1)
check("cannot reach GipoNext" in err_line(p, "api_unavailable"), "api_unavailable")
p = api(["GET", "/v2/timeout"], 1)
check("in time" in err_line(p, "api_timeout"), "api_timeout")
p = api(["GET", "/v2/toolarge"], 1)
check("smaller" in err_line(p, "payload_too_large"), "payload_too_large")
p = api(["GET", "/v2/tenant"], 4)
check("tenant" in err_line(p, "tenant_not_allowed"), "tenant_not_allowed")

# Usage errors: nothing is sent.
for args in (["api"], ["api", "GET"], ["api", "a", "GET", "/x", "y"], ["api", "get", "/x"], ["api", "lab", "/x"],
             ["api", "GET", "/x", "--wait", "301"], ["api", "GET", "/x", "--wait", "-1"],
             ["api", "GET", "/x", "--content-type", "text/plain"], ["api", "bad name", "GET", "/x"],
             ["api", "GET", "/a b"], ["api", "GET", "/a/../b"], ["api", "GET", "/x#frag"],
             ["token", "--data", "x"], ["status", "--include"], ["token", "--wait", "3"]):
    gw_requests.clear()
    p = run(args, expect_rc=2)
    one_line(p, " ".join(args))
    check(p.stdout == "" and not gw_requests, "usage error sends nothing: " + " ".join(args))
p = run(["--socket", os.path.join(tmp, "nothing.sock"), "api", "GET", "/v2/userinfo"], expect_rc=5)
one_line(p, "api unreachable")
os.unlink(blob)

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
