#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Hostile local clients for tesserad's API socket (issue 7, part 5).

usage: hostile-client.py SOCKET MODE [ARGS]

  idle N SECONDS          open N connections, send nothing, hold them
  partial N SECONDS       N connections that send half a request line, then nothing
  slowloris N SECONDS     N connections sending a never-ending header, one byte a
                          second each
  flood PATH SECONDS W    W processes sending requests as fast as they can, a new
                          connection each; prints {"requests","status":{...}}
  latency PATH SECONDS INTERVAL_MS SHA256
                          an honest client: one request per interval, a new
                          connection each; checks status 200 and the token's hash
                          (never prints the token); prints JSON statistics
  get RAW_PATH            one GET of RAW_PATH as is (percent-escapes and dots
                          untouched; \\xNN-free: pass bytes via $'...'): prints
                          "STATUS SHA256-OF-TOKEN|-"
  probe NAME              sends one malformed request; prints "NAME STATUS" where
                          STATUS is the HTTP status or "closed" (no answer);
                          "probe list" prints the probe names

Everything it prints is one line of JSON (or the probe line) on stdout;
connection failures are counted, not raised.
"""

import hashlib
import json
import multiprocessing
import os
import socket
import sys
import time


def connect(path, timeout=10.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


def read_response(s, limit=1 << 20):
    """Reads until the peer closes or a full Content-Length body arrived."""
    data = b""
    while len(data) < limit:
        try:
            chunk = s.recv(65536)
        except (socket.timeout, ConnectionResetError, BrokenPipeError):
            break
        if not chunk:
            break
        data += chunk
        head, sep, body = data.partition(b"\r\n\r\n")
        if sep:
            for line in head.split(b"\r\n")[1:]:
                k, _, v = line.partition(b":")
                if k.strip().lower() == b"content-length":
                    try:
                        if len(body) >= int(v.strip()):
                            return data
                    except ValueError:
                        pass
    return data


def status_of(data):
    if not data.startswith(b"HTTP/"):
        return "closed"
    parts = data.split(b" ", 2)
    return parts[1].decode("ascii", "replace") if len(parts) > 1 else "closed"


def hold(conns, seconds, tick=None):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if tick:
            tick()
        time.sleep(1.0)
    alive = 0
    for s in conns:
        try:
            s.setblocking(False)
            try:
                alive += 1 if s.recv(1, socket.MSG_PEEK) else 0
            except BlockingIOError:
                alive += 1      # nothing to read, still open
        except OSError:
            pass
    return alive


def open_many(path, n):
    conns, refused = [], 0
    for _ in range(n):
        try:
            conns.append(connect(path, 1.0))
        except OSError:
            refused += 1
    return conns, refused


def mode_idle(path, n, seconds, first=b""):
    conns, refused = open_many(path, int(n))
    for s in conns:
        if first:
            try:
                s.sendall(first)
            except OSError:
                pass
    alive = hold(conns, float(seconds))
    print(json.dumps({"opened": len(conns), "refused": refused, "still_open": alive}))


def mode_slowloris(path, n, seconds):
    conns, refused = open_many(path, int(n))
    prefix = b"GET /v1/status HTTP/1.1\r\nHost: t\r\nX-Slow: "
    sent = [0] * len(conns)

    def tick():
        for i, s in enumerate(conns):
            if s is None:
                continue
            b = prefix[sent[i]:sent[i] + 1] if sent[i] < len(prefix) else b"a"
            try:
                s.send(b)
                sent[i] += 1
            except OSError:
                conns[i] = None

    alive = hold(conns, float(seconds), tick)
    live = [s for s in conns if s is not None]
    print(json.dumps({"opened": len(sent), "refused": refused,
                      "still_open": min(alive, len(live)), "bytes_each": max(sent or [0])}))


def flood_worker(path, target, seconds, q):
    req = f"GET {target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode()
    counts = {}
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            s = connect(path, 5.0)
            s.sendall(req)
            st = status_of(read_response(s))
            s.close()
        except OSError:
            st = "refused"
        counts[st] = counts.get(st, 0) + 1
    q.put(counts)


def mode_flood(path, target, seconds, workers):
    q = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=flood_worker, args=(path, target, float(seconds), q))
             for _ in range(int(workers))]
    for p in procs:
        p.start()
    total = {}
    for _ in procs:
        for k, v in q.get().items():
            total[k] = total.get(k, 0) + v
    for p in procs:
        p.join()
    print(json.dumps({"requests": sum(total.values()), "status": total}))


def mode_latency(path, target, seconds, interval_ms, want_sha):
    req = f"GET {target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode()
    lat, fails, reasons = [], 0, {}
    end = time.monotonic() + float(seconds)
    while time.monotonic() < end:
        t0 = time.monotonic()
        why = None
        try:
            s = connect(path, 10.0)
            s.sendall(req)
            data = read_response(s)
            s.close()
            st = status_of(data)
            if st != "200":
                why = "status " + st
            else:
                body = json.loads(data.partition(b"\r\n\r\n")[2])
                tok = body.get("access_token", "")
                if hashlib.sha256(tok.encode()).hexdigest() != want_sha:
                    why = "wrong token"
        except (OSError, ValueError) as e:
            why = type(e).__name__
        dt = time.monotonic() - t0
        lat.append(dt)
        if why:
            fails += 1
            reasons[why] = reasons.get(why, 0) + 1
        rest = float(interval_ms) / 1000.0 - dt
        if rest > 0:
            time.sleep(rest)
    lat.sort()

    def pct(p):
        return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000.0, 2) if lat else None

    print(json.dumps({"n": len(lat), "fail": fails, "reasons": reasons, "p50_ms": pct(0.50),
                      "p90_ms": pct(0.90), "p99_ms": pct(0.99), "max_ms": pct(1.0)}))


def big_header(n):
    return b"X-Big: " + b"y" * n + b"\r\n"


def post(body, path=b"/v1/accounts/default/login", extra=b""):
    """A POST with a correct Content-Length for body."""
    return (b"POST " + path + b" HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n" + extra +
            b"Content-Length: %d\r\n\r\n" % len(body) + body)


# Raw requests; each is sent as is on a fresh connection.
PROBES = {
    "header-40k": b"GET /v1/status HTTP/1.1\r\nHost: t\r\n" + big_header(40000) + b"\r\n",
    "header-1m": b"GET /v1/status HTTP/1.1\r\nHost: t\r\n" + big_header(1 << 20) + b"\r\n",
    "headers-2000": b"GET /v1/status HTTP/1.1\r\nHost: t\r\n" +
                    b"".join(b"X-H%d: v\r\n" % i for i in range(2000)) + b"\r\n",
    "url-64k": b"GET /v1/status?" + b"a" * 65536 + b" HTTP/1.1\r\nHost: t\r\n\r\n",
    "query-many-args": b"GET /v1/accounts/default/token?" + b"&".join(b"k%d=v" % i for i in range(3000)) +
                       b" HTTP/1.1\r\nHost: t\r\n\r\n",
    "body-cl-100m": b"POST /v1/accounts/default/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 104857600\r\n\r\n{\"flow\":\"" + b"x" * 200000,
    "body-cl-huge": b"POST /v1/accounts/default/login HTTP/1.1\r\nHost: t\r\n"
                    b"Content-Length: 18446744073709551616\r\n\r\n",
    "body-cl-negative": b"POST /v1/accounts/default/login HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n",
    "body-cl-junk": b"POST /v1/accounts/default/login HTTP/1.1\r\nHost: t\r\nContent-Length: 12abc\r\n\r\n",
    "body-17k": post(b"{\"flow\":\"" + b"x" * 17000 + b"\"}"),
    "body-chunked-1m": b"POST /v1/accounts/default/login HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" +
                       (b"4000\r\n" + b"x" * 0x4000 + b"\r\n") * 64 + b"0\r\n\r\n",
    "body-cl-and-chunked": b"POST /v1/accounts/default/login HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n"
                           b"Transfer-Encoding: chunked\r\n\r\n5\r\n{nope\r\n0\r\n\r\n",
    "json-truncated": post(b"{\"flow\":"),
    "json-array": post(b"[]"),
    "json-null": post(b"null"),
    "json-trailing": post(b"{\"flow\":\"nope\"} junk"),
    "json-two-objects": post(b"{\"flow\":\"x\"}{\"flow\":\"y\"}"),
    "json-deep": post(b"[" * 16000),
    "json-nul": post(b"{\"flow\":\"co\x00de\"}"),
    "json-escaped-nul": post(b"{\"flow\":\"code\\u0000x\"}"),
    "json-bad-utf8": post(b"{\"flow\":\"\xff\xfe\"}"),
    "json-overlong-utf8": post(b"{\"flow\":\"\xc0\xaf\"}"),
    "json-lone-surrogate": post(b"{\"flow\":\"\\ud800\"}"),
    "json-big-number": post(b"{\"flow\":1e999999999999999999999}"),
    "json-dup-keys": post(b"{\"flow\":\"nope\",\"flow\":\"nope2\"}"),
    "path-bad-utf8": b"GET /v1/accounts/\xff\xfe/token HTTP/1.1\r\nHost: t\r\n\r\n",
    "header-bad-utf8": b"GET /v1/status HTTP/1.1\r\nHost: \xff\xfe\r\nX-A: \xc0\xaf\r\n\r\n",
    "path-raw-nul": b"GET /v1/accounts/default\x00/token HTTP/1.1\r\nHost: t\r\n\r\n",
    "garbage-line": b"\x00\x01\x02\x03\xff\xfe garbage\r\n\r\n",
    "http09": b"GET /v1/status\r\n\r\n",
    "http2-preface": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    "method-long": b"A" * 5000 + b" /v1/status HTTP/1.1\r\nHost: t\r\n\r\n",
    "method-trace": b"TRACE /v1/status HTTP/1.1\r\nHost: t\r\n\r\n",
    "version-junk": b"GET /v1/status HTTP/9.9\r\nHost: t\r\n\r\n",
    "header-no-colon": b"GET /v1/status HTTP/1.1\r\nHost: t\r\nthis is not a header\r\n\r\n",
    "header-fold": b"GET /v1/status HTTP/1.1\r\nHost: t\r\nX-A: a\r\n b\r\n\r\n",
    "bare-lf": b"GET /v1/status HTTP/1.1\nHost: t\n\n",
    "pipelined-100": b"GET /v1/status HTTP/1.1\r\nHost: t\r\n\r\n" * 100,
}


def mode_probe(path, name):
    """Prints "NAME STATUS": the HTTP status of the first answer, "closed"
    when the daemon closed the connection without one, "timeout" when it
    neither answered nor closed within 5 s. pipelined-100 prints how many
    answers came."""
    if name == "list":
        print(" ".join(PROBES))
        return
    data = PROBES[name]
    try:
        s = connect(path, 5.0)
    except OSError:
        print(f"{name} refused")
        return

    def send():
        try:
            s.sendall(data)
        except OSError:
            pass                # refused before it read everything

    import threading
    t = threading.Thread(target=send, daemon=True)
    t.start()
    got, how = b"", "closed"
    end = time.monotonic() + 5.0
    while True:
        try:
            s.settimeout(max(0.05, end - time.monotonic()))
            chunk = s.recv(65536)
        except socket.timeout:
            how = "timeout"
            break
        except OSError:
            break
        if not chunk:
            break
        got += chunk
        if name == "pipelined-100":
            if got.count(b"HTTP/1.1 ") >= 100 and got.endswith(b"}"):
                break
        elif b"\r\n\r\n" in got:
            head, _, body = got.partition(b"\r\n\r\n")
            cl = [ln for ln in head.split(b"\r\n") if ln.lower().startswith(b"content-length:")]
            if cl and len(body) >= int(cl[0].split(b":")[1]):
                break
    s.close()
    if name == "pipelined-100":
        print(f"{name} {got.count(b'HTTP/1.1 200')}")
    elif got.startswith(b"HTTP/"):
        print(f"{name} {status_of(got)}")
    else:
        print(f"{name} {how}")


def mode_get(path, target):
    """One raw GET of target exactly as given (no normalisation): prints the
    status and the sha256 of the access token in the answer ("-" if none)."""
    try:
        s = connect(path, 10.0)
        s.sendall(b"GET " + target.encode("latin-1") + b" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        data = read_response(s)
        s.close()
    except OSError:
        print("refused -")
        return
    tok = "-"
    try:
        body = json.loads(data.partition(b"\r\n\r\n")[2])
        if isinstance(body, dict) and "access_token" in body:
            tok = hashlib.sha256(str(body["access_token"]).encode()).hexdigest()
    except ValueError:
        pass
    print(f"{status_of(data)} {tok}")


def main():
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        sys.exit(2)
    path, mode, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    if mode == "idle":
        mode_idle(path, *args)
    elif mode == "partial":
        mode_idle(path, args[0], args[1], b"GET /v1/sta")
    elif mode == "slowloris":
        mode_slowloris(path, *args)
    elif mode == "flood":
        mode_flood(path, *args)
    elif mode == "latency":
        mode_latency(path, *args)
    elif mode == "get":
        mode_get(path, *args)
    elif mode == "probe":
        mode_probe(path, *args)
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)
    # runuser leaves the soft limit at 1024: a thousand connections need more.
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    os.umask(0o077)
    main()
