#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""failover.py: how fast the cluster notices a dead master and elects a new one.

For each interval I (ms) of --intervals (default 10,100), on a lab of --nodes x --ports
(default 4 x 2) brought up with `--set cluster_interval_ms=I`, --runs times (default 10):

  1. wait until the cluster has converged (one master, every node follows it, all alive);
  2. `dmpd-lab stop --kill` the master M;
  3. measure, from the moment M died,
       detection: until every survivor no longer follows M (its `cluster` shows a role
                  other than follower, or a master other than M);
       takeover:  until every survivor follows the new master N (N itself: role master),
                  i.e. N's announce / first time-sync as the survivors see it;
  4. `dmpd-lab start M` again and wait for convergence before the next run.

Where the figures come from
  - The moment of the kill: `dmpd-lab stop --kill` runs under `strace -e trace=kill
    -ttt`, which stamps its kill(pid, SIGKILL) system call (CLOCK_REALTIME, us). The
    command's start is not the kill: it spends 100-200 ms starting Python first. A pidfd
    on M's daemon shows when the process had finished exiting ("exit" column: tens of ms,
    it tears down its AF_XDP sockets and memory; it sends nothing after the signal).
    Without strace the pidfd time is used, and the figures are that much too short.
  - Survivors' state: a thread polls `cluster` on every survivor's control socket (the
    request dmpdctl sends, without a process per request), a round every --poll-ms
    (default a tenth of the interval, at least 1 ms; a tight loop would take a core and
    stall the daemons on a 2-core machine); the achieved period per node is printed and
    bounds the error of each figure.
  - A run in which a survivor left M before the kill (seen by the poll or in the logs) (an election caused by something
    else: at 10 ms, daemons starved of CPU for 3 intervals while the kill command starts)
    is void: shown, not counted, and another run is made (at most 2 x --runs attempts).
  - The daemons' logs ("cluster: role follower -> candidate", "no master", "master is
    node N", "role ... -> master") are parsed too and shown as a second column. They are
    written by ClusterNode::ReportChanges, which runs only at the start of each Tick, once
    per interval: a log line comes up to one interval after the change, and the role
    change made by a Tick's own election proposal is logged only at the next Tick (a full
    interval late). The poll is therefore the primary figure; the log figure is an upper
    bound with interval resolution.

Not a ctest test: run it by hand, as root. Uses an unsanitised build (DMPD_BUILD_DIR,
default build-rel) with dmpdd, dmpdctl and lab_loss_bpf built.
  tests/bench/failover.py                       # 10 and 100 ms, 10 runs each
  tests/bench/failover.py --intervals 100 --runs 3
The lab is named fo<pid base 36> and removed on every exit path.
"""

import argparse
import json
import os
import re
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
LAB_TOOL = REPO / "tools" / "dmpd-lab"
STATE_ROOT = Path("/run/dmpd")
STRACE = shutil.which("strace")
LOG_TS = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})Z \S+\s+cluster: (.*)$")


class Interrupted(BaseException):
    """SIGINT/SIGTERM, raised so that the finally clause removes the lab."""


def on_signal(signum, _frame):
    raise Interrupted(f"signal {signum}")


def base36(n):
    s = ""
    while True:
        n, r = divmod(n, 36)
        s = "0123456789abcdefghijklmnopqrstuvwxyz"[r] + s
        if n == 0:
            return s


def lab(name, *args, check=True, timeout=180, prefix=()):
    cmd = list(prefix) + [sys.executable, str(LAB_TOOL)] + list(args) + ["--name", name]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r


def ask(sock_path, command="cluster", timeout=1.0):
    """One request on the control socket (dmpdctl's protocol: a line, then the JSON reply
    until EOF). None if the daemon does not answer (dead, restarting)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(str(sock_path))
        s.sendall(command.encode() + b"\n")
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
        return json.loads(b"".join(chunks))
    except (OSError, ValueError):
        return None
    finally:
        s.close()


