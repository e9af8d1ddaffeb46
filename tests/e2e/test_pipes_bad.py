#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Pipes given bad input (PIPE-4, REL-4; issue 8's "bad input, each a clear error and
nothing lost"), two nodes of two ports:

1. Messages to a node nobody knows: refused by the sender's daemon, each one counted
   (`dropped_no_route`); dmpd-perf exits 1 saying there is no route.
2. Messages to a pipe nobody has open on node 2: node 2 counts each data frame (`no_pipe`)
   and delivers it nowhere.
3. An application killed with `kill -9` while it has a pipe open: node 2 reclaims that pipe
   (its memory back, `pipes_reclaimed`), and the application next to it keeps receiving.
4. A user outside the pipe group cannot open a pipe: a clear permission error.
5. A message larger than 64 KiB: refused with a clear error before anything is sent.
6. A resize (PIPE-2) beyond the node's ring memory (`pipe_memory_mb`): refused with a clear
   error; the pipe keeps its rings and receives everything.
(The library's own refusals — ring full, closed pipe, daemon gone, a second opener — are
in tests/libdmpd.)
"""

import json
import os
import signal
import subprocess

from labkit import Checks, nsenter, run, run_test, say, wait_until
from pipekit import Receiver, env_for, perf, pipes, send, summary


def unknown_node(lab, c):
    p = send(lab, 1, 9, 7, "--count", 100, "--size", 64, check_rc=False)
    # dmpd-perf fails, saying why, and still prints its result (send() gives the result
    # itself when the exit status was 0).
    if isinstance(p, dict):
        c.check(False, f"send to node 9 exited 0: {p}")
        return
    c.check(p.returncode == 1 and "no route to node 9" in p.stderr,
            f"send to node 9: rc {p.returncode}, stderr {p.stderr.strip()!r}")
    s = json.loads(p.stdout.strip().splitlines()[-1])
    say(f"100 messages to node 9: sender's daemon {s['daemon']}; {p.stderr.strip()}")
    # dmpd-perf reads the daemon's counters as it closes, possibly before the worker has
    # taken every message: none may have been sent, and the ones taken are counted.
    c.check(s["daemon"]["sent_messages"] == 0 and s["daemon"]["dropped_no_route"] > 0,
            f"node 1 sent to an unknown node, or did not count it: {s['daemon']}")


def missing_pipe(lab, c):
    before = pipes(lab, 2)["engine"]["no_pipe"]
    s = send(lab, 1, 2, 99, "--count", 100, "--size", 64)
    sent = s["library"]["sent"]  # the daemon's count is read before it has sent them all
    after = wait_until(lambda: (lambda n: n if n - before >= sent else None)(
        pipes(lab, 2)["engine"]["no_pipe"]), 10, "node 2 to count every frame for pipe 99")
    say(f"{sent} messages (100 and the end markers) to node 2 pipe 99, not open: node 2 "
        f"counted {after - before} as no_pipe")
    c.check(after - before == sent, f"no_pipe grew by {after - before}, {sent} were sent")


def killed_application(lab, c):
    doomed = Receiver(lab, 2, 7, "--count", 10, "--timeout", 60)
    survivor = Receiver(lab, 2, 8, "--count", 1000)
    before = pipes(lab, 2)
    open_ids = sorted(p["pipe"] for p in before["pipes"])
    c.check(open_ids == [7, 8], f"node 2 has pipes {open_ids} open, expected [7, 8]")
    os.kill(doomed.p.pid, signal.SIGKILL)
    doomed.p.wait(timeout=10)
    say(f"kill -9 of the application holding pipe 7 (pid {doomed.p.pid})")
    after = wait_until(lambda: (lambda d: d if [p["pipe"] for p in d["pipes"]] == [8] else None)(
        pipes(lab, 2)), 10, "pipe 7 reclaimed on node 2")
    say(f"node 2 after: pipes {[p['pipe'] for p in after['pipes']]}, memory "
        f"{before['memory_bytes']} -> {after['memory_bytes']} bytes, service {after['service']}")
    c.check(after["service"]["pipes_reclaimed"] >= 1, f"not counted: {after['service']}")
    c.check(after["memory_bytes"] < before["memory_bytes"], "the ring memory was not reclaimed")
    send(lab, 1, 2, 8, "--count", 1000, "--size", 64, "--rate", 10000)
    got = survivor.result()
    say(f"the other application's pipe 8: {summary(got)}")
    c.check(got["received"] == 1000 and got["lost"] == 0, f"pipe 8 suffered: {summary(got)}")


def outsider(lab, c):
    p = run(nsenter(lab.netns(2), ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                   perf(), "recv", "--pipe", 5, "--timeout", 1]),
            check_rc=False, env=env_for(lab, 2))
    say(f"user nobody: dmpd-perf recv exited {p.returncode}: {p.stderr.strip()[:200]}")
    c.check(p.returncode != 0, "a user outside the group opened a pipe")
    c.check("ermission" in p.stderr, f"no clear permission error: {p.stderr.strip()}")
    c.check(not any(x["pipe"] == 5 for x in pipes(lab, 2)["pipes"]), "pipe 5 is open")


def oversize(lab, c):
    p = send(lab, 1, 2, 7, "--count", 1, "--size", 65537, check_rc=False)
    say(f"a 65537 B message: exited {p.returncode}: {p.stderr.strip().splitlines()[0]}")
    c.check(p.returncode != 0 and "65536" in p.stderr, f"not refused clearly: {p.stderr}")


def resize_beyond_the_budget(lab, c):
    before = pipes(lab, 2)["memory_bytes"]
    r = Receiver(lab, 2, 12, "--count", 1000, "--resize-at", 1, "--resize-to", 1 << 30)
    send(lab, 1, 2, 12, "--count", 1000, "--size", 64)
    got = r.result()
    say(f"a resize to 1 GiB: {got['resize']}; {summary(got)}")
    c.check("pipe memory exhausted" in got["resize"]["outcome"]
            and got["resize"]["ring_bytes"] == got["resize"]["from_bytes"],
            f"the resize beyond the budget was not refused clearly: {got['resize']}")
    c.check(got["received"] == 1000 and got["lost"] == 0, f"after the refusal: {summary(got)}")
    # The receiver's pipe is reclaimed within the reaper's 10 ms of its exit.
    # (at most what it was before: earlier tests' pipes may still have been reclaimed then)
    wait_until(lambda: pipes(lab, 2)["memory_bytes"] <= before, 10,
               f"node 2's ring memory back to at most {before} bytes after a refused resize")


def body(lab):
    c = Checks()
    unknown_node(lab, c)
    missing_pipe(lab, c)
    killed_application(lab, c)
    outsider(lab, c)
    oversize(lab, c)
    resize_beyond_the_budget(lab, c)
    c.done()


if __name__ == "__main__":
    run_test(body, nodes=2, ports=2)
