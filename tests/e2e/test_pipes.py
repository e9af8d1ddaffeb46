#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Pipes between two nodes of two ports (PIPE-1..5, REL-2), with dmpd-perf:

1. 1,000,000 messages of 64 B from node 1 to node 2, sent as fast as the sender can, arrive
   exactly once and in order: the receiving daemon credits what it took off the wire and
   the sender keeps at most a window of frames in flight (flow control, docs/pipes.md), so
   a receiver that falls behind slows the sender down instead of losing.
2. Sizes from 1 B to 64 KiB (one frame, just over one, many pieces) arrive intact: the
   receiver checks every payload against what its sequence and size make.
3. k = 2 copies while a cable of the sender is pulled and plugged back mid-run: nothing
   lost, nothing delivered twice; the daemons count the degraded sends and the extra
   copies they dropped.
4. A pipe limited to R bytes/s gets R ± 5 %.
5. PIPE-2, "ask for more buffer": sender and receiver each grow their rings mid-run (a
   second memfd, each side reads its old ring to the end before it follows): nothing lost,
   duplicated or reordered, and each daemon frees the old rings once its worker moved on.
6. Pipes closed and opened again with the same ids (a new incarnation numbers its messages
   from 1 under the next epoch): the pinger's pipe, then the echoing receiver's, each
   reopened; every ping and every pong arrives, none taken for a duplicate.
7. REL-2 with lossy links: four pipes while both of node 1's ports lose 10 % of their
   frames each way (so the balancer has no clean port to move to). Every pipe delivers all
   but what was lost, and flow control writes off less than a window: credits name the
   last frame that arrived on each path, so frames lost among delivered ones leave the
   window at the next credit. (With cumulative counts they stayed in flight until a window
   was full of them, about every half second here, and 20 ms later it was written off.)
8. What an operator reads after a run: the receiver's closed pipe stays in `dmpdctl pipes`
   with its final counters; `dmpd-perf ping` to a node that does not exist, or to a pipe
   nobody listens on, exits 1 saying which.
