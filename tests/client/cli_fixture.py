# SPDX-License-Identifier: MIT
#
# The fake tesserad of the tessera command's tests (test-cli.py,
# test-cli-api.py): a small HTTP/1.1 server on a Unix socket in a temporary
# directory with canned answers, and runners of the command that check its
# exit code and that the token shows up nowhere but `tessera token`.
# The tests' first argument is the path of tessera.

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


tmp = None
SOCK = None
server = None


def start():
    """Starts the server in a new temporary directory; returns the
    directory and the socket's path."""
    global tmp, SOCK, server
    tmp = tempfile.mkdtemp(prefix="test-cli-")
    SOCK = os.path.join(tmp, "api.sock")
    server = Server(SOCK, Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return tmp, SOCK


def stop(name):
    """Stops the server, removes the (by now empty) temporary directory and
    exits, with 1 when any check failed."""
    server.shutdown()
    os.unlink(SOCK)
    os.rmdir(tmp)

    if failures:
        print("%s: %d check(s) failed" % (name, failures), file=sys.stderr)
        sys.exit(1)
    print("%s: ok" % name)
