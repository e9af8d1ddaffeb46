#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""tools/dmpd-lab's logic without root, namespaces or daemons: argument handling, the
tables `up`, `list` and the errors print, the modes and group of the lab's runtime
directories, what a daemon that fails to start shows. The script runs in-process with its
host-facing functions replaced (FakeHost): the network is never made, the daemons are
never started, /run/dmpd and /sys/fs/bpf are directories under a temporary one.

    python3 tests/lab/test_lab_cli.py [-v]
    DMPD_LAB_TOOL=/tmp/old-lab DMPD_LAB_DOC=/tmp/old-lab.md python3 tests/lab/test_lab_cli.py
"""

import contextlib
import grp
import importlib.machinery
import importlib.util
import io
import json
import os
import re
import stat
import sys
import tempfile
import unittest
from pathlib import Path
from unittest import mock

REPO = Path(__file__).resolve().parents[2]
TOOL = Path(os.environ.get("DMPD_LAB_TOOL") or REPO / "tools" / "dmpd-lab")
DOC = Path(os.environ.get("DMPD_LAB_DOC") or REPO / "docs" / "lab.md")


def load_tool():
    loader = importlib.machinery.SourceFileLoader("dmpd_lab", str(TOOL))
    spec = importlib.util.spec_from_loader("dmpd_lab", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


lab = load_tool()


def member(n, state="alive"):
    return {"node": n, "state": state, "ports": []}


class FakeCluster:
    """The nodes' `dmpdctl cluster` answers over time, by how often each node was asked:
    first no master, then master 3 agreed while each follower lists only itself, then
    every node lists every node."""

    def __init__(self, nodes, no_master_polls=2, partial_polls=3):
        self.nodes = list(nodes)
        self.asked = {n: 0 for n in self.nodes}
        self.no_master_polls = no_master_polls
        self.partial_polls = partial_polls

    def view(self, n):
        k = self.asked[n]
        master = max(self.nodes)
        if k < self.no_master_polls:
            return {"node": n, "master": None, "term": 0, "cycle": 0, "role": "candidate",
                    "members": [member(n)]}
        if k < self.no_master_polls + self.partial_polls and n != master:
            members = [member(n)]
        else:
            members = [member(m) for m in self.nodes]
        return {"node": n, "master": master, "term": 2, "cycle": 10 + k,
                "role": "master" if n == master else "follower", "members": members}

    def ctl_cluster(self, state, n, timeout=5):
        v = self.view(n)
        self.asked[n] += 1
        return v

    def ctl_status(self, state, n, timeout=5):
        v = self.view(n)
        return {"ports": [], "metrics_url": "http://127.0.0.1:9478/metrics",
                "cluster": {"role": v["role"], "master": v["master"], "term": v["term"],
                            "cycle": v["cycle"], "members": len(v["members"])}}


class FakeHost:
    """Runs dmpd-lab's commands against a temporary directory instead of the host:
    /run/dmpd, /sys/fs/bpf/dmpd and /run/netns under it; no network, no daemons
    (daemon_process answers from `self.daemons`, a node -> (pid, alive, rc) table);
    os.execv/os.execvpe recorded instead of run."""

    def __init__(self, euid=0):
        self.tmp = tempfile.TemporaryDirectory(prefix="lab-cli-")
        root = Path(self.tmp.name)
        (root / "run").mkdir()
        (root / "bpf").mkdir()
        (root / "netns").mkdir()
        self.state_root = root / "run" / "dmpd"
        self.netns_dir = root / "netns"
        self.daemons = {}
        self.exec_calls = []
        self.popen_calls = []
        self.daemon_output = b""  # what a started daemon writes to its log
        self.started_rc = None    # a started daemon's exit code (None: it runs)
        self.cluster = FakeCluster([1, 2, 3])
        self.euid = euid  # what the lab sees
        self.real_euid = os.geteuid()
        self.stack = contextlib.ExitStack()

    def __enter__(self):
        s = self.stack
        s.enter_context(self.tmp)
        p = mock.patch.object
        s.enter_context(p(lab, "STATE_ROOT", self.state_root))
        s.enter_context(p(lab, "BPF_MOUNT", Path(self.tmp.name) / "bpf"))
        s.enter_context(p(lab, "PIN_ROOT", Path(self.tmp.name) / "bpf" / "dmpd"))
        if hasattr(lab, "NETNS_DIR"):
            s.enter_context(p(lab, "NETNS_DIR", self.netns_dir))
        for name in ("ensure_bpffs", "create_network", "wait_links_up",
                     "remove_dpdk_runtime_dir"):
            s.enter_context(p(lab, name, lambda *a, **k: None))
        s.enter_context(p(lab, "ensure_built", lambda bdir, force: lab.binaries(bdir)))
        s.enter_context(p(lab, "lab_link_leftovers", lambda name: []))
        s.enter_context(p(lab, "lab_netns_leftovers", self.netns_leftovers))
        s.enter_context(p(lab, "daemon_process", self.daemon_process))
        s.enter_context(p(lab, "ctl_status", self.cluster.ctl_status))
        s.enter_context(p(lab, "ctl_cluster", self.cluster.ctl_cluster))
        s.enter_context(p(lab.subprocess, "Popen", self.popen))
        s.enter_context(p(lab.time, "sleep", lambda _s: None))
        s.enter_context(p(lab.os, "geteuid", lambda: self.euid))
        s.enter_context(p(lab.os, "execv", self.execv))
        s.enter_context(p(lab.os, "execvpe", self.execvpe))
        if self.real_euid != 0 and hasattr(lab, "DEFAULT_PIPE_GROUP"):
            # Without root a directory can only be given to one of our own groups.
            s.enter_context(p(lab, "DEFAULT_PIPE_GROUP", grp.getgrgid(os.getegid()).gr_name))
        env = {k: v for k, v in os.environ.items() if k != "DMPD_LAB_NAME"}
        s.enter_context(mock.patch.dict(os.environ, env, clear=True))
        return self

    def __exit__(self, *exc):
        self.stack.close()
        return False

    # -- what the fakes answer

    def netns_leftovers(self, name):
        pat = re.compile(rf"dmpd-{re.escape(name)}-(n\d+|vsc|vsb\d+)")
        return sorted(n for n in os.listdir(self.netns_dir) if pat.fullmatch(n))

    def daemon_process(self, state, node):
        return self.daemons.get((state["name"], node), (None, False, None))

    def popen(self, cmd, stdout=None, **kw):
        """A daemon's supervisor: writes the daemon's output to the log it was given and
        records the daemon as running (or as exited with started_rc)."""
        self.popen_calls.append(cmd)
        if stdout is not None and self.daemon_output:
            stdout.write(self.daemon_output)
            stdout.flush()
        pidfile = Path(cmd[cmd.index("_supervise") + 1])
        node = int(re.fullmatch(r"node(\d+)\.pid", pidfile.name).group(1))
        lab_name = pidfile.parent.name
        alive = self.started_rc is None
        self.daemons[(lab_name, node)] = (4000 + node, alive, self.started_rc)
        return mock.Mock(pid=4000 + node)

    def execv(self, path, argv):
        self.exec_calls.append(list(argv))
        raise SystemExit(0)  # as the real exec: nothing after it runs

    def execvpe(self, path, argv, env):
        self.exec_calls.append(list(argv))
        raise SystemExit(0)

    # -- labs that exist

    def make_lab(self, name, nodes=3, ports=2, running=(), **extra):
        """A lab's state file as `up` writes it, with daemons running on `running`."""
        args = mock.Mock(name=name, nodes=nodes, ports=ports, cluster_id=1,
                         hello_interval_ms=100, port_bandwidth_mbps=1000, mtu=1500,
                         log_level=None, config=None, set=[], no_daemons=False)
        args.name = name
        state = lab.new_state(args)
        state["phase"] = "up"
        state.update(extra)
        lab.save_state(state)
        for n in running:
            self.daemons[(name, n)] = (5000 + n, True, None)
        return state

    # -- running a command

    def main(self, *argv):
        """(exit code, stdout, stderr) of `dmpd-lab ARGV...`; an exception other than
        SystemExit escapes (a traceback is a failure)."""
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                rc = lab.main([str(a) for a in argv])
            except SystemExit as e:
                rc = e.code
        return rc, out.getvalue(), err.getvalue()


