#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The lab's faults (`dmpd-lab link | loss | partition | heal`) as the nodes see them.
Three nodes x two ports on one switch, hellos every 50 ms (neighbours expire after five
intervals):

0. The lab's own commands on a real lab: `up` ended with every node listing every member
   and no stale "no master yet" line; `list` shows the lab; `ctl NODE --name LAB -- ...`;
   /run/dmpd/LAB belongs to the daemons' pipe group, whose members reach a node's pipe
   socket and nobody else does; `status` as another user is one line; `start 2 --set
   max_neighbors=100` fails with the daemon's message first, and node 2 starts again.
1. `link 2 1 down`: node 2's p1 loses carrier and nodes 1 and 3 drop (2, 1) from every
   port while (2, 0) stays; `link 2 1 up` brings carrier and (2, 1) back.
2. `loss 1 0 50`: DMPD hellos lose about half each way on node 1's p0 (counted from the
   senders' hellos_sent and the receivers' hellos_received), and a ping through that port
   loses about 1 - 0.5^2 of round trips; `loss 1 0 0` removes the loss and its tc hooks.
3. `partition 1`: node 1 hears nobody, nodes 2 and 3 hear only each other, IP is cut the
   same way; `heal` brings the full mesh back and removes the nftables table.
4. `shape 3 1 5mbit`: tbf both ways (on the bridge-side veth, and on an ifb for what the
   node sends), the node's daemon told the port's bandwidth; `shape 3 1 off` removes the
   qdiscs, the ifb and the override.
"""

import grp
import json
import math
import os
import re
import stat
import sys
from pathlib import Path

from labkit import LAB_TOOL, TestFailure, check, port_of, run, run_test, say, wait_until

NODES = (1, 2, 3)
PORTS = 2
HELLO_MS = 50
SETTLE_S = 10  # a neighbour expires in 5 hellos (250 ms); generous for a loaded host
LOSS_NODE, LOSS_PORT, LOSS_PCT = 1, 0, 50
LOSS_BAND = (25.0, 75.0)  # per direction, %: wide, the samples are a few hundred frames
LOSS_HELLOS = 200  # hellos node 1 sends on the lossy port during the measurement
PING_COUNT = 300


def statuses(lab):
    return {n: lab.status(n) for n in NODES}


def heard_by(st, n):
    """{ifname: {(node, port), ...}} that node n's ports list as neighbours."""
    return {p["interface"]: {(nb["node"], nb["port"]) for nb in p["neighbours"]}
            for p in st[n]["ports"]}


def expect(lab, want):
    """Statuses once every node's every port hears exactly want(n) (a set of (node, port));
    None otherwise (for wait_until)."""
    st = statuses(lab)
    for n in NODES:
        for ifname, got in heard_by(st, n).items():
            if got != want(n):
                return None
    return st


def all_ports(nodes):
    return {(m, q) for m in nodes for q in range(PORTS)}


def full_mesh(n):
    return all_ports(x for x in NODES if x != n)


def faults(lab):
    return lab.refresh()["faults"]


def carrier(lab, n, ifname):
    link = json.loads(run(["ip", "-j", "-n", lab.netns(n), "link", "show", "dev",
                           ifname]).stdout)[0]
    return "NO-CARRIER" not in link["flags"], link["operstate"]


