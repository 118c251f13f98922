#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# `tessera api` against a fake tesserad (cli_fixture.py): requests through
# tesserad's GipoNext gateway, their bodies both ways, exit codes and the
# messages for GipoNext's and tesserad's errors, usage errors.
# Usage: test-cli-api.py PATH-TO-tessera

import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from cli_fixture import (BINARY, TOKEN, USERINFO, check, gw_requests, one_line, run, run_bytes,  # noqa: E402
                         start, stop)

tmp, SOCK = start()

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

stop("test-cli-api")