def group_to_hand_over():
    """A group other than ours that this process may give a directory to: any as root,
    else one of our supplementary groups; None if there is none."""
    mine = os.getegid()
    if os.geteuid() == 0:
        for name in ("nogroup", "daemon", "users", lab_default_group()):
            try:
                g = grp.getgrnam(name)
            except (KeyError, TypeError):
                continue
            if g.gr_gid != mine:
                return g
        return None
    for gid in os.getgroups():
        if gid != mine:
            return grp.getgrgid(gid)
    return None


def lab_default_group():
    return getattr(lab, "DEFAULT_PIPE_GROUP", "dmpd")


class UpShowsTheWholeCluster(unittest.TestCase):
    """`up` waits until every node lists every member, and prints no stale
    "no master yet" line above the agreed table."""

    def test_up_waits_for_every_member_and_prints_no_stale_cluster_line(self):
        with FakeHost() as host:
            rc, out, err = host.main("up", "--name", "nw", "--cluster-timeout", "30")
        self.assertEqual(rc, 0, err)
        self.assertNotIn("no master yet", out)
        self.assertIn("cluster: master node 3, term 2, agreed by all 3 nodes", out)
        rows = {int(line.split()[0]): line for line in out.splitlines()
                if re.match(r"^    \d+\s+(master|follower)", line)}
        self.assertEqual(sorted(rows), [1, 2, 3], out)
        for n, line in rows.items():
            self.assertTrue(line.rstrip().endswith("1:alive 2:alive 3:alive"),
                            f"node {n}'s row does not list every member: {line!r}\n{out}")
        # The status shown is the one after the wait: no node without a master in it.
        self.assertNotIn("master none", out)

    def test_a_cluster_that_never_lists_every_member_is_reported(self):
        with FakeHost() as host:
            host.cluster.partial_polls = 10 ** 9  # followers never learn the others
            with mock.patch.object(lab.time, "monotonic",
                                   side_effect=[float(t) for t in range(0, 1000, 5)]):
                rc, out, err = host.main("up", "--name", "nw", "--cluster-timeout", "30")
        self.assertEqual(rc, 0, err)  # the lab stays up for a look
        head = next(line for line in out.splitlines() if line.startswith("cluster: master"))
        self.assertIn("not every node lists every member", head)
        self.assertIn("node 1 lacks 2,3", head)
        self.assertIn("gave up", head)
        self.assertIn("did not agree", err)

    def test_print_cluster_agreed_and_complete(self):
        views = {n: FakeCluster([1, 2, 3], 0, 0).view(n) for n in (1, 2, 3)}
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            lab.print_cluster(views, 4.12, True)
        self.assertEqual(out.getvalue().splitlines()[0],
                         "cluster: master node 3, term 2, agreed by all 3 nodes (after 4.1 s)")


