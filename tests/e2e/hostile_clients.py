# SPDX-License-Identifier: BSD-3-Clause
"""Hostile local clients for the end-to-end tests (REL-5): a timed client for the control
socket and for HTTP, a prober that asks again and again while something else goes on, and
a flood of slow HTTP clients. Standard library only.

Also a script, for what must run inside a node's network namespace (the metrics server
listens on the node's loopback):

    nsenter --net=/run/netns/NS -- python3 hostile_clients.py slow-http \\
        --host 127.0.0.1 --port 9478 --clients 200 --probes 10

prints one JSON object: how many slow clients connected, each legitimate scrape's time and
outcome, and what became of the slow clients.
"""

import argparse
import errno
import json
import resource
import socket
import sys
import threading
import time


def raise_fd_limit(need):
    """Hundreds of held connections need more than the usual 1024 descriptors."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))


def _exchange(sock, request, timeout):
    """Sends `request` and reads until the peer closes or `timeout` passes. Returns
    (reply bytes, error string or None). A peer that closes while we still send
    (EPIPE, ECONNRESET) is not an error: its reply, if any, is still read."""
    deadline = time.monotonic() + timeout
    error = None
    try:
        sock.settimeout(timeout)
        sock.sendall(request)
    except (BrokenPipeError, ConnectionResetError) as e:
        error = f"closed while sending ({e.strerror})"
    except socket.timeout:
        return b"", "timed out sending"
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return b"".join(chunks), "timed out reading"
        sock.settimeout(left)
        try:
            data = sock.recv(65536)
        except socket.timeout:
            return b"".join(chunks), "timed out reading"
        except ConnectionResetError:
            return b"".join(chunks), error or "reset"
        if not data:
            return b"".join(chunks), None if chunks or error is None else error
        chunks.append(data)


def ask_unix(path, request, timeout=5.0):
    """One request on the control socket at `path`. Returns a dict: seconds (connect to
    the last byte of the reply), reply (bytes), json (parsed, or None), error. A full
    backlog is waited out within `timeout`, as dmpdctl does."""
    t0 = time.monotonic()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.settimeout(timeout)
        while True:
            try:
                s.connect(path)
                break
            except BlockingIOError as e:
                # The listen backlog is full (a Unix socket says EAGAIN at once): like
                # dmpdctl, try again until the timeout.
                if time.monotonic() - t0 > timeout:
                    return {"seconds": time.monotonic() - t0, "reply": b"", "json": None,
                            "error": f"connect: {e} for {timeout} s"}
                time.sleep(0.005)
            except OSError as e:
                return {"seconds": time.monotonic() - t0, "reply": b"", "json": None,
                        "error": f"connect: {e}"}
        reply, error = _exchange(s, request, timeout - (time.monotonic() - t0))
    finally:
        s.close()
    out = {"seconds": time.monotonic() - t0, "reply": reply, "json": None, "error": error}
    if reply:
        try:
            out["json"] = json.loads(reply)
        except ValueError as e:
            out["error"] = out["error"] or f"not JSON: {e}"
    return out


def http_get(host, port, path="/metrics", timeout=5.0, close=True):
    """A complete GET, read until the server closes. close=False leaves out `Connection:
    close` (HTTP/1.1 keeps the connection by default): the server must close it itself.
    Returns seconds, status (int or None), body bytes, headers, error."""
    t0 = time.monotonic()
    try:
        s = socket.create_connection((host, port), timeout=timeout)
    except OSError as e:
        return {"seconds": time.monotonic() - t0, "status": None, "bytes": 0,
                "headers": {}, "error": f"connect: {e}"}
    try:
        req = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: dmpd-e2e\r\n"
               f"Accept: */*\r\n{'Connection: close' + chr(13) + chr(10) if close else ''}"
               f"\r\n").encode()
        reply, error = _exchange(s, req, timeout - (time.monotonic() - t0))
    finally:
        s.close()
    out = {"seconds": time.monotonic() - t0, "status": None, "bytes": len(reply),
           "headers": {}, "error": error}
    head, _, _ = reply.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    if lines and lines[0].startswith("HTTP/"):
        parts = lines[0].split()
        out["status"] = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        for line in lines[1:]:
            k, _, v = line.partition(":")
            out["headers"][k.strip().lower()] = v.strip()
    elif not error:
        out["error"] = "no HTTP status line"
    return out


class Prober(threading.Thread):
    """Calls probe() every `interval` seconds until stop(); keeps every result."""

    def __init__(self, probe, interval):
        super().__init__(daemon=True)
        self.probe, self.interval = probe, interval
        self.results = []
        self._stop_event = threading.Event()

    def run(self):
        while not self._stop_event.is_set():
            self.results.append(self.probe())
            self._stop_event.wait(self.interval)

    def stop(self):
        self._stop_event.set()
        self.join()
        return self.results


def open_held(connect, count, timeout=0.5, deadline_s=5.0):
    """Opens up to `count` connections with connect(timeout) and keeps them, retrying a
    refused one (a full listen backlog: EAGAIN on a Unix socket) until `deadline_s` has
    passed. Returns (sockets, connections that failed at the deadline)."""
    socks = []
    give_up = time.monotonic() + deadline_s
    while len(socks) < count:
        try:
            socks.append(connect(timeout))
        except OSError:
            if time.monotonic() > give_up:
                break
            time.sleep(0.002)  # pacing: wait for the server to accept
    return socks, count - len(socks)


def peer_outcome(sock):
    """What became of a held connection: 'closed' (the server closed it), 'answered' (it
    sent something), 'open' (still waiting) or 'error'."""
    sock.setblocking(False)
    try:
        data = sock.recv(4096)
    except BlockingIOError:
        return "open"
    except OSError as e:
        return "closed" if e.errno in (errno.ECONNRESET, errno.EPIPE) else "error"
    return "answered" if data else "closed"


def close_all(socks):
    for s in socks:
        try:
            s.close()
        except OSError:
            pass


def slow_http(a):
    """The flood: `clients` connections to host:port, odd ones sending half a request,
    even ones nothing; while they are held, `probes` complete scrapes one `interval`
    apart; then what became of the slow clients."""
    raise_fd_limit(a.clients + 64)
    half = (f"GET /metrics HTTP/1.1\r\nHost: {a.host}:{a.port}\r\nUser-Ag").encode()
    t0 = time.monotonic()

    def connect(timeout):
        return socket.create_connection((a.host, a.port), timeout=timeout)

    socks, failures = open_held(connect, a.clients)
    for i, s in enumerate(socks):
        if i % 2:
            try:
                s.sendall(half)
            except OSError:
                pass
    opened_s = time.monotonic() - t0
    time.sleep(a.settle)  # let the server see them all before the first scrape
    probes = []
    for _ in range(a.probes):
        probes.append(http_get(a.host, a.port, "/metrics", timeout=a.timeout,
                               close=not a.no_close))
        time.sleep(a.interval)
    outcomes = {}
    for s in socks:
        o = peer_outcome(s)
        outcomes[o] = outcomes.get(o, 0) + 1
    close_all(socks)
    for p in probes:
        p["seconds"] = round(p["seconds"], 4)
    print(json.dumps({"clients": a.clients, "connected": len(socks), "connect_failed": failures,
                      "open_seconds": round(opened_s, 3), "probes": probes,
                      "slow_clients": outcomes}))
    return 0


def main(argv):
    ap = argparse.ArgumentParser(prog="hostile_clients.py")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("slow-http", help="slow clients and timed scrapes")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=9478)
    p.add_argument("--clients", type=int, default=200)
    p.add_argument("--probes", type=int, default=10)
    p.add_argument("--interval", type=float, default=0.2)
    p.add_argument("--settle", type=float, default=0.3)
    p.add_argument("--timeout", type=float, default=5.0, help="per scrape")
    p.add_argument("--no-close", action="store_true",
                   help="scrape without 'Connection: close': the server must close")
    p.set_defaults(func=slow_http)
    a = ap.parse_args(argv)
    return a.func(a)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
