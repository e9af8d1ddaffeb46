#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Interfaces that cannot be ports (DP-4, REL-3), with dmpdd started by hand (nsenter --net)
in the namespace of a one-node lab:

a. `--interfaces lo`: refused before the PMD starts, with a message naming lo and saying
   it is loopback; nothing attached to lo, no pin directory left.
b. A `dummy` interface (no native XDP, so the kernel attaches in generic mode; `ifb`, which
   has no native XDP either, where the kernel has no dummy driver, as here): refused,
   the message says there is no native XDP and how to allow generic mode; the program is
   detached again. With `--allow-generic-xdp true` it runs and `dmpdctl status` reports
   xdp_mode generic; SIGTERM leaves the interface clean.

The dummy interface and the daemons are removed on every exit path (finally; the lab's
teardown deletes the namespace as well).
"""

import json
import subprocess
import time
from pathlib import Path

from labkit import (TestFailure, build_dir, check, nsenter, run, run_test, say, stop_process,
                    wait_until)

NODE = 1
DUMMY = "d0"


class DaemonExited(Exception):
    pass


def xdp_prog_id(ns, ifname):
    links = json.loads(run(["ip", "-j", "-n", ns, "link", "show", "dev", ifname]).stdout)
    xdp = links[0].get("xdp") or {}
    if "prog" in xdp:
        return xdp["prog"].get("id")
    for att in xdp.get("attached", []):
        if "prog" in att:
            return att["prog"]["id"]
    return None


def dmpdd_args(lab, ifname, extra=()):
    base = Path(f"/run/dmpd/{lab.name}/manual")
    return [build_dir() / "userspace" / "daemon" / "dmpdd", "--node", 7,
            "--cluster-id", lab.cluster_id, "--interfaces", ifname,
            "--control-socket", base / "dmpdd.sock", "--lock-dir", base / "locks",
            "--bpf-pin-dir", pin_dir(lab), "--metrics-listen", "off",
            "--hello-interval-ms", 100] + list(extra)


def pin_dir(lab):
    return Path(f"/sys/fs/bpf/dmpd/{lab.name}/manual")


def refused(lab, ifname, extra=()):
    """Runs dmpdd on ifname and expects a refusal; returns its stderr."""
    p = run(nsenter(lab.netns(NODE), dmpdd_args(lab, ifname, extra)), check_rc=False,
            timeout=120)
    check(p.returncode not in (0, None), f"dmpdd on {ifname} exited {p.returncode}, "
                                          f"expected a refusal:\n{p.stderr[-2000:]}")
    return p.stderr


def check_clean(lab, ifname, why):
    ns = lab.netns(NODE)
    pid = xdp_prog_id(ns, ifname)
    check(pid is None, f"{ifname}: XDP program {pid} left attached {why}")
    check(not pin_dir(lab).exists(), f"pin dir {pin_dir(lab)} left {why}: "
                                     f"{sorted(str(p) for p in pin_dir(lab).rglob('*'))}")


def add_link_without_native_xdp(ns):
    """Adds DUMMY, a dummy interface, or an ifb one where the kernel has no dummy driver.
    Neither driver implements native XDP. Returns the kind made."""
    for kind in ("dummy", "ifb"):
        if run(["ip", "-n", ns, "link", "add", DUMMY, "type", kind],
               check_rc=False).returncode == 0:
            return kind
    raise TestFailure("this kernel can make neither a dummy nor an ifb interface")


def body(lab):
    ns = lab.netns(NODE)

    say("a. loopback")
    err = refused(lab, "lo")
    line = next((l for l in err.splitlines() if "refusing interface lo" in l), None)
    check(line is not None and "loopback" in line, f"no loopback refusal naming lo:\n{err}")
    say(f"refused: {line.strip()}")
    check_clean(lab, "lo", "after the loopback refusal")

    say("b. an interface without native XDP")
    kind = add_link_without_native_xdp(ns)
    say(f"{DUMMY}: a {kind} interface")
    daemon = None
    try:
        run(["ip", "-n", ns, "link", "set", DUMMY, "up"])
        err = refused(lab, DUMMY)
        line = next((l for l in err.splitlines() if f"refusing interface {DUMMY}" in l), None)
        check(line is not None and "no native XDP" in line and
              "--allow-generic-xdp true" in line,
              f"no generic-mode refusal naming {DUMMY} and the way to allow it:\n{err}")
        say(f"refused: {line.strip()}")
        check_clean(lab, DUMMY, "after the generic-mode refusal")

        sock = Path(f"/run/dmpd/{lab.name}/manual/dmpdd.sock")
        log = open(Path(f"/run/dmpd/{lab.name}") / "manual.log", "w")
        daemon = lab.spawn(NODE, dmpdd_args(lab, DUMMY, ["--allow-generic-xdp", "true"]),
                           stdout=log, stderr=subprocess.STDOUT)
        log.close()

        def status():
            if daemon.poll() is not None:
                raise DaemonExited(f"dmpdd exited {daemon.returncode}")
            p = run([lab.dmpdctl(), "--socket", sock, "status", "--json"], check_rc=False)
            return json.loads(p.stdout) if p.returncode == 0 else None

        try:
            st = wait_until(status, 60, "dmpdd with --allow-generic-xdp to answer")
        except (DaemonExited, TestFailure) as e:
            text = (Path(f"/run/dmpd/{lab.name}") / "manual.log").read_text()
            raise TestFailure(f"{e}\n{text[-3000:]}")
        port = st["ports"][0]
        say(f"running: {DUMMY} xdp_mode {port['xdp_mode']} prog {port['xdp_prog_id']}")
        check(port["interface"] == DUMMY and port["xdp_mode"] == "generic",
              f"status port: {port['interface']} xdp_mode {port['xdp_mode']}, expected "
              f"{DUMMY} generic")
        check(xdp_prog_id(ns, DUMMY) == port["xdp_prog_id"],
              f"{DUMMY}: attached {xdp_prog_id(ns, DUMMY)}, status {port['xdp_prog_id']}")
        rc = stop_process(daemon, timeout=30)
        check(rc == 0, f"dmpdd exited {rc} after SIGTERM")
        check_clean(lab, DUMMY, "after SIGTERM")
    finally:
        if daemon is not None:
            stop_process(daemon, timeout=30)
        run(["ip", "-n", ns, "link", "del", DUMMY], check_rc=False)


if __name__ == "__main__":
    run_test(body, nodes=1, ports=1)
