#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""dmpdctl gives up on a daemon that does not answer (REL-5, issue 11): against Unix
sockets that never accept, accept and never answer, or have a full listen backlog,
`dmpdctl status` exits non-zero within its timeout (default 2 s, --timeout SECONDS) and says
"dmpdd at <socket> did not answer within <T> s: is it stuck? check its log". A server that
answers in time is still read whole. No root, no daemon.

    timeout_test.py path/to/dmpdctl
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

SLACK_S = 1.5  # process start (an ASan binary) and a loaded machine


def dmpdctl(binary, sock, *args):
    t0 = time.monotonic()
    p = subprocess.run([binary, "--socket", sock, *args, "status", "--json"],
                       capture_output=True, text=True, timeout=60)
    return p, time.monotonic() - t0


class Server:
    """A Unix socket server that behaves as told: 'never-accept', 'silent' (accepts and
    reads, never answers), 'full' (backlog filled), 'answer' (a JSON status after 0.3 s)."""

    def __init__(self, path, mode):
        self.path, self.mode = path, mode
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(0 if mode == "full" else 8)
        self.held = []
        self.stop = threading.Event()
        if mode == "full":
            # Fill the backlog: these connects queue, the next one gets EAGAIN.
            for _ in range(4):
                c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                c.setblocking(False)
                try:
                    c.connect(path)
                except BlockingIOError:
                    c.close()
                    break
                self.held.append(c)
        if mode in ("silent", "answer"):
            self.thread = threading.Thread(target=self.serve, daemon=True)
            self.thread.start()

    def serve(self):
        self.sock.settimeout(0.1)
        while not self.stop.is_set():
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            self.held.append(c)
            c.recv(4096)
            if self.mode == "answer":
                time.sleep(0.3)
                c.sendall(json.dumps({"node": 1, "ports": []}).encode())
                c.close()

    def close(self):
        self.stop.set()
        if hasattr(self, "thread"):
            self.thread.join()
        for c in self.held:
            c.close()
        self.sock.close()


def main(argv):
    binary = argv[1]
    failures = []

    def check(cond, msg):
        print(("ok   " if cond else "FAIL ") + msg, flush=True)
        if not cond:
            failures.append(msg)

    with tempfile.TemporaryDirectory() as d:
        for mode, args, limit in [("never-accept", [], 2.0), ("silent", [], 2.0),
                                  ("full", [], 2.0), ("silent", ["--timeout", "0.5"], 0.5),
                                  ("never-accept", ["--timeout=1"], 1.0)]:
            path = os.path.join(d, f"{mode}.sock")
            server = Server(path, mode)
            try:
                p, secs = dmpdctl(binary, path, *args)
            finally:
                server.close()
                os.unlink(path)
            want = f"dmpdd at {path} did not answer within {limit:g} s: is it stuck? " \
                   f"check its log"
            print(f"{mode} {args}: exit {p.returncode} after {secs:.2f} s: {p.stderr.strip()}")
            check(p.returncode != 0, f"{mode} {args}: non-zero exit")
            check(want in p.stderr, f"{mode} {args}: says {want!r}")
            check(limit - 0.1 <= secs <= limit + SLACK_S,
                  f"{mode} {args}: gave up after {secs:.2f} s, timeout {limit} s")
        path = os.path.join(d, "answer.sock")
        server = Server(path, "answer")
        try:
            p, secs = dmpdctl(binary, path)
        finally:
            server.close()
        print(f"answer: exit {p.returncode} after {secs:.2f} s")
        check(p.returncode == 0 and json.loads(p.stdout)["node"] == 1,
              f"a reply after 0.3 s is read: exit {p.returncode}, {p.stdout[:80]!r} "
              f"{p.stderr.strip()}")
        p = subprocess.run([binary, "--timeout", "0", "status"], capture_output=True, text=True)
        check(p.returncode == 2 and "--timeout" in p.stderr,
              f"--timeout 0 is refused (exit {p.returncode}: {p.stderr.strip()[:80]})")
    print("PASS" if not failures else f"FAIL: {len(failures)} check(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
