# SPDX-License-Identifier: BSD-3-Clause
"""Shared helpers for the end-to-end tests: a Lab made with tools/dmpd-lab, torn down on
every exit path, and deadline-based waits. Standard library only.

Each test is a script:

    from labkit import Lab, run_test, wait_until, check

    def body(lab):
        ...

    run_test(body, nodes=2, ports=2)

run_test makes a lab with a name unique to the run, turns SIGTERM/SIGINT and its own
deadline into exceptions so `finally` always tears the lab down, and exits 0 / 1 / 77
(skip, when not root).
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LAB_TOOL = REPO / "tools" / "dmpd-lab"
INJECT_TOOL = REPO / "tools" / "dmpd-inject"
SKIP = 77  # ctest SKIP_RETURN_CODE

# A neighbour's hello count for (node A, port p) lags A's hellos_sent on p by the hellos in
# flight (contract: at most ~1-2); one more for the status snapshots not being atomic.
INFLIGHT_HELLOS = 3


class TestFailure(AssertionError):
    pass


class Deadline(BaseException):
    """Raised by the test's own alarm, before ctest's TIMEOUT kills it without cleanup."""


def build_dir():
    d = os.environ.get("DMPD_BUILD_DIR")
    return Path(d).resolve() if d else REPO / "build"


def say(msg):
    print(f"[{time.strftime('%T')}] {msg}", flush=True)


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def run(cmd, check_rc=True, timeout=60, **kw):
    cmd = [str(c) for c in cmd]
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=timeout, **kw)
    if check_rc and p.returncode != 0:
        raise TestFailure(f"`{' '.join(cmd)}` exited {p.returncode}\n"
                          f"stdout: {p.stdout.strip()}\nstderr: {p.stderr.strip()}")
    return p


def wait_until(cond, timeout, what, interval=0.1):
    """Polls cond() until it returns a truthy value (returned) or the deadline passes
    (TestFailure naming `what` and the last value seen)."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = cond()
        except TestFailure as e:
            last = e
            value = None
        else:
            value = last
        if value:
            return value
        if time.monotonic() > deadline:
            raise TestFailure(f"timed out after {timeout} s waiting for {what}; last: {last}")
        time.sleep(interval)


def nsenter(ns, cmd):
    """A command line that runs `cmd` in network namespace `ns`, keeping the root mount
    namespace (bpffs visible, unlike `ip netns exec`)."""
    return ["nsenter", f"--net=/run/netns/{ns}", "--"] + [str(c) for c in cmd]


