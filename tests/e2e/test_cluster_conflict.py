#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Two daemons with one node number (CLU-7: detected and reported, never merged). Four
nodes x two ports, 100 ms cycles; a fifth namespace on the lab's switch with one port runs
a second dmpdd with the node number of a follower (its own control socket, pin and lock
directories, all inside the lab's, and its own log), started and stopped by its pid:

1. The conflict is reported: the master's view marks the number `conflict` (or the
   newcomer's `cluster` says number_in_conflict), and the view is intact: the member
   keeps the first daemon's MACs and two ports, the master and the other members stay.
2. The impostor stopped: the number is the first daemon's again (alive, full view).
Measured: seconds from the impostor answering to the conflict being reported.
"""

import json
import shutil
import subprocess
import time
from pathlib import Path

from clusterkit import (INTERVAL_MS, NODES, PORTS, SETTINGS, agreed, full_view, lab_args,
                        member, state_text, summary, views, wait_agreement, wait_views)
from labkit import Checks, TestFailure, build_dir, check, run, run_test, say, stop_process

DUP_MAC = "02:dd:ee:00:00:99"


class Impostor:
    """The second daemon and its namespace; close() removes all of it."""

    def __init__(self, lab, node):
        self.lab, self.node = lab, node
        self.ns = f"dmpd-{lab.name}-dup"  # the lab's prefix: check_nothing_left sees it
        self.peer = f"{lab.name}-dup"
        self.dir = Path(f"/run/dmpd/{lab.name}/dup")
        self.pins = Path(f"/sys/fs/bpf/dmpd/{lab.name}/dup")
        self.socket = self.dir / "dmpdd.sock"
        self.log = self.dir / "dmpdd.log"
        self.proc = None

    def start(self):
        bridge = self.lab.state["bridge"]
        run(["ip", "netns", "add", self.ns])
        run(["ip", "-n", self.ns, "link", "set", "lo", "up"])
        run(["ip", "link", "add", self.peer, "type", "veth", "peer", "name", "p0",
             "netns", self.ns])
        run(["ip", "link", "set", self.peer, "master", bridge])
        run(["ip", "link", "set", self.peer, "up"])
        run(["ip", "-n", self.ns, "link", "set", "p0", "address", DUP_MAC])
        run(["ip", "-n", self.ns, "link", "set", "p0", "up"])
        self.dir.mkdir(mode=0o750, parents=True, exist_ok=True)
        dmpdd = build_dir() / "userspace" / "daemon" / "dmpdd"
        args = [dmpdd, "--node", self.node, "--cluster-id", self.lab.cluster_id,
                "--interfaces", "p0", "--control-socket", self.socket,
                "--bpf-pin-dir", self.pins, "--lock-dir", self.dir / "locks",
                "--metrics-listen", "off", "--hello-interval-ms", self.lab.hello_interval_ms,
                "--port-bandwidth-mbps", "1000"]
        for k, v in SETTINGS.items():
            args += [f"--{k}", v]
        # As dmpd-lab runs a node: its namespace, a private mount namespace with a sysfs
        # of that namespace and the root bpffs moved over it; every step execs, so the pid
        # is the daemon's.
        script = ('t=$(mktemp -d); mount --bind /sys/fs/bpf "$t"; mount -t sysfs sysfs /sys; '
                  'mount --move "$t" /sys/fs/bpf; rmdir "$t"; exec "$@"')
        cmd = ["nsenter", f"--net=/run/netns/{self.ns}", "--", "unshare", "--mount",
               "--propagation", "private", "--", "sh", "-c", script, "sh"] + [str(a) for a in args]
        logf = open(self.log, "ab")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=logf, stderr=logf,
                                     start_new_session=True)
        logf.close()
        say(f"impostor: dmpdd --node {self.node} in {self.ns} (pid {self.proc.pid}), "
            f"MAC {DUP_MAC}, log {self.log}")
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise TestFailure(f"impostor dmpdd exited {self.proc.returncode}:\n"
                                  f"{self.log_tail()}")
            p = run([self.lab.dmpdctl(), "--socket", self.socket, "cluster", "--json"],
                    check_rc=False)
            if p.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise TestFailure(f"impostor not answering after 60 s:\n{self.log_tail()}")
            time.sleep(0.1)  # pacing

    def cluster(self):
        p = run([self.lab.dmpdctl(), "--socket", self.socket, "cluster", "--json"],
                check_rc=False)
        return json.loads(p.stdout) if p.returncode == 0 else None

    def log_tail(self, lines=30):
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    def stop(self):
        if self.proc is not None:
            rc = stop_process(self.proc, timeout=20)
            say(f"impostor stopped (exit {rc})")
            pid = self.proc.pid
            self.proc = None
            # DPDK's runtime dir goes with a clean exit only.
            shutil.rmtree(f"/var/run/dpdk/dmpdd{pid}", ignore_errors=True)

    def close(self):
        self.stop()
        run(["ip", "netns", "del", self.ns], check_rc=False)
        run(["ip", "link", "del", self.peer], check_rc=False)
        shutil.rmtree(self.pins, ignore_errors=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def body(lab):
    master, term, vs, _ = wait_agreement(lab)
    dup = max(n for n in NODES if n != master)
    first_macs = sorted(p["mac"] for p in member(vs[master], dup)["ports"])
    check(first_macs == sorted(lab.mac(dup, f"p{q}") for q in range(PORTS)),
          f"node {dup}'s MACs in the master's view {first_macs} are not the lab's")
    imp = Impostor(lab, dup)
    c = Checks()
    try:
        imp.start()
        t0 = time.monotonic()
        mine = None

        def reported(vs):
            nonlocal mine
            mine = imp.cluster()
            return (member(vs[master], dup) or {}).get("state") == "conflict" or \
                (mine or {}).get("number_in_conflict")
        vs, s = wait_views(lab, reported, 20, f"the conflict on node {dup} to be reported")
        say(f"conflict reported after {s:.2f} s: master's view of node {dup}: "
            f"{member(vs[master], dup)['state']}; impostor: role {mine and mine.get('role')}, "
            f"number_in_conflict {mine and mine.get('number_in_conflict')}, master "
            f"{mine and mine.get('master')}")
        time.sleep(10 * INTERVAL_MS / 1000.0)  # pacing: 10 cycles with both daemons
        vs = views(lab)
        mine = imp.cluster()
        say(f"with both daemons for 10 more cycles: {summary(vs)}; impostor: "
            f"{mine and summary({'dup': mine})}")
        c.check(member(vs[master], dup)["state"] == "conflict",
                f"the master's view of node {dup} is {member(vs[master], dup)['state']}, "
                f"expected conflict")
        c.check(mine is not None and mine.get("number_in_conflict") is True,
                f"the impostor's cluster: number_in_conflict "
                f"{mine and mine.get('number_in_conflict')}")
        c.check(mine is not None and mine.get("role") != "master",
                f"the impostor became master: {mine and summary({'dup': mine})}")
        c.check(agreed(vs) == (master, term) or (agreed(vs) and agreed(vs)[0] == master),
                f"the master changed with the impostor: {summary(vs)}")
        for n, v in vs.items():
            m = member(v, dup)
            macs = sorted(p.get("mac") for p in (m or {}).get("ports", []))
            c.check(macs == first_macs, f"node {n}'s view of node {dup} has MACs {macs}, "
                                        f"expected the first daemon's {first_macs}")
            for other in NODES:
                if other != dup:
                    c.check(member(v, other) and member(v, other)["state"] == "alive",
                            f"node {n} sees node {other} "
                            f"{member(v, other) and member(v, other)['state']}")
        c.check(not any(DUP_MAC in json.dumps(v) for v in vs.values()),
                f"the impostor's MAC {DUP_MAC} got into a view")
        if c.failed:
            say(f"impostor log tail:\n{imp.log_tail()}")
        imp.stop()
        # The impostor's clean exit announces a leave under the shared number: the master
        # must not take it for the first daemon's (its MACs are not the first one's).
        states = set()

        def settled(vs):
            states.update(state_text(member(v, dup)) for v in vs.values())
            return agreed(vs) and all(full_view(v) for v in vs.values())
        vs, s = wait_views(lab, settled, 30, f"node {dup} alive again once the impostor is gone",
                           interval=0.02)
        say(f"impostor gone: full view everywhere after {s:.2f} s, master {agreed(vs)}; "
            f"node {dup} shown meanwhile as {sorted(states)}")
        c.check(not any(x.startswith("left") for x in states),
                f"the impostor's leave was taken for node {dup}'s: shown {sorted(states)}")
        c.check(agreed(vs)[0] == master, f"master after the impostor left: {agreed(vs)}")
    finally:
        imp.close()
    c.done()


if __name__ == "__main__":
    run_test(body, **lab_args())