def check_link(lab):
    node, port = 2, 1
    ifname = f"p{port}"
    lab.lab("link", node, port, "down")
    has, oper = carrier(lab, node, ifname)
    say(f"link {node} {port} down: node {node} {ifname} carrier {has}, operstate {oper}")
    check(not has, f"node {node} {ifname} still has carrier after `link {node} {port} down`")
    check(oper != "UP", f"node {node} {ifname} operstate {oper} after `link down`")
    f = faults(lab)
    check([(l["node"], l["port"]) for l in f["links_down"]] == [(node, port)],
          f"status faults.links_down {f['links_down']}, expected ({node}, {port})")

    def without(n):
        return full_mesh(n) - ({(node, port)} if n != node else set())
    # Node 2's p1 hears nothing; its p0 hears everyone but its own node.
    def settled():
        st = statuses(lab)
        for n in NODES:
            for ifname_, got in heard_by(st, n).items():
                want = set() if (n, ifname_) == (node, ifname) else without(n)
                if got != want:
                    return None
        return st
    st = wait_until(settled, SETTLE_S, f"({node}, {port}) to leave every neighbour list")
    say(f"after link down: node 1 p0 hears {sorted(heard_by(st, 1)['p0'])}; node {node} "
        f"{ifname} link {port_of(st[node], ifname)['link']}")

    lab.lab("link", node, port, "up")
    has, oper = carrier(lab, node, ifname)
    check(has, f"node {node} {ifname} has no carrier after `link {node} {port} up`")
    wait_until(lambda: expect(lab, full_mesh), SETTLE_S,
               f"({node}, {port}) back in every neighbour list")
    check(faults(lab)["links_down"] == [], "status still lists a link down after `link up`")
    say(f"link {node} {port} up: carrier back, full mesh again")


def hello_totals(st):
    """{(node, port): (hellos_sent, hellos_received)}."""
    return {(n, int(p["interface"][1:])): (p["hellos_sent"], p["daemon"]["hellos_received"])
            for n in NODES for p in st[n]["ports"]}


def hello_loss(before, after):
    """(% lost of what the lossy port sent, % lost of what it should have received),
    from counters that survive neighbour expiry: every port hears every other node's
    ports, so a port's hellos_received grows by the sum of their hellos_sent, less loss."""
    d = {k: (after[k][0] - before[k][0], after[k][1] - before[k][1]) for k in after}
    lossy = (LOSS_NODE, LOSS_PORT)
    # Into the lossy port: it should have heard every other node's every port.
    sent_to = sum(d[k][0] for k in d if k[0] != LOSS_NODE)
    got = d[lossy][1]
    into = 100.0 * (1 - got / sent_to)
    # Out of it: at each port of the other nodes, what it heard beyond the loss-free
    # senders is what got through from the lossy port.
    outs = []
    for r in d:
        if r[0] == LOSS_NODE:
            continue
        clean = sum(d[k][0] for k in d if k[0] != r[0] and k != lossy)
        kept = d[r][1] - clean
        outs.append(100.0 * (1 - kept / d[lossy][0]))
    say(f"hellos: lossy port sent {d[lossy][0]}, others sent it {sent_to}, it heard {got}; "
        f"loss out of it at the other ports: {', '.join(f'{x:.1f} %' for x in outs)}")
    return sum(outs) / len(outs), into


def ping_loss(lab, src, dst_ip, count):
    p = lab.ns_run(src, ["ping", "-q", "-c", count, "-i", "0.01", "-W", "2", dst_ip],
                   check_rc=False, timeout=count * 0.01 + 30)
    line = next((l for l in p.stdout.splitlines() if "transmitted" in l), "")
    try:
        tx = int(line.split()[0])
        rx = int(line.split(",")[1].split()[0])
    except (IndexError, ValueError):
        raise TestFailure(f"cannot read ping's summary: {p.stdout}{p.stderr}")
    return tx, rx