class RuntimeDirectoryBelongsToThePipeGroup(unittest.TestCase):
    """/run/dmpd/LAB (and /run/dmpd when the lab makes it) belong to the daemons'
    pipe group, 0750: its members reach the pipe sockets, others nothing."""

    def check_dir(self, path, gid):
        st = os.stat(path)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o750, f"{path}: {oct(st.st_mode)}")
        self.assertEqual(st.st_gid, gid, f"{path}: group {st.st_gid}, expected {gid}")

    def test_up_gives_the_runtime_dirs_to_the_set_pipe_group(self):
        g = group_to_hand_over()
        if g is None:
            self.skipTest("no group other than ours to hand a directory to")
        with FakeHost() as host:
            rc, out, err = host.main("up", "--name", "nw", "--set", f"pipe_group={g.gr_name}",
                                     "--cluster-timeout", "0")
            self.assertEqual(rc, 0, err)
            self.check_dir(host.state_root / "nw", g.gr_gid)
            self.check_dir(host.state_root, g.gr_gid)
            st = os.stat(host.state_root / "nw" / "state.json")
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o640)

    def test_the_default_group_is_dmpdds(self):
        try:
            g = grp.getgrnam("dmpd")
        except KeyError:
            self.skipTest("no group dmpd here (ci/install-deps.sh makes it)")
        if os.geteuid() != 0:
            self.skipTest("needs root to give a directory to group dmpd")
        with FakeHost() as host:
            rc, out, err = host.main("up", "--name", "nw", "--cluster-timeout", "0")
            self.assertEqual(rc, 0, err)
            self.check_dir(host.state_root / "nw", g.gr_gid)

    def test_an_older_labs_root_only_run_dmpd_lets_the_group_through(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to make a root:root directory")
        g = group_to_hand_over()
        with FakeHost() as host:
            host.state_root.mkdir(mode=0o750)
            os.chown(host.state_root, 0, 0)
            os.chmod(host.state_root, 0o750)
            rc, out, err = host.main("up", "--name", "nw", "--set", f"pipe_group={g.gr_name}",
                                     "--cluster-timeout", "0")
            self.assertEqual(rc, 0, err)
            st = os.stat(host.state_root)
            self.assertEqual(st.st_gid, g.gr_gid)
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o750)

    def test_a_run_dmpd_someone_else_set_up_is_left_alone(self):
        g = group_to_hand_over()
        if g is None or not hasattr(lab, "let_group_through"):
            self.skipTest("no group to hand over, or no let_group_through")
        with tempfile.TemporaryDirectory() as d:
            os.chmod(d, 0o755)
            before = os.stat(d)
            lab.let_group_through(d, g.gr_gid)
            after = os.stat(d)
            self.assertEqual((before.st_gid, before.st_mode), (after.st_gid, after.st_mode))


