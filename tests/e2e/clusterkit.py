# SPDX-License-Identifier: BSD-3-Clause
"""Shared pieces of the cluster end-to-end tests (test_cluster_*.py): the lab they use
(4 nodes x 2 ports, 100 ms cycles) and reading every node's `dmpdctl cluster --json`.

The names read here are the daemon's (userspace/cluster/cluster_commands.h): "node",
"master" (null if none), "term", "cycle", "role", "number_in_conflict", "members": [{"node",
"state", "reason" (when left), "age_ms", "ports": [{"port", "up", "mac", ...}]}].
"""

import time

from labkit import TestFailure, say

NODES = (1, 2, 3, 4)
PORTS = 2
INTERVAL_MS = 100
K = 3  # port_down_after, node_failed_after and master_failed_after, in cycles
# What a loaded 2-core host adds to k cycles: four ASan daemons and the test's own
# dmpdctl calls share the cores, and each poll of four views takes tens of ms.
SLACK_S = 2.0
SETTINGS = {
    "cluster_interval_ms": INTERVAL_MS,
    "port_down_after": K,
    "node_failed_after": K,
    "master_failed_after": K,
    "rejoin_hold_ms": 1000,
}
AGREE_TIMEOUT_S = 30  # the first election, on a host still busy starting the daemons


def lab_args(**settings):
    """run_test keyword arguments for the cluster lab."""
    s = dict(SETTINGS)
    s.update(settings)
    return {"nodes": len(NODES), "ports": PORTS, "settings": s}


def cycles(seconds):
    return seconds * 1000.0 / INTERVAL_MS


def views(lab, nodes=NODES):
    """{node: its `cluster` document}; a node that does not answer raises TestFailure."""
    return {n: lab.cluster(n) for n in nodes}


def member(view, node):
    return next((m for m in view.get("members", []) if m.get("node") == node), None)


def state_text(m):
    """A member's state as the tables show it: `left (reason)` when left."""
    if m is None:
        return "absent"
    if m.get("state") == "left":
        return f"left ({m.get('reason')})"
    return m.get("state")


def agreed(vs):
    """(master, term) if every view names the same master and term (not null), else None."""
    seen = {(v.get("master"), v.get("term")) for v in vs.values()}
    if len(seen) != 1:
        return None
    master, term = next(iter(seen))
    return (master, term) if master is not None else None


def masters(vs):
    """The nodes that say they are master."""
    return sorted(n for n, v in vs.items() if v.get("role") == "master")


def summary(vs):
    """One line per view, for the log and failure messages."""
    out = []
    for n, v in sorted(vs.items()):
        ms = " ".join(f"{m.get('node')}:{state_text(m)}" for m in v.get("members", []))
        out.append(f"n{n}: {v.get('role')} master={v.get('master')} term={v.get('term')} "
                   f"[{ms}]")
    return "; ".join(out)


def full_view(view, nodes=NODES, ports=PORTS):
    """Whether a view has exactly `nodes` as members, all alive with every port up."""
    got = sorted(m.get("node") for m in view.get("members", []))
    if got != sorted(nodes):
        return False
    for m in view["members"]:
        if m.get("state") != "alive":
            return False
        ps = m.get("ports", [])
        if len(ps) != ports or not all(p.get("up") is True for p in ps):
            return False
    return True


def wait_views(lab, cond, timeout, what, nodes=NODES, interval=0.05):
    """Polls every node's view until cond(views) is truthy. Returns (views, seconds)."""
    start = time.monotonic()
    deadline = start + timeout
    last = None
    while True:
        try:
            last = views(lab, nodes)
            if cond(last):
                return last, time.monotonic() - start
        except TestFailure as e:
            last = e
        if time.monotonic() > deadline:
            detail = summary(last) if isinstance(last, dict) else last
            raise TestFailure(f"timed out after {timeout} s waiting for {what}; last: {detail}")
        time.sleep(interval)  # pacing only


def wait_agreement(lab, nodes=NODES, timeout=AGREE_TIMEOUT_S, full=True):
    """Waits until `nodes` agree on a master (and, with `full`, each holds the full view of
    `nodes`). Returns (master, term, views, seconds)."""
    def ok(vs):
        return agreed(vs) and (not full or all(full_view(v, nodes) for v in vs.values()))
    vs, s = wait_views(lab, ok, timeout, f"nodes {list(nodes)} to agree on a master"
                       + (" and hold the full view" if full else ""), nodes)
    master, term = agreed(vs)
    say(f"agreement: master {master}, term {term} after {s:.2f} s ({cycles(s):.1f} cycles): "
        f"{summary(vs)}")
    return master, term, vs, s