def check_loss(lab):
    node, port = LOSS_NODE, LOSS_PORT
    peer = lab.port(node, f"p{port}")["bridge_peer"]
    pinger = 2
    dst = lab.ip(node, f"p{port}")
    # Resolve ARP before the loss, and pin both ends' entries, so that the ping measures
    # only the echo exchange: an entry that goes stale during the loss phase would be
    # re-probed through the lossy port and could fail for the whole run.
    tx, rx = ping_loss(lab, pinger, dst, 3)
    check(rx == tx, f"ping {dst} from node {pinger} before the loss: {rx}/{tx}")
    src_if = f"p{port}"
    src_ip = lab.ip(pinger, src_if)
    lab.ns_run(pinger, ["ip", "neigh", "replace", dst, "lladdr", lab.mac(node, f"p{port}"),
                        "dev", src_if, "nud", "permanent"])
    lab.ns_run(node, ["ip", "neigh", "replace", src_ip, "lladdr", lab.mac(pinger, src_if),
                      "dev", f"p{port}", "nud", "permanent"])

    lab.lab("loss", node, port, LOSS_PCT)
    f = faults(lab)
    check(len(f["loss"]) == 1 and f["loss"][0]["percent"] == LOSS_PCT,
          f"status faults.loss {f['loss']}, expected node {node} port {port} {LOSS_PCT} %")
    before = hello_totals(statuses(lab))
    wait_until(lambda: hello_totals(statuses(lab))[(node, port)][0] >=
               before[(node, port)][0] + LOSS_HELLOS, 60,
               f"node {node} p{port} to send {LOSS_HELLOS} hellos", interval=0.5)
    after = hello_totals(statuses(lab))
    out_pct, in_pct = hello_loss(before, after)
    tx, rx = ping_loss(lab, pinger, dst, PING_COUNT)
    rt = 100.0 * (1 - rx / tx)
    # Both directions lose p, so a round trip survives with (1 - p)^2.
    per_dir = 100.0 * (1 - math.sqrt(rx / tx))
    f = faults(lab)["loss"][0]
    say(f"loss {LOSS_PCT} % on node {node} p{port}: hellos lost {out_pct:.1f} % out of the "
        f"port, {in_pct:.1f} % into it; ping {rx}/{tx} round trips ({rt:.1f} % lost, "
        f"{per_dir:.1f} % per direction); switch-side program: from node "
        f"{f['from_node']}, to node {f['to_node']}")
    lo, hi = LOSS_BAND
    for what, v in (("hellos out of the port", out_pct), ("hellos into the port", in_pct),
                    ("ping, per direction", per_dir)):
        check(lo <= v <= hi, f"{what}: {v:.1f} % lost with `loss {node} {port} {LOSS_PCT}`, "
                             f"expected {lo:g}-{hi:g} %")

    lab.lab("loss", node, port, 0)
    check(faults(lab)["loss"] == [], "status still lists loss after `loss ... 0`")
    qdiscs = json.loads(run(["tc", "-j", "qdisc", "show", "dev", peer]).stdout)
    check(not any(q.get("kind") == "clsact" for q in qdiscs),
          f"{peer}: clsact qdisc left after `loss ... 0`: {qdiscs}")
    tx, rx = ping_loss(lab, pinger, dst, 100)
    check(rx >= tx - 1, f"ping {dst} after `loss 0`: {rx}/{tx} round trips")
    before = hello_totals(statuses(lab))
    wait_until(lambda: hello_totals(statuses(lab))[(node, port)][0] >=
               before[(node, port)][0] + 40, 30, f"node {node} p{port} to send 40 hellos",
               interval=0.5)
    out_pct, in_pct = hello_loss(before, hello_totals(statuses(lab)))
    # Loss-free, the counts differ only by the hellos in flight at the two snapshots.
    check(out_pct < 10 and in_pct < 10, f"after `loss 0` hellos still lost: {out_pct:.1f} % "
                                        f"out, {in_pct:.1f} % in")
    say(f"loss 0: ping {rx}/{tx}, hellos lost {out_pct:.1f} % out, {in_pct:.1f} % in")


def ping_ok(lab, src, dst_ip):
    p = lab.ns_run(src, ["ping", "-c", "3", "-i", "0.2", "-W", "1", dst_ip], check_rc=False)
    return p.returncode == 0