class NonRootGetsOneLine(unittest.TestCase):
    """A user who may not read the lab's state gets one line and exit 1, for
    every command, not a traceback."""

    def denied(self, path):
        return PermissionError(13, "Permission denied", str(path))

    def test_status_as_non_root(self):
        with FakeHost() as host:
            host.make_lab("nw", running=(1, 2, 3))
            host.euid = 1000
            state_json = host.state_root / "nw" / "state.json"
            real = Path.read_text

            def read_text(path, *a, **k):
                if Path(path) == state_json:
                    raise self.denied(path)
                return real(path, *a, **k)
            with mock.patch.object(Path, "read_text", read_text):
                rc, out, err = host.main("status", "--name", "nw")
        self.assertEqual(rc, 1)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn(f"{state_json}: permission denied: run as root", err)
        self.assertTrue(err.startswith("dmpd-lab: "), err)

    def test_list_as_non_root(self):
        with FakeHost() as host:
            host.make_lab("nw", running=(1, 2, 3))
            host.euid = 1000
            state_json = host.state_root / "nw" / "state.json"
            real = Path.read_text

            def read_text(path, *a, **k):
                if Path(path) == state_json:
                    raise self.denied(path)
                return real(path, *a, **k)
            with mock.patch.object(Path, "read_text", read_text):
                rc, out, err = host.main("list")
        self.assertEqual((rc, out), (1, ""))
        self.assertEqual(err, f"dmpd-lab: {state_json}: permission denied: run as root\n")

    def test_any_os_error_in_a_command_is_one_line(self):
        with FakeHost() as host:
            host.make_lab("nw")
            host.euid = 1000
            with mock.patch.object(lab, "save_state",
                                   side_effect=self.denied(host.state_root / "nw" / "x")):
                rc, out, err = host.main("link", "--name", "nw", "1", "0", "down")
                self.assertEqual(rc, 1)  # needs root: LabError
                rc, out, err = host.main("start", "--name", "nw", "1")
        self.assertEqual(rc, 1)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn("permission denied: run as root", err)


