#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A stand-in for journald's native socket, for test-journal.sh.

  journal-receiver.py SOCKET ENTRIES RAW [READY]

Binds a datagram socket at SOCKET (where sd_journal_sendv() sends:
/run/systemd/journal/socket in the daemon's mount namespace) and parses
each datagram as journald does (systemd's journal-native-protocol): fields
"KEY=value\\n", or for values with a newline "KEY\\n" + 64-bit
little-endian length + value + "\\n"; an entry too big for a datagram
arrives as an empty datagram carrying a sealed memfd (SCM_RIGHTS) that
holds it. Each entry is appended to ENTRIES as one JSON object (values
decoded as UTF-8, invalid bytes escaped); every byte received, datagrams
and memfd contents alike, is appended to RAW so a test can search it for
what must never be there. READY is created once the socket is bound.
Stops on SIGTERM."""

import array
import json
import os
import signal
import socket
import struct
import sys

DATAGRAM_MAX = 16 << 20


def parse(data):
    entry = {}
    i = 0
    while i < len(data):
        nl = data.find(b"\n", i)
        eq = data.find(b"=", i)
        if nl < 0:
            raise ValueError("field without a newline")
        if 0 <= eq < nl:
            key, value = data[i:eq], data[eq + 1:nl]
            i = nl + 1
        else:
            key = data[i:nl]
            if nl + 9 > len(data):
                raise ValueError("binary field without its length")
            (n,) = struct.unpack("<Q", data[nl + 1:nl + 9])
            start = nl + 9
            if start + n + 1 > len(data) or data[start + n:start + n + 1] != b"\n":
                raise ValueError("binary field of a wrong length")
            value = data[start:start + n]
            i = start + n + 1
        name = key.decode("ascii")
        if not name or not all(c.isupper() or c.isdigit() or c == "_" for c in name) or name[0] == "_":
            raise ValueError("bad field name %r" % name)
        # journald keeps every value of a repeated field; the tests need one.
        entry.setdefault(name, value.decode("utf-8", "backslashreplace"))
    return entry


def read_fd(fd):
    chunks = []
    os.lseek(fd, 0, os.SEEK_SET)
    while True:
        b = os.read(fd, 1 << 20)
        if not b:
            return b"".join(chunks)
        chunks.append(b)


def main():
    path, entries_path, raw_path = sys.argv[1:4]
    ready = sys.argv[4] if len(sys.argv) > 4 else None
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind(path)
    os.chmod(path, 0o666)
    if ready:
        open(ready, "w").close()
    with open(entries_path, "a") as out, open(raw_path, "ab") as raw:
        while True:
            fds = array.array("i")
            # A datagram is at most the sender's SO_SNDBUF (libsystemd asks
            # for 8 MiB); bigger entries come as a memfd.
            data, anc, flags, _ = s.recvmsg(DATAGRAM_MAX, socket.CMSG_SPACE(4 * fds.itemsize))
            for level, kind, cdata in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds.frombytes(cdata[:len(cdata) - (len(cdata) % fds.itemsize)])
            if fds:
                # journald takes the entry from the memfd, ignoring the datagram.
                data = read_fd(fds[0])
                for fd in fds:
                    os.close(fd)
            raw.write(data)
            raw.flush()
            try:
                if flags & (socket.MSG_TRUNC | socket.MSG_CTRUNC):
                    raise ValueError("datagram or its file descriptors cut short")
                entry = parse(data)
            except ValueError as e:
                entry = {"_PARSE_ERROR": str(e)}
            if fds:
                entry["_VIA_MEMFD"] = "1"
            out.write(json.dumps(entry, sort_keys=True) + "\n")
            out.flush()


if __name__ == "__main__":
    main()