"""

import json
import subprocess
import time

from labkit import Checks, nsenter, run, run_test, say
from pipekit import Receiver, Traffic, env_for, perf, pipes, send, summary


def exactly_once(lab, c):
    r = Receiver(lab, 2, 7, "--count", 1_000_000, "--buffer", 16 << 20)
    s = send(lab, 1, 2, 7, "--count", 1_000_000, "--size", 64)
    got = r.result()
    say(f"1,000,000 x 64 B: {summary(got)}; sender {summary(s)}")
    c.check(got["received"] == 1_000_000 and got["lost"] == 0,
            f"received {got['received']}, lost {got['lost']} {got.get('missing')}")
    c.check(got["duplicates"] == 0 and got["out_of_order"] == 0 and got["corrupt"] == 0,
            f"duplicates {got['duplicates']}, out of order {got['out_of_order']}, "
            f"corrupt {got['corrupt']}")
    engine = pipes(lab, 1)["engine"]
    say(f"node 1's flow control: {engine['credits_received']} credits, "
        f"{engine['window_stalls']} stalls, {engine['credit_timeouts']} timeouts")
    c.check(engine["credits_received"] > 0, "node 1 got no credit from node 2")


def sizes(lab, c):
    for size in (1, 100, 1464, 1465, 9000, 65536):
        r = Receiver(lab, 2, 8, "--count", 200, "--buffer", 16 << 20)
        # 64 KiB is 45 frames: 300 a second is 13,500 frames a second.
        send(lab, 1, 2, 8, "--count", 200, "--size", size, "--rate", 300)
        got = r.result()
        say(f"{size} B x 200: {summary(got)}")
        c.check(got["received"] == 200 and got["lost"] == 0 and got["corrupt"] == 0,
                f"size {size}: {summary(got)}")
    engine = pipes(lab, 2)["engine"]
    c.check(engine["messages_reassembled"] >= 3 * 200,
            f"node 2 reassembled {engine['messages_reassembled']} messages, expected the "
            f"1465, 9000 and 65536 B ones at least")


def two_copies_through_a_pulled_cable(lab, c):
    r = Receiver(lab, 2, 9, "--count", 100_000, "--buffer", 4 << 20)
    sender = lab.spawn(1, [perf(), "send", "--node", 2, "--pipe", 9, "--count", 100_000,
                           "--size", 64, "--rate", 20_000, "--copies", 2, "--json"],
                       env=env_for(lab, 1), stdout=subprocess.PIPE, text=True)
    time.sleep(1.5)  # a run in progress (the sender takes 5 s)
    lab.lab("link", 1, 0, "down")
    say("node 1 port 0 pulled")
    time.sleep(1.5)
    lab.lab("link", 1, 0, "up")
    say("node 1 port 0 plugged back")
    out, _ = sender.communicate(timeout=120)
    got = r.result()
    s = json.loads(out.strip().splitlines()[-1])
    node2 = pipes(lab, 2)
    say(f"k=2 through a pulled cable: {summary(got)}; sender daemon {s.get('daemon')}")
    c.check(got["received"] == 100_000 and got["lost"] == 0,
            f"k = 2 with a cable pulled: {summary(got)}")
    c.check(got["duplicates"] == 0, f"the application saw {got['duplicates']} duplicates")
    c.check(s["daemon"]["degraded_copies"] > 0,
            f"the sender's daemon counted no degraded copies: {s['daemon']}")


def rate_limit(lab, c):
    limit = 1_000_000  # bytes/s
    r = Receiver(lab, 2, 10, "--count", 6000, "--buffer", 4 << 20)
    s = send(lab, 1, 2, 10, "--count", 6000, "--size", 1000, "--limit", limit)
    got = r.result()
    rate = got["bytes_per_s"]
    say(f"limit {limit} B/s: the receiver measured {rate:.0f} B/s "
        f"({rate / limit:.3f} of the limit), sender {s['bytes_per_s']:.0f} B/s")
    c.check(abs(rate - limit) <= 0.05 * limit and got["lost"] == 0,
            f"a pipe limited to {limit} B/s delivered {rate:.0f} B/s: {summary(got)}")


def resize_mid_run(lab, c):
    r = Receiver(lab, 2, 11, "--count", 300_000, "--buffer", 65536,
                 "--resize-at", 100_000, "--resize-to", 8 << 20)
    s = send(lab, 1, 2, 11, "--count", 300_000, "--size", 64, "--buffer", 65536,
             "--resize-at", 150_000, "--resize-to", 4 << 20)
    got = r.result()
    say(f"rings grown mid-run: {summary(got)}; sender {s['resize']}, receiver {got['resize']}")
    for side, name in ((s, "sender"), (got, "receiver")):
        c.check(side["resize"]["outcome"] == "ok", f"the {name}'s resize: {side['resize']}")
    c.check(s["resize"]["ring_bytes"] == 4 << 20 and got["resize"]["ring_bytes"] == 8 << 20,
            f"ring sizes after the resize: sender {s['resize']}, receiver {got['resize']}")
    c.check(got["received"] == 300_000 and got["lost"] == 0 and got["duplicates"] == 0
            and got["out_of_order"] == 0 and got["corrupt"] == 0,
            f"a resize mid-run: {summary(got)}")
    for n in (1, 2):
        p = pipes(lab, n)
        say(f"node {n}: {p['engine']['resizes']} resizes, {p['engine']['resize_failed']} "
            f"failed, ring memory {p['memory_bytes']} bytes with the pipes closed")
        c.check(p["engine"]["resizes"] >= 1 and p["engine"]["resize_failed"] == 0,
                f"node {n}'s worker: {p['engine']}")
        # Closed pipes are reclaimed within the reaper's 10 ms; old rings with them.
        deadline = time.monotonic() + 10
        while pipes(lab, n)["memory_bytes"] != 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        c.check(pipes(lab, n)["memory_bytes"] == 0,
                f"node {n} still holds {pipes(lab, n)['memory_bytes']} bytes of rings")


def ping(lab, pipe, local_pipe, count):
    p = run(nsenter(lab.netns(1), [perf(), "ping", "--node", 2, "--pipe", pipe, "--count", count,
                                   "--local-pipe", local_pipe, "--json"]),
            timeout=120, check_rc=False, env=env_for(lab, 1))
    return json.loads(p.stdout.strip().splitlines()[-1])


def reopened_pipes(lab, c):
    for round_ in ("first", "its pipe reopened"):
        r = Receiver(lab, 2, 13, "--timeout", 2)
        for who in ("first", "the pinger's pipe reopened"):
            j = ping(lab, 13, 500, 300)
            say(f"receiver {round_}, pinger {who}: {j['received']} of {j['sent']} pongs")
            c.check(j["sent"] == 300 and j["received"] == 300 and j["lost"] == 0,
                    f"receiver {round_}, pinger {who}: {j['received']} of {j['sent']} pongs")
        echoed = r.result()["pings_echoed"]
        c.check(echoed == 600, f"receiver {round_} echoed {echoed} of 600 pings")


def lossy_port(lab, c):
    before = pipes(lab, 1)["engine"]
    for port in (0, 1):
        lab.lab("loss", 1, port, 10)
    say("node 1's ports lose 10 % of their frames each way")
    try:
        t = Traffic(lab, 1, 2, 4, first_pipe=400, rate=5000, size=64, seconds=6)
        results = t.finish()
    finally:
        for port in (0, 1):
            lab.lab("loss", 1, port, 0)
    after = pipes(lab, 1)["engine"]
    delta = {k: after[k] - before[k] for k in ("credit_timeouts", "frames_written_off",
                                               "credits_received", "window_stalls")}
    say(f"node 1's flow control over the run: {delta}")
    for i, got in enumerate(results):
        say(f"pipe {400 + i} through lossy ports: {summary(got)}")
        # 10 % lost, with a margin.
        c.check(got["received"] >= 0.85 * t.count and got["duplicates"] == 0,
                f"pipe {400 + i} through lossy ports: {summary(got)}")
    c.check(sum(got["lost"] for got in results) > 0, "nothing was lost: the loss did not act")
    c.check(delta["frames_written_off"] < 1024,
            f"node 1 wrote off {delta['frames_written_off']} frames (a window is 1024): "
            f"lost frames stayed in flight")


def after_the_run(lab, c):
    r = Receiver(lab, 2, 21, "--count", 500)
    send(lab, 1, 2, 21, "--count", 500)
    c.check(r.result()["received"] == 500, "the run before the closed-pipe check")
    closed = [p for p in pipes(lab, 2)["closed"] if p["pipe"] == 21]
    say(f"node 2's closed pipe 21: {closed[:1]}")
    # 500 data messages and the sender's 3 end markers.
    c.check(closed and closed[0]["received_messages"] == 503 and closed[0]["state"] == "closed"
            and closed[0]["closed_by"] == "closed" and closed[0]["closed_unix_ms"] > 0,
            f"node 2 keeps no record of closed pipe 21 with its counters: {closed}")
    for node, pipe, reason in ((9, 22, "no route to node 9"), (2, 99, "no answer to 3 pings")):
        p = run(nsenter(lab.netns(1), [perf(), "ping", "--node", node, "--pipe", pipe,
                                       "--count", 3, "--timeout", 0.3]),
                timeout=60, check_rc=False, env=env_for(lab, 1))
        say(f"ping node {node} pipe {pipe}: rc {p.returncode}, {p.stderr.strip()!r}")
        c.check(p.returncode == 1 and reason in p.stderr,
                f"ping node {node} pipe {pipe}: rc {p.returncode}, stderr {p.stderr.strip()!r}")


def body(lab):
    c = Checks()
    exactly_once(lab, c)
    sizes(lab, c)
    two_copies_through_a_pulled_cable(lab, c)
    rate_limit(lab, c)
    resize_mid_run(lab, c)
    reopened_pipes(lab, c)
    lossy_port(lab, c)
    after_the_run(lab, c)
    c.done()


if __name__ == "__main__":
    run_test(body, nodes=2, ports=2)