class NameAnywhere(unittest.TestCase):
    """`--name` before `--` wherever it stands; an unknown lab names those there are."""

    def test_ctl_name_after_the_node(self):
        with FakeHost() as host:
            host.make_lab("nw", running=(1, 2, 3))
            for argv in (("ctl", "2", "--name", "nw", "--", "status"),
                         ("ctl", "--name", "nw", "2", "--", "status"),
                         ("ctl", "2", "--name=nw", "--", "status"),
                         ("ctl", "2", "--name", "nw", "status")):
                host.exec_calls.clear()
                rc, out, err = host.main(*argv)
                self.assertEqual(rc, 0, f"{argv}: {err}")
                self.assertEqual(host.exec_calls[0][1:],
                                 ["--socket", str(host.state_root / "nw" / "node2.sock"),
                                  "status"], argv)

    def test_after_dashdash_the_name_is_dmpdctls(self):
        with FakeHost() as host:
            host.make_lab("lab", running=(1, 2, 3))
            rc, out, err = host.main("ctl", "1", "--", "cluster", "--name", "x")
            self.assertEqual(rc, 0, err)
            self.assertEqual(host.exec_calls[0][-3:], ["cluster", "--name", "x"])

    def test_exec_name_after_the_node(self):
        with FakeHost() as host:
            host.make_lab("nw", running=(1, 2))
            rc, out, err = host.main("exec", "2", "--name", "nw", "--", "env")
            self.assertEqual(rc, 0, err)
            self.assertEqual(host.exec_calls[0], ["nsenter", "--net=/run/netns/dmpd-nw-n2",
                                                  "--", "env"])
            # Without `--`, a --name after the command's first word is the command's.
            host.exec_calls.clear()
            rc, out, err = host.main("exec", "1", "--name", "nw", "tool", "--name", "x")
            self.assertEqual(rc, 0, err)
            self.assertEqual(host.exec_calls[0][1:], ["--net=/run/netns/dmpd-nw-n1", "--",
                                                      "tool", "--name", "x"])

    def test_other_commands_take_the_name_after_their_operands(self):
        with FakeHost() as host:
            host.make_lab("nw")
            rc, out, err = host.main("stop", "2", "--name", "nw")
            self.assertEqual(rc, 0, err)
            self.assertIn("node 2: dmpdd not running", out)

    def test_an_unknown_lab_names_the_labs_there_are(self):
        with FakeHost() as host:
            host.make_lab("nw")
            host.make_lab("ab")
            rc, out, err = host.main("ctl", "2", "--", "status")
        self.assertEqual(rc, 1)
        self.assertIn("no lab named 'lab'", err)
        self.assertRegex(err, r"\bab, nw\b")


class ListCommand(unittest.TestCase):
    """`list [--json]`: every lab here, nodes, ports, daemons running."""

    def test_list(self):
        with FakeHost() as host:
            host.make_lab("nw", nodes=3, ports=2, running=(1, 3))
            host.make_lab("big", nodes=4, ports=4, running=(1, 2, 3, 4))
            (host.netns_dir / "dmpd-gone-n1").touch()  # namespaces without a state file
            (host.netns_dir / "dmpd-gone-n2").touch()
            (host.netns_dir / "unrelated").touch()
            rc, out, err = host.main("list")
            self.assertEqual(rc, 0, err)
            lines = out.strip().splitlines()
            rows = {line.split()[0]: line.split() for line in lines[1:]}
            self.assertEqual(sorted(rows), ["big", "gone", "nw"], out)
            self.assertEqual(rows["nw"][1:5], ["3", "2", "2", "of"], out)
            self.assertEqual(rows["big"][1:4], ["4", "4", "4"], out)
            self.assertIn("leftover", out)
            rc, out, err = host.main("list", "--json")
            self.assertEqual(rc, 0, err)
            labs = {e["name"]: e for e in json.loads(out)["labs"]}
            self.assertEqual((labs["nw"]["nodes"], labs["nw"]["ports"],
                              labs["nw"]["daemons_running"], labs["nw"]["phase"]),
                             (3, 2, 2, "up"))
            self.assertEqual((labs["gone"]["nodes"], labs["gone"]["phase"]), (2, "leftover"))
            rc, out, err = host.main("list", "--name", "nw", "--json")
            self.assertEqual(rc, 0, err)
            self.assertEqual([e["name"] for e in json.loads(out)["labs"]], ["nw"])

    def test_a_corrupt_state_file_is_listed_as_such(self):
        with FakeHost() as host:
            host.make_lab("nw")
            (host.state_root / "nw" / "state.json").write_text("{")
            rc, out, err = host.main("list", "--json")
            self.assertEqual(rc, 0, err)
            self.assertEqual(json.loads(out)["labs"][0]["phase"], "corrupt")

    def test_no_labs(self):
        with FakeHost() as host:
            rc, out, err = host.main("list")
            self.assertEqual(rc, 0, err)
            self.assertIn("no labs", out)
            rc, out, err = host.main("list", "--json")
            self.assertEqual(json.loads(out), {"labs": []})


