#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Failover (CLU-3, CLU-4, REL-2). Four nodes x two ports, 100 ms cycles, k = 3:

1. `dmpd-lab stop --kill` (SIGKILL) of the master: the three survivors agree on one new
   master (a survivor) and see the killed node `failed`, its ports down (never up).
   Measured: seconds and cycles from the kill to the survivors' agreement and to `failed`
   in every survivor's view.
2. `dmpd-lab start` of the killed node: it is a member again (alive in every view, the
   full view of 4 x 2 ports everywhere) and the master stays the one elected in 1 (a
   restarted node does not depose a healthy master; preempt is off). Measured: seconds
   from the daemon answering to alive everywhere.
"""

import time

from clusterkit import (K, NODES, SLACK_S, INTERVAL_MS, agreed, cycles, full_view, lab_args,
                        member, summary, views, wait_agreement, wait_views)
from labkit import check, run_test, say


def body(lab):
    old, term, _, _ = wait_agreement(lab)
    survivors = tuple(n for n in NODES if n != old)

    lab.stop(old, kill=True)
    t_kill = time.monotonic()
    say(f"killed the master, node {old} (term {term})")
    seen_masters = set()
    t_new = t_failed = None
    deadline = t_kill + 30
    vs = None
    while t_new is None or t_failed is None:
        vs = views(lab, survivors)
        now = time.monotonic()
        seen_masters |= {v.get("master") for v in vs.values() if v.get("role") == "master"
                         or v.get("master") is not None}
        a = agreed(vs)
        if t_new is None and a and a[0] in survivors:
            t_new = now
            new, new_term = a
        if t_failed is None and all(member(v, old) and member(v, old)["state"] == "failed"
                                    for v in vs.values()):
            t_failed = now
        if now > deadline:
            check(False, f"30 s after killing master {old}: new master "
                         f"{'agreed' if t_new else 'not agreed'}, node {old} "
                         f"{'failed everywhere' if t_failed else 'not failed everywhere'}: "
                         f"{summary(vs)}")
        time.sleep(0.02)  # pacing only
    take_over = t_new - t_kill
    detect = t_failed - t_kill
    say(f"master {old} killed: survivors agree on master {new} (term {new_term}) after "
        f"{take_over:.2f} s ({cycles(take_over):.1f} cycles); node {old} failed in every "
        f"survivor's view after {detect:.2f} s ({cycles(detect):.1f} cycles); masters named "
        f"on the way: {sorted(x for x in seen_masters if x is not None)}")
    check(new_term > term, f"the new master kept term {term}")
    # master_failed_after + an election window + node_failed_after, plus slack.
    limit = (2 * K + 2) * INTERVAL_MS / 1000.0 + SLACK_S
    check(take_over <= limit, f"take-over took {take_over:.2f} s, limit {limit:.1f} s")
    check(detect <= limit + K * INTERVAL_MS / 1000.0,
          f"failure detection took {detect:.2f} s")
    vs, _ = wait_views(lab, lambda vs: all(full_view(v, survivors) or
                                           sorted(m["node"] for m in v["members"]) == list(NODES)
                                           for v in vs.values()),
                       5, "the survivors' views to settle", survivors)
    for n, v in vs.items():
        check(v["role"] == ("master" if n == new else "follower"),
              f"node {n}: role {v['role']} under master {new}: {summary(vs)}")
        for m in v["members"]:
            if m["node"] != old:
                check(m["state"] == "alive", f"node {n} sees survivor {m['node']} "
                                             f"{m['state']}: {summary(vs)}")
            else:  # what a failed node last said of its ports is no longer vouched for
                up = [p["port"] for p in m["ports"] if p["up"] or p["state"] == "up"]
                check(not up, f"node {n} shows failed node {old}'s ports {up} up")

    lab.start(old)
    t_start = time.monotonic()
    masters_seen = set()

    def back(vs):
        masters_seen.update(v.get("master") for v in vs.values())
        return all(full_view(v) for v in vs.values()) and agreed(vs)
    vs, s = wait_views(lab, back, 30, f"node {old} alive again in every view")
    say(f"node {old} restarted: alive in every view (full view 4 x 2 everywhere) {s:.2f} s "
        f"({cycles(s):.1f} cycles) after its daemon answered; master now "
        f"{agreed(vs)}, masters named meanwhile {sorted(x for x in masters_seen if x is not None)}")
    check(agreed(vs)[0] == new, f"the restarted node {old} changed the master from {new}: "
                                f"{summary(vs)}")
    check(masters_seen <= {new, None}, f"masters named while node {old} came back: "
                                       f"{masters_seen} (expected only {new})")
    check(vs[old]["role"] == "follower", f"node {old} is {vs[old]['role']} after restart")
    # And it stays so: a few more cycles without change.
    time.sleep(10 * INTERVAL_MS / 1000.0)  # pacing: let 10 cycles pass
    vs = views(lab)
    check(agreed(vs) and agreed(vs)[0] == new and all(full_view(v) for v in vs.values()),
          f"the cluster moved after the restart settled: {summary(vs)}")
    say(f"steady after restart: {summary(vs)}")


if __name__ == "__main__":
    run_test(body, **lab_args())
