#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A forged master (PROTO-4: a node without the cluster key cannot become master or change
anyone's view). Four nodes x two ports, 100 ms cycles, every daemon given one cluster key
(`cluster_key_file`): unsigned time-sync frames claiming a term far above the cluster's,
from a node number the lab does not use and from the master's own number, are sent on
both ports of a follower's namespace with tools/dmpd-inject (raw socket). Nothing changes
(the master, the term and every view stay) and every node that heard them counts them as
refused.

Frames that claim the receiver's own node number are dropped as its own frames
(daemon.own_frames), not counted as refused: the master's count covers the other half.

Skipped (exit 77) with a dmpdd that has no `cluster_key_file` setting: without a key a
time-sync of a higher term is accepted by design (the rule "terms order everything"), so
the test would only show the daemon doing what it is told.
"""

import os
import subprocess
import sys
import time

from clusterkit import (INTERVAL_MS, NODES, PORTS, agreed, full_view, lab_args, summary,
                        views, wait_agreement)
from labkit import SKIP, Checks, build_dir, run_test, say

FORGED_TERM_ABOVE = 1000
FRAMES = 50


def key_supported():
    dmpdd = build_dir() / "userspace" / "daemon" / "dmpdd"
    try:
        p = subprocess.run([str(dmpdd), "--help"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "cluster_key_file" in (p.stdout + p.stderr)


def refused(st):
    """Every frame the daemon refused (all reasons, all ports)."""
    return sum(sum(p["daemon"].get("rejected", {}).values()) for p in st["ports"])


def body(lab):
    master, term, _, _ = wait_agreement(lab)
    sender = max(n for n in NODES if n != master)
    before = {n: refused(lab.status(n)) for n in NODES}
    c = Checks()
    for forged_node in (65000, master):
        for q in range(PORTS):
            r = lab.inject(sender, f"p{q}", "--type", "time-sync", "--node", forged_node,
                           "--term", term + FORGED_TERM_ABOVE, "--count", FRAMES,
                           "--rate", 1000.0 / INTERVAL_MS * 2)
            say(f"sent {r} unsigned time-syncs as node {forged_node}, term "
                f"{term + FORGED_TERM_ABOVE}, from node {sender} p{q}")
    time.sleep(10 * INTERVAL_MS / 1000.0)  # pacing: 10 cycles after the forgery
    vs = views(lab)
    say(f"after the forgery: {summary(vs)}")
    c.check(agreed(vs) == (master, term), f"master/term moved from {(master, term)}: "
                                          f"{summary(vs)}")
    c.check(all(full_view(v) for v in vs.values()), f"a view changed: {summary(vs)}")
    after = {n: refused(lab.status(n)) for n in NODES}
    say(f"refused frames per node: {({n: after[n] - before[n] for n in NODES})}")
    for n in NODES:
        if n != sender:
            c.check(after[n] - before[n] >= FRAMES, f"node {n} refused "
                                                    f"{after[n] - before[n]} forged frames")
    c.done()


if __name__ == "__main__":
    if os.geteuid() == 0 and not key_supported():
        print("SKIP: cluster_key_file not implemented: dmpdd has no cluster key (PROTO-4), "
              "and without one an unsigned time-sync of a higher term is accepted by design",
              flush=True)
        sys.exit(SKIP)
    key = f"/run/dmpd/e2e-forged-{os.getpid()}.key"
    os.makedirs("/run/dmpd", mode=0o750, exist_ok=True)
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, os.urandom(32).hex().encode() + b"\n")
    os.close(fd)
    try:
        run_test(body, **lab_args(cluster_key_file=key))
    finally:
        os.unlink(key)