class StartFailureShowsTheDaemonsMessage(unittest.TestCase):
    """A daemon that refuses to start: its message first, this run's lines only,
    no sanitizer suppression table."""

    OLD_RUN = ("--- dmpd-lab: starting node 2 at 2026-12-07 10:00:00: dmpdd --node 2\n"
               "dmpdd: unknown setting 'old_mistake'\n(see dmpdd --help)\n" +
               "".join(f"2026-12-07T10:00:{i:02d}.000Z INFO  dmpdd: an earlier run, line {i}\n"
                       for i in range(30)))
    SUPPRESSIONS = ("-----------------------------------------------------\n"
                    "Suppressions used:\n"
                    "  count      bytes template\n"
                    "      2        112 libbpf.so\n"
                    "      1         64 xsk_umem__create\n"
                    "-----------------------------------------------------\n\n")

    def test_start_with_an_unknown_setting(self):
        with FakeHost() as host:
            host.make_lab("nw", running=(1, 3))
            (host.state_root / "nw" / "node2.log").write_text(self.OLD_RUN)
            host.daemon_output = (
                "dmpdd: unknown setting 'max_neighbors' (did you mean 'max_neighbours'?)\n"
                "(see dmpdd --help)\n" + self.SUPPRESSIONS).encode()
            host.started_rc = 2
            rc, out, err = host.main("start", "--name", "nw", "2", "--set",
                                     "max_neighbors=100")
        self.assertEqual(rc, 1)
        lines = err.strip().splitlines()
        self.assertIn("node 2: dmpdd exited with 2 before it was ready", lines[0])
        self.assertEqual(lines[1].strip(),
                         "dmpdd: unknown setting 'max_neighbors' (did you mean "
                         "'max_neighbours'?)", err)
        self.assertNotIn("old_mistake", err)
        self.assertNotIn("earlier run", err)
        self.assertNotIn("Suppressions used", err)
        self.assertNotIn("libbpf.so", err)

    def test_error_lines_are_picked_from_a_longer_run(self):
        with FakeHost() as host:
            host.make_lab("nw")
            host.daemon_output = (
                "".join(f"2026-12-07T23:00:00.{i:03d}Z INFO  dmpdd: starting, step {i}\n"
                        for i in range(40)) +
                "2026-12-07T23:00:01.000Z ERROR dpdk: EAL: cannot allocate memory\n"
                "2026-12-07T23:00:01.001Z ERROR dmpdd: EAL initialisation failed\n" +
                self.SUPPRESSIONS).encode()
            host.started_rc = 1
            rc, out, err = host.main("start", "--name", "nw", "1")
        self.assertEqual(rc, 1)
        lines = err.strip().splitlines()
        self.assertIn("ERROR dpdk: EAL: cannot allocate memory", lines[1])
        self.assertIn("ERROR dmpdd: EAL initialisation failed", lines[2])
        self.assertNotIn("step 39", err)
        self.assertNotIn("Suppressions used", err)


class PortsAndDocs(unittest.TestCase):
    """docs/lab.md's fault examples work on the default lab, its "Looking
    inside" says how names follow --name and names the dissector; an out-of-range port is
    refused with the valid range."""

    def test_out_of_range_port_names_the_range(self):
        with FakeHost() as host:
            host.make_lab("nw", nodes=3, ports=2)
            rc, out, err = host.main("shape", "--name", "nw", "1", "2", "20mbit")
        self.assertEqual(rc, 1)
        self.assertIn("node 1 has ports 0..1, not 2", err)
        self.assertIn("--ports", err)

    def test_fault_examples_fit_the_default_lab(self):
        doc = DOC.read_text()
        nodes = getattr(lab, "DEFAULT_NODES", 3)
        ports = getattr(lab, "DEFAULT_PORTS", 2)
        examples = re.findall(r"^tools/dmpd-lab (link|loss|shape) (\d+) (\d+) ", doc, re.M)
        self.assertTrue(examples)
        for cmd, node, port in examples:
            self.assertLessEqual(int(node), nodes, f"{cmd} {node} {port}")
            self.assertLess(int(port), ports,
                            f"docs/lab.md: `dmpd-lab {cmd} {node} {port}` is refused by the "
                            f"default lab ({nodes} nodes x {ports} ports, ports from 0)")

    def test_looking_inside_covers_other_lab_names_and_the_dissector(self):
        doc = DOC.read_text()
        inside = doc.split("## Looking inside", 1)[1].split("\n## ", 1)[0]
        self.assertIn("--name LAB", inside)
        self.assertIn("dmpd-LAB-n<i>", inside)
        self.assertIn("-X lua_script:tools/wireshark/dmpd.lua", inside)
        metrics = doc.split("## Metrics", 1)[1].split("\n## ", 1)[0]
        self.assertIn("--name", metrics)


if __name__ == "__main__":
    unittest.main()