def converged(views, expect_nodes):
    """The node number of the master everyone follows, if the views agree: one master,
    every node following it in one term, every member alive."""
    if any(v is None for v in views.values()):
        return None
    masters = {v.get("master") for v in views.values()}
    terms = {v.get("term") for v in views.values()}
    if len(masters) != 1 or len(terms) != 1 or None in masters:
        return None
    m = masters.pop()
    for n, v in views.items():
        want = "master" if n == m else "follower"
        if v.get("role") != want:
            return None
        members = v.get("members", [])
        if sorted(x["node"] for x in members) != sorted(expect_nodes):
            return None
        if any(x.get("state") != "alive" for x in members):
            return None
    return m


def wait_converged(socks, nodes, timeout):
    deadline = time.monotonic() + timeout
    last = {}
    while time.monotonic() < deadline:
        last = {n: ask(socks[n]) for n in nodes}
        m = converged(last, nodes)
        if m is not None:
            return m, last
        time.sleep(0.05)
    summary = {n: (v or {}).get("role") and (v["role"], v.get("master"), v.get("term"),
                                              [(x["node"], x["state"]) for x in v["members"]])
               for n, v in last.items()}
    raise RuntimeError(f"no convergence within {timeout} s: {summary}")


class Poller(threading.Thread):
    """Polls `cluster` on each survivor in turn until stopped; keeps (t, node, role,
    master, term) of every answer, t in CLOCK_REALTIME seconds (the logs' clock)."""

    def __init__(self, socks, period_s):
        super().__init__(daemon=True)
        self.socks = socks
        self.period_s = period_s
        self.samples = []
        self.stop_flag = threading.Event()

    def run(self):
        next_t = time.monotonic()
        while not self.stop_flag.is_set():
            for n, path in self.socks.items():
                v = ask(path, timeout=0.5)
                t = time.time()
                if v is not None:
                    self.samples.append((t, n, v.get("role"), v.get("master"), v.get("term")))
            # A round every period: a tight loop would keep a core busy and, on 2 shared
            # cores, stall the daemons it measures.
            next_t += self.period_s
            delay = next_t - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                next_t = time.monotonic()


def death_time(pid, timeout=30):
    """CLOCK_REALTIME when `pid` exits, via a pidfd (no race with pid reuse: opened
    before the kill)."""
    fd = os.pidfd_open(pid)
    result = {}

    def wait():
        r, _, _ = select.select([fd], [], [], timeout)
        result["t"] = time.time() if r else None
        os.close(fd)

    th = threading.Thread(target=wait, daemon=True)
    th.start()
    return th, result


def log_offset(path):
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def log_events(path, offset):
    """(t, message) of the cluster lines written after `offset`."""
    out = []
    with open(path, "rb") as f:
        f.seek(offset)
        for raw in f.read().decode(errors="replace").splitlines():
            m = LOG_TS.match(raw)
            if m:
                t = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f").replace(
                    tzinfo=timezone.utc).timestamp()
                out.append((t, m.group(2)))
    return out


