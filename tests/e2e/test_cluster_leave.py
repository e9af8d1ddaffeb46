#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Leaving and rejoining (MON-7, OPS-1). Four nodes x two ports, 100 ms cycles, k = 3,
rejoin_hold_ms = 1000, the monitor sampling every 200 ms:

1. Operator: `dmpdctl leave --reason maintenance` on a follower: `left (operator)` in every
   view (`dmpdctl cluster` shows it so), the node's own role `left` with its note; `join`:
   alive everywhere again. The same on the master: the others elect a new master among
   themselves and see the old one `left (operator)`; after `join` it follows.
2. Health: both of a follower's cables pulled (`dmpd-lab link N 0 down`, `link N 1 down`):
   the monitor's lan_ports_down check fails and the node leaves with reason all_ports_down
   (its own view). With every port down it cannot tell anyone, so the others see it
   `failed` (or `left (all_ports_down)` if the announce got out). Cables back: while it
   holds (healthy, not yet rejoined) the others hear it again and show it
   `left (all_ports_down)`, each of them; after the rejoin hold it is alive in every view.
   Measured: seconds to leave, to be seen, to be seen left, to rejoin.

3. Loss (eq. 2): 80 % loss both ways on a follower's port 0 (`dmpd-lab loss N 0 80`).
   The master measures that port's loss from the frames it receives of it and publishes
   it; every node's view shows it (`loss_ppm` of that port) near 0.8 and the other port
   near 0. The node's sustained_loss check fails (max_loss_percent 50) and it leaves; its
   port 1 still works, so every other node shows it `left (sustained_loss)`. Loss off:
   alive in every view again after the rejoin hold.
