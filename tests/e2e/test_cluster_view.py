#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The cluster as the operator sees it (CLU-1..3, OPS-1, OPS-3). Four nodes x two ports,
100 ms cycles, k = 3 cycles for a port to be down:

1. `dmpd-lab up` ends by showing the cluster with one master agreed by all nodes; every
   node's `dmpdctl cluster --json` names that master and term and holds 4 alive members
   with 2 up ports each; `dmpdctl cluster` (table), `neighbours 0` and `dmpd-lab status`
   show the same master.
2. `dmpd-lab link 2 1 down`: node 2's port 1 is down in every node's view within k cycles
   (plus slack for the loaded host), node 2's port 0 stays up, no node is failed and the
   master stays; `link 2 1 up`: the port is up again everywhere.
"""

import json
import time

from clusterkit import (K, NODES, PORTS, SLACK_S, INTERVAL_MS, agreed, cycles, lab_args, member,
                        summary, views, wait_agreement, wait_views)
from labkit import Checks, check, run_test, say

LINK_NODE, LINK_PORT = 2, 1


def port_up(view, node, port):
    m = member(view, node)
    if m is None:
        return None
    p = next((x for x in m.get("ports", []) if x.get("port") == port), None)
    return None if p is None else p.get("up")


def check_tables(lab, master, term, c):
    up_out = getattr(lab, "up_output", "")
    say("`dmpd-lab up` ended with: " + " | ".join(
        line.strip() for line in up_out.splitlines() if line.startswith("cluster: master")))
    c.check(f"cluster: master node {master}, term {term}, agreed by all {len(NODES)} nodes"
            in up_out or f"cluster: master node {master}," in up_out,
            f"`dmpd-lab up` did not end by showing master {master}: {up_out[-800:]}")
    for n in NODES:
        c.check(f"    {n:<5} " in up_out, f"`dmpd-lab up` shows no cluster row for node {n}")
    table = lab.ctl(1, "cluster").stdout
    say(f"dmpdctl cluster on node 1:\n{table}")
    c.check(table.startswith(f"master {master}  term {term}"),
            f"`dmpdctl cluster` does not start with master {master} term {term}")
    for n in NODES:
        c.check(any(line.split()[:2] in ([f"{n}", "alive"], [f"{n}*", "alive"])
                    for line in table.splitlines() if line.split()),
                f"`dmpdctl cluster` shows no alive row for node {n}")
    # Table 4: a row per port of every node.
    rows = [line.split() for line in table.splitlines()]
    for n in NODES:
        for q in range(PORTS):
            c.check(any(r[:2] == [str(n), str(q)] and len(r) > 4 for r in rows),
                    f"`dmpdctl cluster` has no Table 4 row for node {n} port {q}")
    nb = lab.ctl(1, "neighbours", 0).stdout
    c.check(nb.startswith("port 0  neighbours") and len(nb.splitlines()) >= 2 + 3,
            f"`dmpdctl neighbours 0` table: {nb}")
    # Every PORT operand takes the index and the interface's name alike.
    p0 = lab.ifnames(1)[0]
    by_name = json.loads(lab.ctl(1, "neighbours", p0, "--json").stdout)
    c.check(by_name["port"] == 0 and by_name["total"] >= 3, f"`neighbours {p0}`: {by_name}")
    for operand in ("0", p0):
        h = lab.ctl(1, "history", operand, "--json", check_rc=False)
        c.check(h.returncode == 0, f"`history {operand}`: {h.stderr.strip()}")
    bad = lab.ctl(1, "history", "9", check_rc=False)
    c.check(bad.returncode != 0 and "PORT is an index 0.." in bad.stderr,
            f"`history 9` does not say what PORT may be: {bad.stderr.strip()}")
    st = lab.lab("status").stdout
    c.check(f"cluster: master node {master}, term {term}" in st,
            f"`dmpd-lab status` does not show master {master} term {term}: {st[-600:]}")
    c.check(st.count(f"master {master}  term {term}") == len(NODES),
            f"`dmpd-lab status` does not show every node's view of master {master}")


def check_link(lab, master):
    lab.lab("link", LINK_NODE, LINK_PORT, "down")
    t0 = time.monotonic()
    limit = K * INTERVAL_MS / 1000.0 + SLACK_S

    def down_everywhere(vs):
        return all(port_up(v, LINK_NODE, LINK_PORT) is False for v in vs.values())
    vs, s = wait_views(lab, down_everywhere, 10 * limit,
                       f"node {LINK_NODE} port {LINK_PORT} down in every view")
    say(f"link {LINK_NODE} {LINK_PORT} down: down in every view after {s:.2f} s "
        f"({cycles(s):.1f} cycles; limit k={K} cycles + {SLACK_S} s slack = {limit:.1f} s)")
    check(s <= limit, f"port down seen everywhere after {s:.2f} s, more than {limit:.1f} s")
    for n, v in vs.items():
        check(port_up(v, LINK_NODE, 0) is True,
              f"node {n} sees node {LINK_NODE} port 0 down too: {summary(vs)}")
        check(all(m.get("state") == "alive" for m in v["members"]),
              f"a member is not alive with one port down: {summary(vs)}")
    check(agreed(vs) and agreed(vs)[0] == master,
          f"the master changed with one port down: {summary(vs)}")

    lab.lab("link", LINK_NODE, LINK_PORT, "up")
    vs, s = wait_views(lab, lambda vs: all(port_up(v, LINK_NODE, LINK_PORT) is True
                                           for v in vs.values()), 10 * limit,
                       f"node {LINK_NODE} port {LINK_PORT} up again in every view")
    say(f"link {LINK_NODE} {LINK_PORT} up: up in every view after {s:.2f} s "
        f"({cycles(s):.1f} cycles); total {time.monotonic() - t0:.2f} s")
    check(agreed(vs) and agreed(vs)[0] == master,
          f"the master changed after the port came back: {summary(vs)}")


def body(lab):
    master, term, vs, s = wait_agreement(lab)
    for n, v in vs.items():
        check(v["node"] == n, f"node {n}'s cluster says node {v['node']}")
        check(v["role"] == ("master" if n == master else "follower"),
              f"node {n}: role {v['role']} with master {master}")
        check(v["number_in_conflict"] is False, f"node {n}: number_in_conflict")
        for m in v["members"]:
            check(isinstance(m.get("age_ms"), int), f"node {n}: member without age_ms: {m}")
    c = Checks()
    check_tables(lab, master, term, c)
    check_link(lab, master)
    # Steady: nothing changed the term while one port came and went.
    vs = views(lab)
    check(agreed(vs) == (master, term), f"master/term moved: {summary(vs)}")
    c.done()


if __name__ == "__main__":
    run_test(body, **lab_args())