def check_partition(lab):
    lab.lab("partition", "1")
    f = faults(lab)["partition"]
    check(f and f["groups"] == [[1], [2, 3]], f"status faults.partition {f}")

    def split(n):
        return set() if n == 1 else all_ports({2, 3} - {n})
    wait_until(lambda: expect(lab, split), SETTLE_S,
               "node 1 to hear nobody and nodes 2, 3 only each other")
    for src, dst, want in ((1, 2, False), (3, 1, False), (2, 3, True)):
        for q in range(PORTS):
            ok = ping_ok(lab, src, lab.ip(dst, f"p{q}"))
            check(ok == want, f"partition: ping node {src} -> node {dst} p{q} "
                              f"{'failed' if want else 'got through'}")
    say(f"partition 1: split seen by every node, IP cut the same way; switch dropped "
        f"{faults(lab)['partition']['dropped']} frames")

    lab.lab("heal")
    check(faults(lab)["partition"] is None, "status still lists a partition after `heal`")
    tables = run(["nft", "list", "tables"]).stdout
    check(f"dmpd_lab_{lab.name}" not in tables, f"nft table left after `heal`: {tables}")
    wait_until(lambda: expect(lab, full_mesh), SETTLE_S, "the full mesh after `heal`")
    check(ping_ok(lab, 1, lab.ip(2, "p0")), "ping node 1 -> node 2 after `heal` failed")
    say("heal: full mesh again")


def check_shape(lab):
    node, port = 3, 1
    peer = lab.port(node, f"p{port}")["bridge_peer"]
    ifb = f"{lab.name}-s{node}p{port}"
    lab.lab("shape", node, port, "5mbit")
    f = faults(lab)["shape"]
    check(len(f) == 1 and f[0]["rate_bps"] == 5_000_000 and f[0]["ifb"] == ifb,
          f"status faults.shape {f}")
    qdiscs = run(["tc", "qdisc", "show", "dev", peer]).stdout + \
        run(["tc", "qdisc", "show", "dev", ifb]).stdout
    check(qdiscs.count("tbf") == 2 and "rate 5Mbit" in qdiscs, f"tbf on {peer} and {ifb}: {qdiscs}")
    override = lab.status(node)["ports"][port].get("bandwidth_override_mbps")
    check(override == 5, f"node {node}'s daemon was not told the shaped rate: {override}")
    lab.lab("shape", node, port, "off")
    check(faults(lab)["shape"] == [], f"status still lists shaping: {faults(lab)['shape']}")
    left = run(["ip", "link", "show", "dev", ifb], check_rc=False).returncode == 0
    check(not left, f"{ifb} left after `shape off`")
    check("tbf" not in run(["tc", "qdisc", "show", "dev", peer]).stdout, f"tbf left on {peer}")
    override = lab.status(node)["ports"][port].get("bandwidth_override_mbps")
    check(override is None, f"node {node}'s bandwidth override left: {override}")
    say(f"shape {node} {port} 5mbit: tbf on {peer} and {ifb}, daemon told; off removed it all")


NOBODY = 65534
SYSTEM_PYTHON = Path("/usr/bin/python3")  # readable by another user, unlike a pyenv one
CONNECT_PIPES = ("import socket, sys\n"
                 "s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)\n"
                 "try:\n    s.connect(sys.argv[1])\nexcept OSError as e:\n"
                 "    print(e.strerror); sys.exit(1)\n")


def as_user(gid, cmd):
    """cmd as user nobody with only group gid."""
    return run(["setpriv", f"--reuid={NOBODY}", f"--regid={gid}", "--clear-groups"] + cmd,
               check_rc=False, timeout=30)