def one_run(name, state_dir, socks, nodes, interval_ms, run_no, poll_s):
    master, _ = wait_converged(socks, nodes, timeout=60)
    survivors = [n for n in nodes if n != master]
    pid = int((state_dir / f"node{master}.pid").read_text().split()[0])
    offsets = {n: log_offset(state_dir / f"node{n}.log") for n in survivors}
    poller = Poller({n: socks[n] for n in survivors}, poll_s)
    poller.start()
    time.sleep(max(0.2, 5 * interval_ms / 1000))  # a baseline of samples before the kill
    waiter, death = death_time(pid)
    t_cmd = time.time()
    trace = Path(f"/tmp/dmpd-failover{os.getpid()}.strace")
    try:
        if STRACE:
            lab(name, "stop", "--kill", str(master),
                prefix=[STRACE, "-f", "-qq", "-e", "trace=kill", "-e", "signal=none", "-ttt",
                        "-o", str(trace)])
        else:
            lab(name, "stop", "--kill", str(master))
        waiter.join()
        t_death = death["t"]
        if t_death is None:
            raise RuntimeError(f"node {master} (pid {pid}) did not die")
        t_kill = t_death
        if STRACE:
            m = re.search(rf"^\d+\s+(\d+\.\d+) kill\({pid}, SIGKILL\)", trace.read_text(), re.M)
            if not m:
                raise RuntimeError(f"no kill({pid}, SIGKILL) in the trace:\n{trace.read_text()}")
            t_kill = float(m.group(1))
    finally:
        trace.unlink(missing_ok=True)
    # Enough time for an election even when one is retried (pre-vote isolation).
    deadline = time.monotonic() + max(3.0, 40 * interval_ms / 1000)
    new_master = None
    while time.monotonic() < deadline:
        views = {n: ask(socks[n]) for n in survivors}
        ms = {v.get("master") for v in views.values() if v}
        roles = [(n, v.get("role")) for n, v in views.items() if v]
        if len(ms) == 1 and master not in ms and None not in ms:
            m = ms.pop()
            if all(r == ("master" if n == m else "follower") for n, r in roles):
                new_master = m
                break
        time.sleep(0.02)
    time.sleep(2 * interval_ms / 1000)
    poller.stop_flag.set()
    poller.join()
    if new_master is None:
        raise RuntimeError(f"run {run_no}: no new master within the deadline")

    # --- from the poll ---------------------------------------------------------------
    det, tak, periods = {}, {}, {}
    for n in survivors:
        s = [x for x in poller.samples if x[1] == n]
        ts = [x[0] for x in s]
        periods[n] = statistics.median([b - a for a, b in zip(ts, ts[1:])]) if len(ts) > 1 else None
        for t, _, role, m, _term in s:
            if t < t_kill:
                continue
            if n not in det and (role != "follower" or m != master):
                det[n] = t
            want_role = "master" if n == new_master else "follower"
            if n not in tak and m == new_master and role == want_role:
                tak[n] = t
    # Every survivor must follow M until the kill. If one did not (M deposed while the
    # kill command was starting: an election caused by something else, e.g. the daemons
    # starved of CPU), the run measures nothing and is not counted.
    pre = [x for x in poller.samples if x[0] < t_kill]
    bad_pre = [x for x in pre if x[3] != master or x[2] != "follower"]

    # --- from the logs ---------------------------------------------------------------
    ldet, ltak, lines = {}, {}, {}
    for n in survivors:
        ev = log_events(state_dir / f"node{n}.log", offsets[n])
        lines[n] = ev
        for t, msg in ev:
            if n not in ldet and (msg.startswith("role follower ->") or msg == "no master" or
                                  (msg.startswith("master is node") and
                                   not msg.startswith(f"master is node {master} "))):
                ldet[n] = t
            took = (re.match(r"role \w+ -> master", msg) if n == new_master
                    else msg.startswith(f"master is node {new_master} "))
            if n not in ltak and took:
                ltak[n] = t

    # The logs see what a poll round can miss (a blip shorter than a round, or the poller
    # starved along with the daemons): a survivor's change away from M before the kill
    # voids the run as well.
    for n, ev in lines.items():
        for t, msg in ev:
            if t >= t_kill:
                continue
            role = re.match(r"role \w+ -> (\w+)", msg)
            if ((role and role.group(1) != "follower") or msg == "no master" or
                    (msg.startswith("master is node") and
                     not msg.startswith(f"master is node {master} "))):
                bad_pre.append((t, n, msg, None, None))

    def span(d):
        return (max(d.values()) - t_kill) if len(d) == len(survivors) else None

    r = {
        "run": run_no, "killed": master, "new_master": new_master,
        "t_kill": t_kill, "cmd_to_kill_ms": (t_kill - t_cmd) * 1000,
        "exit_ms": (t_death - t_kill) * 1000,
        "detect_s": span(det), "takeover_s": span(tak),
        "log_detect_s": span(ldet), "log_takeover_s": span(ltak),
        "detect_first_s": (min(det.values()) - t_kill) if det else None,
        "poll_period_ms": {n: (p * 1000 if p else None) for n, p in periods.items()},
        "baseline_violations": len(bad_pre),
        "first_off_master_before_kill_ms": ((min(x[0] for x in bad_pre) - t_kill) * 1000
                                            if bad_pre else None),
        # An election that closed without a master (every candidate back to joining):
        # the cluster waited master_failed_after more intervals and voted again.
        "elections": max(sum(1 for t, msg in ev
                             if t >= t_kill and re.match(r"role \w+ -> candidate", msg))
                         for ev in lines.values()),
        "log_lines": {n: [(round((t - t_kill) * 1000, 1), msg) for t, msg in ev]
                      for n, ev in lines.items()},
    }
    # Put the node back and wait for it to be a member again.
    lab(name, "start", str(master))
    wait_converged(socks, nodes, timeout=60)
    return r