"""

import time

from clusterkit import (NODES, SLACK_S, INTERVAL_MS, agreed, cycles, full_view, lab_args,
                        member, state_text, summary, views, wait_agreement, wait_views)
from labkit import Checks, check, run_test, say

HOLD_MS = 1000
SAMPLE_MS = 200


def others(n):
    return tuple(x for x in NODES if x != n)


def leave_and_join(lab, node, master, c):
    """Operator leave and join on `node`; returns the master afterwards."""
    was_master = node == master
    p = lab.ctl(node, "leave", "--reason", "maintenance", "window", "42")
    say(f"node {node}: dmpdctl leave --reason maintenance window 42 -> {p.stdout.strip()}")
    t0 = time.monotonic()

    def left_everywhere(vs):
        if vs[node].get("role") != "left":
            return False
        return all(state_text(member(v, node)) == "left (operator)"
                   for n, v in vs.items() if n != node) and \
            (agreed({n: v for n, v in vs.items() if n != node}) or (None,))[0] not in (None, node)
    vs, s = wait_views(lab, left_everywhere, 30,
                       f"node {node} `left (operator)` in every view and a master among the others")
    say(f"node {node}{' (the master)' if was_master else ''} left: `left (operator)` in every "
        f"other view after {s:.2f} s ({cycles(s):.1f} cycles): {summary(vs)}")
    own = vs[node]
    c.check(own.get("left_reason") == "operator" and own.get("left_note") == "maintenance window 42",
            f"node {node}'s own view: left_reason {own.get('left_reason')!r} note "
            f"{own.get('left_note')!r}, expected operator / 'maintenance window 42'")
    new_master = agreed({n: v for n, v in vs.items() if n != node})[0]
    if not was_master:
        c.check(new_master == master, f"the master changed from {master} to {new_master} when "
                                      f"follower {node} left")
    table = lab.ctl(others(node)[0], "cluster").stdout
    c.check(any(line.split()[:3] == [str(node), "left", "(operator)"]
                for line in table.splitlines()),
            f"`dmpdctl cluster` on node {others(node)[0]} does not show `{node} left (operator)`:"
            f"\n{table}")
    own_table = lab.ctl(node, "cluster").stdout
    c.check("role left (operator: maintenance window 42)" in own_table.splitlines()[0],
            f"`dmpdctl cluster` on node {node} does not say it left: {own_table.splitlines()[0]}")

    lab.ctl(node, "join")
    vs, s = wait_views(lab, lambda vs: all(full_view(v) for v in vs.values()) and agreed(vs), 30,
                       f"node {node} alive in every view after `join`")
    say(f"node {node} joined: alive in every view after {s:.2f} s ({cycles(s):.1f} cycles); "
        f"master {agreed(vs)}; leave+join total {time.monotonic() - t0:.2f} s")
    c.check(agreed(vs)[0] == new_master, f"the master moved from {new_master} to "
                                         f"{agreed(vs)[0]} when node {node} rejoined")
    return agreed(vs)[0]


def health_leave(lab, node, c):
    t0 = time.monotonic()
    lab.lab("link", node, 0, "down")
    lab.lab("link", node, 1, "down")
    t_down = time.monotonic()
    seen_left_reason = set()

    def gone(vs):
        for n, v in vs.items():
            if n != node:
                seen_left_reason.add(state_text(member(v, node)))
        return vs[node].get("role") == "left" and all(
            member(v, node) and member(v, node)["state"] in ("failed", "left")
            for n, v in vs.items() if n != node)
    vs, s = wait_views(lab, gone, 30, f"node {node} to leave (all_ports_down) and be failed "
                                      f"or left in every other view")
    say(f"node {node} with both cables out: left with {vs[node].get('left_reason')!r}, seen "
        f"{', '.join(f'n{n}: {state_text(member(v, node))}' for n, v in vs.items() if n != node)}"
        f" after {s:.2f} s ({cycles(s):.1f} cycles)")
    c.check(vs[node].get("left_reason") == "all_ports_down",
            f"node {node} left with {vs[node].get('left_reason')!r}, expected all_ports_down")
    master = agreed({n: v for n, v in vs.items() if n != node})
    c.check(master and master[0] != node, f"the others lost their master: {summary(vs)}")

    lab.lab("link", node, 0, "up")
    lab.lab("link", node, 1, "up")
    t_up = time.monotonic()
    saw_left = {}  # observer: seconds after the cables came back

    def back(vs):
        for n, v in vs.items():
            if n != node:
                st = state_text(member(v, node))
                seen_left_reason.add(st)
                if st == "left (all_ports_down)":
                    saw_left.setdefault(n, time.monotonic() - t_up)
        return all(full_view(v) for v in vs.values()) and agreed(vs)
    vs, s = wait_views(lab, back, 30, f"node {node} alive in every view after its cables "
                                      f"came back")
    say(f"node {node} cables back: alive in every view after {s:.2f} s (rejoin hold "
        f"{HOLD_MS} ms, sampling every {SAMPLE_MS} ms); whole episode "
        f"{time.monotonic() - t0:.2f} s; states the others showed for it: "
        f"{sorted(seen_left_reason)}")
    c.check(s >= HOLD_MS / 1000.0 * 0.9, f"node {node} rejoined {s:.2f} s after its cables came "
                                         f"back, before the rejoin hold of {HOLD_MS} ms")
    c.check(s <= HOLD_MS / 1000.0 + 10 * SAMPLE_MS / 1000.0 + SLACK_S + 3,
            f"node {node} took {s:.2f} s to rejoin")
    say(f"`left (all_ports_down)` seen after the cables came back, by observer: "
        f"{ {n: round(x, 2) for n, x in sorted(saw_left.items())} }")
    c.check(sorted(saw_left) == sorted(others(node)),
            f"not every other node showed node {node} `left (all_ports_down)` during its "
            f"rejoin hold: seen by {sorted(saw_left)}")


def loss_leave(lab, node, c):
    lab.lab("loss", node, 0, 80)
    t0 = time.monotonic()

    def port_loss(v, port):
        m = member(v, node)
        p = next((p for p in (m or {}).get("ports", []) if p.get("port") == port), None)
        return None if p is None or p.get("loss_ppm") is None else p["loss_ppm"] / 1e6

    def measured(vs):
        return all((port_loss(v, 0) or 0) >= 0.5 for v in vs.values())
    vs, s = wait_views(lab, measured, 30, f"node {node} port 0's loss >= 0.5 in every view")
    say(f"80 % loss on node {node} port 0: loss in every view after {s:.2f} s: "
        f"{ {n: (port_loss(v, 0), port_loss(v, 1)) for n, v in vs.items()} } (port 0, port 1)")
    for n, v in vs.items():
        c.check((port_loss(v, 1) or 0) < 0.2,
                f"node {n} shows node {node}'s clean port 1 losing {port_loss(v, 1)}")

    def left_everywhere(vs):
        return vs[node].get("role") == "left" and all(
            state_text(member(v, node)) == "left (sustained_loss)"
            for n, v in vs.items() if n != node)
    vs, s = wait_views(lab, left_everywhere, 30,
                       f"node {node} `left (sustained_loss)` in every other view")
    say(f"node {node} left on its own: `left (sustained_loss)` in every other view "
        f"{time.monotonic() - t0:.2f} s after the loss began")
    c.check(vs[node].get("left_reason") == "sustained_loss",
            f"node {node} left with {vs[node].get('left_reason')!r}")

    lab.lab("loss", node, 0, 0)
    vs, s = wait_views(lab, lambda vs: all(full_view(v) for v in vs.values()) and agreed(vs)
                       and all((port_loss(v, 0) or 0) < 0.2 for v in vs.values()), 30,
                       f"node {node} alive and its port 0 without loss in every view")
    say(f"loss off on node {node} port 0: alive, no loss, in every view after {s:.2f} s")


def body(lab):
    master, _, _, _ = wait_agreement(lab)
    c = Checks()
    follower = max(n for n in NODES if n != master)
    master = leave_and_join(lab, follower, master, c)
    master = leave_and_join(lab, master, master, c)
    follower = max(n for n in NODES if n != master)
    health_leave(lab, follower, c)
    master, _, _, _ = wait_agreement(lab)
    loss_leave(lab, max(n for n in NODES if n != master), c)
    c.done()


if __name__ == "__main__":
    run_test(body, **lab_args(rejoin_hold_ms=HOLD_MS, sample_interval_ms=SAMPLE_MS,
                              max_loss_percent=50))
