# SPDX-License-Identifier: BSD-3-Clause
"""dmpd-perf in a lab: a receiver in the background that says when it is ready, a sender,
and the daemons' pipe counters (docs/pipes.md)."""

import json
import os
import select
import subprocess
import time

from labkit import TestFailure, build_dir, nsenter, run, stop_process, wait_until


def perf():
    return os.path.join(build_dir(), "tools", "dmpd-perf", "dmpd-perf")


def env_for(lab, n):
    return dict(os.environ, DMPD_PIPE_SOCKET=lab.node(n)["pipe_socket"])


class Receiver:
    """`dmpd-perf recv` on node n, started in the background; result() waits for its JSON."""

    def __init__(self, lab, n, pipe, *args, timeout_s=5):
        self.lab, self.n, self.pipe = lab, n, pipe
        cmd = [perf(), "recv", "--pipe", pipe, "--json", "--timeout", timeout_s] + list(args)
        self.p = lab.spawn(n, cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=env_for(lab, n), text=True)
        # dmpd-perf says on stderr when its pipe is open.
        deadline = time.monotonic() + 20
        seen = ""
        while "receiving on" not in seen:
            if self.p.poll() is not None or time.monotonic() > deadline:
                raise TestFailure(f"dmpd-perf recv on node {n} pipe {pipe} did not start: "
                                  f"rc {self.p.poll()}, stderr {seen!r}")
            r, _, _ = select.select([self.p.stderr], [], [], 0.2)
            if r:
                seen += self.p.stderr.readline()

    def result(self, timeout=120):
        try:
            out, err = self.p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop_process(self.p)
            raise TestFailure(f"dmpd-perf recv on node {self.n} did not finish in {timeout} s")
        if self.p.returncode not in (0, 1):
            raise TestFailure(f"dmpd-perf recv exited {self.p.returncode}: {err.strip()}")
        try:
            return json.loads(out.strip().splitlines()[-1])
        except (json.JSONDecodeError, IndexError):
            raise TestFailure(f"dmpd-perf recv printed no JSON: {out!r} {err!r}")


def send(lab, n, node, pipe, *args, timeout=180, check_rc=True):
    """`dmpd-perf send` from node n to (node, pipe); its JSON (or the CompletedProcess when
    it failed and check_rc is False)."""
    p = run(nsenter(lab.netns(n), [perf(), "send", "--node", node, "--pipe", pipe, "--json"] +
                    list(args)), timeout=timeout, check_rc=False, env=env_for(lab, n))
    if p.returncode != 0:
        if check_rc:
            raise TestFailure(f"dmpd-perf send exited {p.returncode}: {p.stderr.strip()}")
        return p
    return json.loads(p.stdout.strip().splitlines()[-1])


def pipes(lab, n):
    """dmpdctl pipes --json of node n."""
    return json.loads(lab.ctl(n, "pipes", "--json").stdout)


def summary(r):
    keys = ("sent", "received", "lost", "duplicates", "out_of_order", "corrupt", "msgs_per_s",
            "bytes_per_s", "missing")
    return {k: r.get(k) for k in keys if k in r}


class Traffic:
    """Several pipes from node src to node dst at once, one dmpd-perf receiver and one
    sender each (pipes first_pipe, first_pipe + 1, ...): many balancer keys. `rate`
    messages/s of `size` bytes per pipe for `seconds`."""

    def __init__(self, lab, src, dst, pipes, first_pipe=100, rate=1000, size=1000, seconds=10,
                 copies=1):
        self.count = int(rate * seconds)
        # 60 s of silence, not dmpd-perf's 5: the receivers start one after the other and
        # count silence from their pipe's opening, and on a loaded machine (CI: the ASan
        # build on 2 cores) the senders' first messages came later than 5 s, so a receiver
        # gave up on a pipe that was about to deliver and reported it lost whole. With 15 s
        # a CI run still lost whole pipes (and node 2 counted frames for pipes already
        # closed). A receiver waits at most 2 s after its sender's end marker, so a long
        # timeout costs nothing when the senders run.
        self.receivers = [Receiver(lab, dst, first_pipe + i, "--count", self.count,
                                   "--buffer", 4 << 20, timeout_s=60) for i in range(pipes)]
        self.senders = [lab.spawn(src, [perf(), "send", "--node", dst, "--pipe", first_pipe + i,
                                        "--count", self.count, "--rate", rate, "--size", size,
                                        "--copies", copies, "--json"],
                                  env=env_for(lab, src), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
                        for i in range(pipes)]

    def running(self):
        return any(s.poll() is None for s in self.senders)

    def finish(self, timeout=180):
        """The receivers' results, once every sender is done. What each sender said (exit
        code, last stdout line, stderr) stays in `sender_reports`, for diagnostics."""
        self.sender_reports = []
        for s in self.senders:
            try:
                out, err = s.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                stop_process(s)
                raise TestFailure(f"dmpd-perf send did not finish in {timeout} s")
            last = out.strip().splitlines()[-1] if out.strip() else ""
            self.sender_reports.append((s.returncode, last, err.strip()[-300:]))
        return [r.result() for r in self.receivers]
