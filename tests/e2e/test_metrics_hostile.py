#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Slow clients on the metrics server (REL-5, issue 11): 200 connections to the node's
/metrics port that send half a request or nothing and keep the connection open. While they
are held, a legitimate scrape (a complete GET /metrics) is answered within 1 s, with
`Connection: close`; the daemon keeps its pid; the `metrics_server` counters show the slow
clients evicted or timed out.

The contract (status JSON): "metrics_server": {clients, max_clients, accepted, served,
evicted, timed_out, too_large} (null with metrics off); metrics_max_clients 32 and
client_timeout_ms 1000 by default; at the limit the oldest unfinished connection is
evicted. The clients run inside the node's namespace (the server listens on its loopback).
"""

import json
import sys
from pathlib import Path
from urllib.parse import urlsplit

from labkit import Checks, percentile, run_test, say, wait_until

TARGET = 1
SLOW_CLIENTS = 200
PROBES = 10
SCRAPE_LIMIT_S = 1.0
HELPER = Path(__file__).resolve().parent / "hostile_clients.py"
KEYS = ("clients", "max_clients", "accepted", "served", "evicted", "timed_out", "too_large")


def flood(lab, host, port, clients, probes, *extra):
    p = lab.ns_run(TARGET, [sys.executable, HELPER, "slow-http", "--host", host, "--port", port,
                            "--clients", clients, "--probes", probes, "--timeout", 5, *extra],
                   timeout=120)
    return json.loads(p.stdout.strip().splitlines()[-1])


def report(name, out):
    secs = [p["seconds"] for p in out["probes"]]
    codes = [p["status"] for p in out["probes"]]
    say(f"{name}: {out['connected']} slow clients connected ({out['connect_failed']} failed, "
        f"{out['open_seconds']} s); scrapes: p50 {percentile(secs, 0.5) * 1000:.1f} ms, max "
        f"{max(secs) * 1000:.1f} ms, each {[round(s * 1000) for s in secs]} ms, status {codes}; "
        f"slow clients afterwards: {out['slow_clients']}")
    return secs


def body(lab):
    chk = Checks()
    st = lab.status(TARGET)
    pid = st["pid"]
    url = st.get("metrics_url")
    if not url:
        raise AssertionError(f"node {TARGET}: no metrics_url in status (metrics off?)")
    u = urlsplit(url)
    host, port = u.hostname, u.port
    ms = st.get("metrics_server")
    chk.check(isinstance(ms, dict) and all(isinstance(ms.get(k), int) for k in KEYS),
              f"status has no metrics_server {{{', '.join(KEYS)}}} object: {ms!r}")
    # The server answers at all (it starts in its own thread).
    wait_until(lambda: flood(lab, host, port, 0, 1)["probes"][0]["status"] == 200, 20,
               f"a scrape of {url}")

    quiet = flood(lab, host, port, 0, PROBES)
    report("no slow clients", quiet)
    # A scraper that does not ask to close (HTTP/1.1 keeps connections by default) is
    # answered with `Connection: close` and closed: no idle keep-alive connections.
    keep = flood(lab, host, port, 0, 1, "--no-close", "--timeout", 3)["probes"][0]
    say(f"scrape without 'Connection: close': {keep['seconds'] * 1000:.1f} ms, status "
        f"{keep['status']}, Connection: {keep['headers'].get('connection')}, {keep['error']}")
    chk.check(keep["headers"].get("connection", "").lower() == "close" and not keep["error"],
              f"GET /metrics without 'Connection: close' answered with Connection: "
              f"{keep['headers'].get('connection')!r}, {keep['error'] or 'closed'}")

    before = lab.status(TARGET).get("metrics_server") or {}
    out = flood(lab, host, port, SLOW_CLIENTS, PROBES)
    secs = report(f"{SLOW_CLIENTS} slow clients", out)
    for i, p in enumerate(out["probes"]):
        chk.check(p["status"] == 200 and not p["error"],
                  f"scrape {i} with {out['connected']} slow clients held: status {p['status']}, "
                  f"{p['error']}")
    slow = [s for s in secs if s > SCRAPE_LIMIT_S]
    chk.check(not slow, f"{len(slow)} of {len(secs)} scrapes took over {SCRAPE_LIMIT_S} s "
                        f"(max {max(secs):.2f} s) with {out['connected']} slow clients held")

    st = lab.status(TARGET, timeout=30)
    chk.check(st["pid"] == pid, f"daemon pid {pid} -> {st['pid']}")
    after = st.get("metrics_server") or {}
    delta = {k: after.get(k, 0) - before.get(k, 0) for k in KEYS if k in after}
    say(f"metrics_server counters {after or 'absent'} (change {delta})")
    limit = after.get("max_clients", 32)
    chk.check(out["connected"] <= limit or delta.get("evicted", 0) > 0,
              f"metrics_server.evicted grew by {delta.get('evicted', 0)}; "
              f"{out['connected']} slow clients, max_clients {limit}")
    cut = delta.get("evicted", 0) + delta.get("timed_out", 0)
    chk.check(cut >= out["connected"],
              f"metrics_server evicted + timed_out grew by {cut}; {out['connected']} slow "
              f"clients were held (client_timeout_ms 1000)")
    chk.check(out["slow_clients"].get("open", 0) == 0,
              f"{out['slow_clients'].get('open', 0)} slow clients still open after the scrapes "
              f"(client_timeout_ms 1000)")
    chk.check(delta.get("served", 0) >= PROBES,
              f"metrics_server.served grew by {delta.get('served', 0)}, {PROBES} scrapes")
    lab.refresh()
    chk.check(lab.node(TARGET)["alive"], f"node {TARGET}'s daemon died")
    chk.done()


if __name__ == "__main__":
    run_test(body, nodes=1, ports=1)