class Lab:
    """A lab made by tools/dmpd-lab. Use as a context manager or call down()."""

    def __init__(self, nodes=2, ports=2, name=None, hello_interval_ms=100, cluster_id=1,
                 settings=None, mtu=None):
        # Unique to the run: the pid, in base 36 to keep interface names short.
        self.name = name or "e" + base36(os.getpid())
        self.nodes = nodes
        self.ports = ports
        self.hello_interval_ms = hello_interval_ms
        self.cluster_id = cluster_id
        # dmpdd settings for every daemon (`dmpd-lab up --set KEY=VALUE`).
        self.settings = dict(settings or {})
        self.mtu = mtu  # `dmpd-lab up --mtu`; None: the lab's default
        self.env = dict(os.environ, DMPD_BUILD_DIR=str(build_dir()))
        self.state = None
        self._children = []

    # -- lifecycle

    def up(self, timeout=120):
        say(f"lab {self.name}: up, {self.nodes} nodes x {self.ports} ports")
        p = self.lab("up", "--nodes", self.nodes, "--ports", self.ports,
                     "--cluster-id", self.cluster_id,
                     "--hello-interval-ms", self.hello_interval_ms,
                     *(["--mtu", self.mtu] if self.mtu else []),
                     *set_args(self.settings), timeout=timeout, check_rc=False)
        if p.returncode != 0:
            raise TestFailure(f"dmpd-lab up failed ({p.returncode}):\n{p.stderr}")
        self.up_output = p.stdout  # what `up` showed (the status and the cluster)
        self.refresh()
        return self

    def down(self):
        for child in self._children:
            stop_process(child)
        self._children.clear()
        p = self.lab("down", check_rc=False, timeout=120)
        say(f"lab {self.name}: down ({p.returncode}) {p.stdout.strip()} {p.stderr.strip()}")
        return p.returncode == 0

    def __enter__(self):
        return self.up()

    def __exit__(self, *exc):
        self.down()
        return False

    def check_nothing_left(self):
        left = []
        if Path(f"/run/dmpd/{self.name}").exists():
            left.append(f"/run/dmpd/{self.name}")
        if Path(f"/sys/fs/bpf/dmpd/{self.name}").exists():
            left.append(f"/sys/fs/bpf/dmpd/{self.name}")
        ns = [n for n in os.listdir("/run/netns") if n.startswith(f"dmpd-{self.name}-")] \
            if Path("/run/netns").exists() else []
        left += ns
        links = json.loads(run(["ip", "-j", "link", "show"]).stdout)
        left += [l["ifname"] for l in links if l["ifname"].startswith(f"{self.name}-")]
        # `dmpd-lab partition` makes an nftables table named after the lab.
        if shutil.which("nft"):
            table = f"dmpd_lab_{self.name}"
            if table in run(["nft", "list", "tables"]).stdout.split():
                left.append(f"nft table bridge {table}")
        if left:
            say(f"WARNING: lab {self.name} left behind: {left}")
        return left

    # -- tools

    def lab(self, *args, timeout=60, check_rc=True):
        cmd = [sys.executable, LAB_TOOL] + [args[0], "--name", self.name] + list(args[1:])
        return run(cmd, check_rc=check_rc, timeout=timeout, env=self.env)

    def start(self, n, settings=None, timeout=120):
        """Starts node n's daemon again; `settings` override the lab-wide ones for this
        start (`dmpd-lab start NODE --set KEY=VALUE`)."""
        self.lab("start", n, *set_args(settings or {}), timeout=timeout)
        return self.refresh()

    def stop(self, n, kill=False, timeout=60):
        self.lab("stop", *(["--kill"] if kill else []), n, timeout=timeout)
        return self.refresh()

    def refresh(self):
        self.state = json.loads(self.lab("status", "--json").stdout)
        return self.state

    def node(self, n):
        return next(x for x in self.state["nodes"] if x["node"] == n)

    def netns(self, n):
        return self.node(n)["netns"]

    def socket(self, n):
        return self.node(n)["control_socket"]

    def pin_dir(self, n):
        return self.node(n)["pin_dir"]

    def port(self, n, ifname):
        return next(p for p in self.node(n)["ports"] if p["interface"] == ifname)

    def ifnames(self, n):
        return [p["interface"] for p in self.node(n)["ports"]]

    def ip(self, n, ifname):
        return self.port(n, ifname)["address"].split("/")[0]

    def mac(self, n, ifname):
        return self.port(n, ifname)["mac"]

    def dmpdctl(self):
        return build_dir() / "tools" / "dmpdctl" / "dmpdctl"

    def status(self, n, timeout=10):
        """dmpdctl status --json of node n (TestFailure if it does not answer)."""
        p = run([self.dmpdctl(), "--socket", self.socket(n), "--timeout", timeout, "status",
                 "--json"], check_rc=False, timeout=timeout + 5)
        if p.returncode != 0:
            raise TestFailure(f"node {n}: dmpdctl status --json exited {p.returncode}: "
                              f"{p.stderr.strip()}")
        try:
            return json.loads(p.stdout)
        except json.JSONDecodeError as e:
            raise TestFailure(f"node {n}: status is not JSON ({e}): {p.stdout[:500]}")

    def ctl(self, n, *args, timeout=10, check_rc=True):
        """Runs dmpdctl against node n's daemon (a CompletedProcess)."""
        return run([self.dmpdctl(), "--socket", self.socket(n), "--timeout", timeout] +
                   [str(a) for a in args], check_rc=check_rc, timeout=timeout + 5)

    def cluster(self, n, timeout=10):
        """dmpdctl cluster --json of node n (TestFailure if it does not answer)."""
        p = self.ctl(n, "cluster", "--json", timeout=timeout, check_rc=False)
        if p.returncode != 0:
            raise TestFailure(f"node {n}: dmpdctl cluster --json exited {p.returncode}: "
                              f"{p.stderr.strip()}")
        try:
            return json.loads(p.stdout)
        except json.JSONDecodeError as e:
            raise TestFailure(f"node {n}: cluster is not JSON ({e}): {p.stdout[:500]}")

    def ns_run(self, n, cmd, **kw):
        return run(nsenter(self.netns(n), cmd), **kw)

    def inject(self, n, ifname, *args, timeout=120):
        """Runs tools/dmpd-inject in node n's namespace; returns its JSON summary."""
        p = self.ns_run(n, [sys.executable, INJECT_TOOL, "-i", ifname, "--json"] +
                        [str(a) for a in args], timeout=timeout)
        return json.loads(p.stdout.strip().splitlines()[-1])

    def spawn(self, n, cmd, **kw):
        """Starts a background process in node n's namespace; stopped (by its pid) in
        down() if the test has not stopped it."""
        p = subprocess.Popen(nsenter(self.netns(n), cmd), stdin=subprocess.DEVNULL,
                             start_new_session=True, **kw)
        self._children.append(p)
        return p

    def daemon_log(self, n, lines=40):
        try:
            text = Path(self.node(n)["log"]).read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def peer_tx_dropped(self, n, ifname):
        """Frames the switch could not hand to node n's port: the bridge-side veth end's
        tx_dropped (the port's XDP receive ring was full). Exact accounting for checks
        that count frames sent against frames the program saw."""
        peer = self.port(n, ifname)["bridge_peer"]
        link = json.loads(run(["ip", "-j", "-s", "link", "show", "dev", peer]).stdout)[0]
        return link["stats64"]["tx"]["dropped"]

    def xdp_prog_id(self, n, ifname):
        """The id of the XDP program attached to ifname in node n (from `ip -j link`), or
        None if none is attached."""
        links = json.loads(run(["ip", "-j", "-n", self.netns(n), "link", "show", "dev",
                                ifname]).stdout)
        xdp = links[0].get("xdp")
        if not xdp:
            return None
        prog = xdp.get("prog") or {}
        if "id" in prog:
            return prog["id"]
        for att in xdp.get("attached", []):
            if "prog" in att:
                return att["prog"]["id"]
        return None


