#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The load balancer in the lab (issue 10; LB-2..6): 2 nodes x 4 ports, six pipes from
node 1 to node 2 (six balancer keys), sampling every 200 ms.

1. A sending port capped (`dmpd-lab shape 1 P 10mbit`, which also tells node 1's daemon the
   port's rate): the keys on it move to other ports within 2 sampling periods of the first
   sample that sees the cap, and the port then carries control frames only. The moves are
   counted as re-picks and reorders.
2. A receiving port of node 2 capped: node 2's view says the port is loaded, and node 1's
   balancer stops choosing it for the keys that used it.
3. A sending port pulled mid-run (k = 1): after the daemon notices, nothing more is sent on
   it; what is lost is at most the frames in flight (one flow-control window).
4. The same cap under `lb_policy=static` (Toeplitz hash alone, as bonding balance-xor and
   LACP): the keys stay on the capped port, which keeps its share of the node's frames.

Periods, not seconds: each part reads the balancer's period number (`dmpdctl lb`), so a
slow machine makes the test slower, not wrong. The 1-second windows below are measurement
windows over counters, not waits for a condition.
"""

import collections
import json
import time

from labkit import Checks, TestFailure, run_test, say, wait_until
from pipekit import Traffic

SAMPLE_MS = 200
PIPES = 6
CAP = "10mbit"  # one key (1000 x 1000 B/s = 8 Mbit/s) fills most of it


def lb(lab, n):
    return json.loads(lab.ctl(n, "lb", "--json").stdout)


def keys_to(report, node):
    return [k for k in report.get("active_keys", []) if k["dst_node"] == node]


def busiest(report, side):
    """The port (send_port or receive_port) with the most active keys to node 2."""
    count = collections.Counter(k[side] for k in keys_to(report, 2) if k[side] is not None)
    return count.most_common(1)[0][0]


def port_counter(lab, n, port, name):
    return lab.status(n)["ports"][port]["daemon"][name]


def frames_in_a_second(lab, n, port, name):
    a = port_counter(lab, n, port, name)
    time.sleep(1.0)
    return port_counter(lab, n, port, name) - a


def tx_rates_in_a_second(lab, n):
    """Every port's tx_frames over the same second."""
    a = [p["daemon"]["tx_frames"] for p in lab.status(n)["ports"]]
    time.sleep(1.0)
    return [p["daemon"]["tx_frames"] - x for p, x in zip(lab.status(n)["ports"], a)]


def wait_for_keys(lab):
    """node 1's report once every pipe's key is active and has held its ports past the
    hysteresis' minimum hold (2 periods): the parts below are about established keys, not
    ones that started in the period before a cap."""
    first = wait_until(lambda: (lambda r: r if len(keys_to(r, 2)) >= PIPES else None)(lb(lab, 1)),
                       20, f"{PIPES} active keys from node 1 to node 2")
    return wait_until(lambda: (lambda r: r if r["period"] >= first["period"] + 3 else None)(
        lb(lab, 1)), 20, "three periods of traffic")


def wait_off(lab, side, port, what, every_key=False):
    """Polls node 1's balancer until no active key to node 2 uses `port` on `side`; the
    period of the report that first shows it. A key is active if it sent in this period or
    the one before: with `every_key`, the report must also list all PIPES keys, so that a
    key which paused (a sender not scheduled for a while on a loaded machine) is not taken
    for one that moved."""
    def off(r):
        keys = keys_to(r, 2)
        if every_key and len(keys) < PIPES:
            return None
        return r if all(k[side] != port for k in keys) else None
    return wait_until(lambda: off(lb(lab, 1)), 20, what)["period"]


def pipe_drops(lab, n):
    """node n's drop counters summed over its open pipes, and the engine's counters."""
    r = json.loads(lab.ctl(n, "pipes", "--json").stdout)
    drops = collections.Counter()
    for p in r["pipes"]:
        drops.update({k: v for k, v in p.items() if k.startswith("dropped") and isinstance(v, int)})
    return dict(drops), r.get("engine", {})


def check_delivery(c, results, what, max_lost, lab=None, traffic=None):
    lost = sum(r["lost"] for r in results)
    dups = sum(r["duplicates"] for r in results)
    say(f"{what}: received {sum(r['received'] for r in results)}, lost {lost}, "
        f"duplicates {dups}, out of order {sum(r['out_of_order'] for r in results)}")
    c.check(dups == 0, f"{what}: {dups} duplicates")
    if max_lost is not None:
        if lost > max_lost and lab is not None:  # where they went, for whoever reads the log
            for n in (1, 2):
                try:
                    drops, engine = pipe_drops(lab, n)
                    say(f"node {n}'s pipes: drops {drops}, engine {engine}")
                except Exception as e:  # diagnostics only
                    say(f"node {n}'s pipes: not readable ({e})")
            for i, r in enumerate(results):
                sender = traffic.sender_reports[i] if traffic else None
                say(f"pipe {i}: received {r['received']}, lost {r['lost']}; sender {sender}")
        c.check(lost <= max_lost, f"{what}: {lost} messages lost, more than {max_lost}")
    return lost


def sending_port_capped(lab, c):
    t = Traffic(lab, 1, 2, PIPES, first_pipe=100, seconds=12)
    before = wait_for_keys(lab)
    port = busiest(before, "send_port")
    on_it = sum(k["send_port"] == port for k in keys_to(before, 2))
    lab.lab("shape", 1, port, CAP)
    p0 = lb(lab, 1)["period"]
    first = wait_until(
        lambda: (lambda r: r if sum(k["send_port"] == port for k in keys_to(r, 2)) < on_it
                 else None)(lb(lab, 1)), 20, f"a key to leave node 1's capped port {port}")
    p1 = wait_off(lab, "send_port", port, f"the keys to leave node 1's capped port {port}")
    after = lb(lab, 1)
    say(f"node 1 port {port} capped at period {p0} ({on_it} keys on it); the first left in "
        f"the report of period {first['period']}, none on it in that of period {p1}; loads "
        f"{[round(p['load'], 3) for p in after['local']['ports']]}")
    # The cap is seen by the first sample after p0; a move happens at the first message
    # after that period's update, and the report of the next period shows it: 2 periods
    # of reaction plus that one of reporting.
    c.check(first["period"] - p0 <= 3,
            f"the first key left the capped port {first['period'] - p0} periods after the "
            f"cap (at most 2 + 1 for the report)")
    # The rest may follow one a period: the port's measured load is clamped at 1 (eq. 5)
    # while the ledger takes each key's whole offered traffic off it, so one move makes a
    # saturated port look relieved until the next sample (docs/lb.md, "Not done here").
    # Measured: 2-3 keys gone in 2-3 periods, 4 keys in 3-5.
    c.check(p1 - p0 <= 2 + on_it, f"the keys left the capped port {p1 - p0} periods after "
                                  f"the cap ({on_it} keys; at most 2 + {on_it})")
    c.check(after["local"]["ports"][port]["overloaded"] or
            after["local"]["ports"][port]["load"] > after["local"]["mean_load"],
            f"the capped port does not look loaded: {after['local']['ports'][port]}")
    # Measured once every key is seen elsewhere: a key that was silent when the others
    # moved decides at its next message, and may take the port again if by then the port
    # has drained and no longer looks loaded (the balancer's job, not a failure).
    wait_off(lab, "send_port", port, f"all {PIPES} keys active and off the capped port {port}",
             every_key=True)
    moved = frames_in_a_second(lab, 1, port, "tx_frames")
    say(f"node 1 port {port} sent {moved} frames in the next second (control frames only)")
    if moved >= 300:
        say(f"node 1's keys after that second: {keys_to(lb(lab, 1), 2)}")
    c.check(moved < 300, f"node 1's capped port {port} still sent {moved} frames a second")
    # Moves are counted (a key that started in the period before the cap may have been
    # moved by the same period's re-check or shown elsewhere already; at least one move).
    counters = after["counters"]
    say(f"{on_it} keys were on the port; the balancer counted {counters['repicks']} re-picks, "
        f"{counters['reorders']} reorders")
    c.check(counters["repicks"] >= 1 and counters["reorders"] >= 1,
            f"keys left the capped port but no move was counted: {counters}")
    lab.lab("shape", 1, port, "off")
    check_delivery(c, t.finish(), "sending port capped", max_lost=None)


def receiving_port_capped(lab, c):
    t = Traffic(lab, 1, 2, PIPES, first_pipe=200, seconds=12)
    before = wait_for_keys(lab)
    port = busiest(before, "receive_port")
    lab.lab("shape", 2, port, CAP)
    p0 = lb(lab, 1)["period"]
    p1 = wait_off(lab, "receive_port", port, f"node 1 to stop choosing node 2's capped port {port}")
    dest = next(d for d in lb(lab, 1)["destinations"] if d["node"] == 2)
    say(f"node 2 port {port} capped at node 1's period {p0}; no key on it at {p1}; node 2's "
        f"loads as node 1 sees them {[round(p['load'], 3) for p in dest['ports']]}")
    rx = frames_in_a_second(lab, 2, port, "rx_frames")
    say(f"node 2 port {port} received {rx} frames in the next second")
    c.check(rx < 300, f"node 2's capped port {port} still received {rx} frames a second")
    lab.lab("shape", 2, port, "off")
    check_delivery(c, t.finish(), "receiving port capped", max_lost=None)


def sending_port_pulled(lab, c):
    t = Traffic(lab, 1, 2, PIPES, first_pipe=300, seconds=10)
    port = busiest(wait_for_keys(lab), "send_port")
    lab.lab("link", 1, port, "down")
    wait_until(lambda: not lab.status(1)["ports"][port]["link_up"], 10,
               f"node 1's daemon to see port {port} down")
    sent = frames_in_a_second(lab, 1, port, "tx_frames")
    c.check(sent == 0, f"node 1 sent {sent} frames on port {port} after it saw the link down")
    lab.lab("link", 1, port, "up")
    # At most what the sender had in flight to node 2: one window of 1024 frames.
    lost = check_delivery(c, t.finish(), "sending port pulled (k = 1)", max_lost=1024, lab=lab,
                          traffic=t)
    dropped = port_counter(lab, 1, port, "tx_link_down")
    say(f"node 1 counted {dropped} frames dropped for the down link; receivers lost {lost}")


def static_hash_stays(lab, c):
    lab.stop(1)
    lab.start(1, settings={"lb_policy": "static", "sample_interval_ms": SAMPLE_MS,
                           "max_loss_percent": 0})
    wait_until(lambda: json.loads(lab.ctl(1, "pipes", "--json").stdout)["routes"] >= 1, 20,
               "node 1 to have a route to node 2 again")
    t = Traffic(lab, 1, 2, PIPES, first_pipe=400, seconds=12)
    wait_until(lambda: sum(p["sent_messages"] for p in
                           json.loads(lab.ctl(1, "pipes", "--json").stdout)["pipes"]) >= 1000 * PIPES,
               20, "a second of every pipe's traffic")
    rates = tx_rates_in_a_second(lab, 1)
    port = rates.index(max(rates))
    lab.lab("shape", 1, port, CAP)
    p0 = lb(lab, 1)["period"]
    wait_until(lambda: lb(lab, 1)["period"] >= p0 + 6, 20, "six balancing periods")
    after = tx_rates_in_a_second(lab, 1)
    # Shares, not rates: the cap slows every pipe to node 2 (they share the node's
    # flow-control window), but under static hashing the capped port keeps its share,
    # where the balancer leaves it control frames only.
    share_before = rates[port] / max(1, sum(rates))
    share_after = after[port] / max(1, sum(after))
    say(f"static hash: node 1 port {port} sent {rates[port]} frames/s before the cap "
        f"({share_before:.0%} of the node's), {after[port]} six periods after it "
        f"({share_after:.0%}); per-port rates before {rates}, after {after}")
    c.check(lb(lab, 1)["policy"] == "static", "node 1 is not running the static policy")
    c.check(share_after >= share_before / 2,
            f"static hashing moved traffic off the capped port: its share went from "
            f"{share_before:.0%} to {share_after:.0%}")
    lab.lab("shape", 1, port, "off")
    check_delivery(c, t.finish(), "static hash into a capped port", max_lost=None)


def body(lab):
    c = Checks()
    sending_port_capped(lab, c)
    receiving_port_capped(lab, c)
    sending_port_pulled(lab, c)
    static_hash_stays(lab, c)
    c.done()


if __name__ == "__main__":
    # A capped port loses frames, control frames too: the health check that makes a node
    # with a lossy port leave the cluster (MON-7, max_loss_percent) is not what this tests.
    run_test(body, nodes=2, ports=4,
             settings={"sample_interval_ms": SAMPLE_MS, "cluster_interval_ms": 100,
                       "max_loss_percent": 0})