def summarise(interval_ms, all_runs, out):
    I = interval_ms / 1000
    runs = [r for r in all_runs if not r["baseline_violations"]]
    void = [r for r in all_runs if r["baseline_violations"]]

    def row(label, key):
        vals = [r[key] for r in runs if r[key] is not None]
        if not vals:
            return f"  {label:<22} n/a"
        lo, med, hi = min(vals), statistics.median(vals), max(vals)
        return (f"  {label:<22} {lo / I:5.2f} {med / I:5.2f} {hi / I:5.2f}   "
                f"{lo * 1000:8.1f} {med * 1000:8.1f} {hi * 1000:8.1f}   ({len(vals)} runs)")

    periods = [p for r in runs for p in r["poll_period_ms"].values() if p]
    print(f"\ninterval {interval_ms} ms: {len(runs)} valid runs ({len(void)} void: the master "
          f"was deposed before the kill); poll period per survivor "
          f"median {statistics.median(periods):.2f} ms, max {max(periods):.2f} ms", file=out)
    print(f"  {'':<22} {'intervals (min med max)':<19}   {'ms (min med max)':>26}", file=out)
    print(row("detection (poll)", "detect_s"), file=out)
    print(row("  first survivor", "detect_first_s"), file=out)
    print(row("takeover (poll)", "takeover_s"), file=out)
    print(row("detection (log)", "log_detect_s"), file=out)
    print(row("takeover (log)", "log_takeover_s"), file=out)
    dets = [r["detect_s"] / I for r in runs if r["detect_s"] is not None]
    taks = [r["takeover_s"] / I for r in runs if r["takeover_s"] is not None]
    if dets and taks:
        print(f"  goals: detection <= 3 intervals: median {statistics.median(dets):.2f}, max "
              f"{max(dets):.2f} ({'met' if max(dets) <= 3 else 'NOT met in ' + str(sum(d > 3 for d in dets)) + ' runs'}); "
              f"takeover <= 5: median {statistics.median(taks):.2f}, max {max(taks):.2f} "
              f"({'met' if max(taks) <= 5 else 'NOT met in ' + str(sum(t > 5 for t in taks)) + ' runs'})",
              file=out)
    print("  run killed->new  detect  takeover  (intervals, poll | log)  cmd->kill  exit  "
          "elections", file=out)
    for r in all_runs:
        f = lambda x: f"{x / I:5.2f}" if x is not None else "  n/a"
        print(f"  {r['run']:>3} {r['killed']:>5} -> {r['new_master']:<3} {f(r['detect_s'])} "
              f"{f(r['takeover_s'])}  | {f(r['log_detect_s'])} {f(r['log_takeover_s'])}   "
              f"{r['cmd_to_kill_ms']:6.0f} ms {r['exit_ms']:5.1f} ms  {r['elections']}"
              + (f"  VOID: survivors off M from {r['first_off_master_before_kill_ms']:.0f} ms "
                 f"before the kill" if r['baseline_violations'] else ""), file=out)
    retried = sum(r["elections"] > 1 for r in runs)
    print(f"  runs that needed more than one election: {retried} of {len(runs)}", file=out)
    for label, sel in (("one election", [r for r in runs if r["elections"] <= 1]),
                       ("more than one", [r for r in runs if r["elections"] > 1])):
        t = [r["takeover_s"] / I for r in sel if r["takeover_s"] is not None]
        if t:
            print(f"  takeover with {label}: {min(t):.2f} / {statistics.median(t):.2f} / "
                  f"{max(t):.2f} intervals (min / median / max, {len(t)} runs)", file=out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--intervals", default="10,100")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--nodes", type=int, default=4)
    ap.add_argument("--ports", type=int, default=2)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="more daemon settings for the whole lab")
    ap.add_argument("--poll-ms", type=float, default=0,
                    help="period of a polling round over the survivors (default: interval/10, "
                         "at least 1 ms)")
    ap.add_argument("--json", metavar="FILE", help="write every run's figures and log lines")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("failover: needs root")
    os.environ.setdefault("DMPD_BUILD_DIR", str(REPO / "build-rel"))
    bdir = Path(os.environ["DMPD_BUILD_DIR"])
    if not (bdir / "userspace/daemon/dmpdd").exists():
        sys.exit(f"failover: no dmpdd in {bdir}; build it: cmake -S . -B build-rel "
                 "-DCMAKE_BUILD_TYPE=Release -DDMPD_SANITIZE=OFF && cmake --build build-rel "
                 "--target dmpdd dmpdctl lab_loss_bpf")
    if "DMPD_SANITIZE:BOOL=ON" in (bdir / "CMakeCache.txt").read_text():
        print("failover: WARNING: an ASan build; figures include its cost", file=sys.stderr)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    name = "fo" + base36(os.getpid())[-8:]
    nodes = list(range(1, args.nodes + 1))
    all_runs = {}
    load = os.getloadavg()
    print(f"failover: lab {name}, {args.nodes} x {args.ports}, {os.cpu_count()} CPUs, "
          f"load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, build {bdir}")
    try:
        for interval in [int(x) for x in args.intervals.split(",")]:
            sets = [f"cluster_interval_ms={interval}"] + args.set
            up = ["up", "--nodes", str(args.nodes), "--ports", str(args.ports)]
            for s in sets:
                up += ["--set", s]
            lab(name, *up)
            state_dir = STATE_ROOT / name
            socks = {n: state_dir / f"node{n}.sock" for n in nodes}
            runs = []
            try:
                poll_s = (args.poll_ms if args.poll_ms else max(1.0, interval / 10)) / 1000
                i = 0
                while sum(not r["baseline_violations"] for r in runs) < args.runs:
                    i += 1
                    if i > 2 * args.runs:
                        print(f"  I={interval} ms: giving up after {i - 1} attempts", flush=True)
                        break
                    r = one_run(name, state_dir, socks, nodes, interval, i, poll_s)
                    runs.append(r)
                    if r["baseline_violations"]:
                        print(f"  I={interval} ms run {i}: VOID, node {r['killed']} was deposed "
                              f"{-r['first_off_master_before_kill_ms']:.0f} ms before the kill",
                              flush=True)
                        continue
                    I = interval / 1000
                    f = lambda x: f"{x / I:.2f}" if x is not None else "n/a"
                    print(f"  I={interval} ms run {i}: killed {r['killed']} -> {r['new_master']}: "
                          f"detection {f(r['detect_s'])}, takeover {f(r['takeover_s'])} intervals "
                          f"(log {f(r['log_detect_s'])}, {f(r['log_takeover_s'])})", flush=True)
            finally:
                lab(name, "down", check=False)
            all_runs[interval] = runs
            summarise(interval, runs, sys.stdout)
    finally:
        lab(name, "down", check=False)
        if args.json:
            Path(args.json).write_text(json.dumps(all_runs, indent=1))
    load = os.getloadavg()
    print(f"\nload at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; reference: keepalived "
          f"≈ 3.6 s, memberlist 4–24 s")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Interrupted as e:
        print(f"failover: interrupted ({e}); lab removed", file=sys.stderr)
        sys.exit(130)