def check_lab_cli(lab):
    out = lab.up_output
    check("no master yet" not in out, f"`up` printed a stale cluster line:\n{out}")
    rows = [line.split() for line in out.splitlines()
            if re.match(r"    \d+ +(master|follower) ", line)]
    check(len(rows) == len(NODES), f"`up` shows {len(rows)} cluster rows:\n{out}")
    for row in rows:
        listed = {int(m.split(":")[0]) for m in row[5:] if ":" in m}
        check(listed == set(NODES), f"`up`: node {row[0]} lists members {sorted(listed)}")
    say("up: every node's row lists every member, no stale cluster line")

    labs = json.loads(lab.lab("list", "--json").stdout)["labs"]
    check([(e["name"], e["nodes"], e["ports"], e["daemons_running"]) for e in labs] ==
          [(lab.name, len(NODES), PORTS, len(NODES))], f"`list --json`: {labs}")
    env = lab.env
    p = run([sys.executable, LAB_TOOL, "ctl", 1, "--name", lab.name, "--", "status",
             "--json"], env=env)
    check(json.loads(p.stdout)["node"] == 1, "`ctl 1 --name LAB -- status --json`")
    say(f"list: {labs[0]}; ctl with --name after the node answers")

    try:
        group = grp.getgrnam(lab.node(1)["settings"].get("pipe_group", "dmpd"))
    except KeyError:
        say("no group dmpd here: the runtime directory's group is not checked")
        return
    d = Path(f"/run/dmpd/{lab.name}")
    st = os.stat(d)
    check(st.st_gid == group.gr_gid and stat.S_IMODE(st.st_mode) == 0o750,
          f"{d}: gid {st.st_gid} mode {oct(st.st_mode)}, expected {group.gr_name} 0750")
    if not SYSTEM_PYTHON.exists():
        say(f"no {SYSTEM_PYTHON}: the pipe socket is not tried as another user")
        return
    pipes = lab.node(1)["pipe_socket"]
    member = as_user(group.gr_gid, [SYSTEM_PYTHON, "-c", CONNECT_PIPES, pipes])
    outsider = as_user(NOBODY, [SYSTEM_PYTHON, "-c", CONNECT_PIPES, pipes])
    check(member.returncode == 0, f"a member of {group.gr_name} cannot connect to {pipes}: "
                                  f"{member.stdout}{member.stderr}")
    check(outsider.returncode == 1, f"a user outside {group.gr_name} connected to {pipes}: "
                                    f"{outsider.stdout}{outsider.stderr}")
    say(f"{pipes}: a member of {group.gr_name} connects, another user gets "
        f"{outsider.stdout.strip()!r}")
    p = as_user(NOBODY, [SYSTEM_PYTHON, LAB_TOOL, "status", "--name", lab.name])
    if "can't open file" in p.stderr:
        say(f"{LAB_TOOL} unreadable by another user: `status` as one not tried")
    else:
        check(p.returncode == 1 and len(p.stderr.strip().splitlines()) == 1 and
              "permission denied: run as root" in p.stderr,
              f"`status` as another user: exit {p.returncode}, {p.stderr!r}")
        say(f"status as another user: {p.stderr.strip()!r}")


def check_bad_setting(lab):
    node = 2
    lab.stop(node)
    p = lab.lab("start", node, "--set", "max_neighbors=100", check_rc=False, timeout=120)
    lines = p.stderr.strip().splitlines()
    say(f"start {node} --set max_neighbors=100: exit {p.returncode}; "
        f"{' | '.join(lines[:3])}")
    check(p.returncode == 1 and len(lines) >= 2 and "before it was ready" in lines[0] and
          "unknown setting 'max_neighbors'" in lines[1] and
          "Suppressions used" not in p.stderr,
          f"`start --set max_neighbors=100` did not show the daemon's message first: "
          f"{p.stderr}")
    lab.start(node)


def body(lab):
    check_lab_cli(lab)
    check_bad_setting(lab)
    wait_until(lambda: expect(lab, full_mesh), 30, "every port to hear every other node's ports")
    check(faults(lab) == {"links_down": [], "loss": [], "partition": None, "shape": []},
          f"a fresh lab reports faults: {faults(lab)}")
    check_link(lab)
    check_loss(lab)
    check_partition(lab)
    check_shape(lab)


if __name__ == "__main__":
    run_test(body, nodes=len(NODES), ports=PORTS, hello_interval_ms=HELLO_MS)