def set_args(settings):
    out = []
    for k, v in settings.items():
        out += ["--set", f"{k}={v}"]
    return out


def vm_rss_kb(pid):
    """VmRSS of a process in KiB (from /proc/PID/status), or None if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def percentile(values, q):
    """The q-quantile (0..1) of values by nearest rank; None for no values."""
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, max(0, round(q * (len(v) - 1))))]


class Checks:
    """Checks that do not stop the test at the first failure, so a run against a daemon
    that lacks a feature still measures everything (the figures are printed) and then
    fails with every unmet expectation listed."""

    def __init__(self):
        self.failed = []

    def check(self, cond, msg):
        if not cond:
            say(f"CHECK FAILED: {msg}")
            self.failed.append(msg)
        return bool(cond)

    def done(self):
        if self.failed:
            raise TestFailure(f"{len(self.failed)} check(s) failed:\n  - " +
                              "\n  - ".join(self.failed))


def stop_process(p, timeout=10):
    """Stops a process this test started, by its pid (SIGTERM, then SIGKILL)."""
    if p.poll() is not None:
        return p.returncode
    try:
        os.killpg(p.pid, signal.SIGTERM)  # its own session: only what it started
    except ProcessLookupError:
        pass
    try:
        return p.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        return p.wait(timeout)


def base36(n):
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def port_of(status, ifname):
    for p in status["ports"]:
        if p["interface"] == ifname:
            return p
    raise TestFailure(f"node {status.get('node')}: no port {ifname} in status: "
                      f"{[p.get('interface') for p in status.get('ports', [])]}")


def neighbour(port_status, node, port):
    for nb in port_status.get("neighbours", []):
        if nb["node"] == node and nb["port"] == port:
            return nb
    return None


def run_test(body, nodes=2, ports=2, deadline_s=None, **lab_kw):
    """Runs body(lab) with a fresh lab; exits the process with the test's verdict."""
    if os.geteuid() != 0:
        print("SKIP: needs root (namespaces, XDP)")
        sys.exit(SKIP)
    # Our own deadline, under ctest's TIMEOUT (which kills without cleanup).
    deadline_s = deadline_s or int(os.environ.get("DMPD_E2E_DEADLINE_S", "240"))

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    def on_alarm(_signum, _frame):
        raise Deadline(f"test deadline of {deadline_s} s passed")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(deadline_s)
    lab = Lab(nodes=nodes, ports=ports, **lab_kw)
    verdict = 1
    try:
        lab.up()
        body(lab)
        verdict = 0
        say("PASS")
    except TestFailure as e:
        say(f"FAIL: {e}")
        for n in range(1, nodes + 1):
            try:
                say(f"--- node {n} daemon log tail:\n{lab.daemon_log(n)}")
            except Exception:  # the lab may not have come up
                pass
    except (KeyboardInterrupt, Deadline) as e:
        say(f"ABORTED: {e}")
    except Exception:  # a bug in the test or an unexpected answer: still a failure
        say(f"FAIL: unexpected error:\n{traceback.format_exc()}")
    finally:
        signal.alarm(0)
        # A second signal during teardown must not stop the teardown.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            if not lab.down():
                say("FAIL: dmpd-lab down failed")
                verdict = 1
            if lab.check_nothing_left():
                say("FAIL: the lab left things behind")
                verdict = 1
        except Exception as e:  # teardown problems fail the test, never hide
            say(f"FAIL: teardown: {e!r}")
            verdict = 1
    sys.exit(verdict)
