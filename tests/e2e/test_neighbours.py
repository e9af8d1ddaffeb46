#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Two nodes, two ports each, one switch: every port of each node hears both ports of the
other node, and the counters of `dmpdctl status --json` agree with the hellos sent.

- neighbour hellos (A hears B's port p) never exceed B's hellos_sent on p, and over an
  interval grow as much as hellos_sent did, within the hellos in flight;
- pmd.tx_packets == daemon.tx_frames (every frame the worker handed to the PMD, hellos and
  the cluster's frames; a snapshot may race by a few), and hellos_sent <= tx_frames;
- the receiver's xdp.redirected_control covers every frame the daemon received;
- nothing is malformed, rejected, passed without a socket or not DMPD.
"""

import time

from labkit import INFLIGHT_HELLOS, check, neighbour, port_of, run_test, say, wait_until

NODES = (1, 2)


def other(n):
    return 2 if n == 1 else 1


def full_mesh(lab):
    """Returns the statuses once every port of each node lists both ports of the other."""
    st = {n: lab.status(n) for n in NODES}
    for n in NODES:
        names = [p["interface"] for p in st[n]["ports"]]
        check(names == lab.ifnames(n), f"node {n}: status lists ports {names}, the lab gave "
                                       f"it {lab.ifnames(n)}")
        for p in st[n]["ports"]:
            for q in range(len(lab.ifnames(other(n)))):
                if neighbour(p, other(n), q) is None:
                    return None
    return st


def sent(st, ifname):
    return port_of(st, ifname)["hellos_sent"]


def check_snapshot(lab, st, base):
    """Invariants that hold within one node's status."""
    for n in NODES:
        s = st[n]
        check(s["node"] == n and s["cluster_id"] == lab.cluster_id,
              f"node {n}: status says node {s['node']} cluster {s['cluster_id']}")
        check(s["hello_interval_ms"] == lab.hello_interval_ms,
              f"node {n}: hello_interval_ms {s['hello_interval_ms']}")
        for p in s["ports"]:
            where = f"node {n} {p['interface']}"
            check(p["link"] == "up", f"{where}: link {p['link']}")
            # The status reads the PMD and the worker's counters one after the other while
            # the cluster keeps sending: they may differ by the frames of a cycle or two.
            check(abs(p["pmd"]["tx_packets"] - p["daemon"]["tx_frames"]) <= 4,
                  f"{where}: pmd.tx_packets {p['pmd']['tx_packets']} vs daemon.tx_frames "
                  f"{p['daemon']['tx_frames']}")
            check(p["hellos_sent"] <= p["daemon"]["tx_frames"],
                  f"{where}: hellos_sent {p['hellos_sent']} > tx_frames "
                  f"{p['daemon']['tx_frames']}")
            for k in ("malformed", "other_cluster", "redirected_data"):
                check(p["xdp"][k] == 0, f"{where}: xdp.{k} = {p['xdp'][k]}, expected 0")
            # A DMPD frame that arrives between the attach of the program and the socket's
            # entry in xsks_map passes to the kernel (no_socket); once running, never.
            ns0 = port_of(base[n], p["interface"])["xdp"]["no_socket"]
            check(p["xdp"]["no_socket"] == ns0,
                  f"{where}: xdp.no_socket grew {ns0} -> {p['xdp']['no_socket']} while "
                  f"running: DMPD frames reached the kernel")
            if ns0:
                say(f"{where}: note: xdp.no_socket = {ns0} (frames during startup)")
            d = p["daemon"]
            check(d["not_dmpd"] == 0, f"{where}: daemon.not_dmpd = {d['not_dmpd']}")
            bad = {k: v for k, v in d["rejected"].items() if v}
            check(not bad, f"{where}: daemon rejected frames: {bad}")
            hellos = sum(nb["hellos"] for nb in p["neighbours"])
            check(abs(d["hellos_received"] - hellos) <= 2,
                  f"{where}: daemon.hellos_received {d['hellos_received']} vs the sum of "
                  f"neighbour hellos {hellos}")
            # Every frame the daemon got came through the XDP redirect (the daemon counts
            # after the program did; the two are read at slightly different moments).
            got = d["rx_frames"]
            red = p["xdp"]["redirected_control"]
            check(red + 2 >= got, f"{where}: xdp.redirected_control {red} < daemon.rx_frames "
                                  f"{got}")
            check(red <= got + p["pmd"]["imissed"] + INFLIGHT_HELLOS,
                  f"{where}: xdp.redirected_control {red} far above daemon.rx_frames {got} "
                  f"+ imissed {p['pmd']['imissed']}: frames redirected but not received")
            check(got >= hellos + d["own_frames"],
                  f"{where}: daemon.rx_frames {got} < neighbour hellos {hellos} + own_frames "
                  f"{d['own_frames']}")
            for nb in p["neighbours"]:
                check(nb["node"] != n, f"{where}: lists its own node as a neighbour: {nb}")


def body(lab):
    st = wait_until(lambda: full_mesh(lab), 20, "every port to hear both ports of the other")
    say("full mesh: " + ", ".join(
        f"n{n}/{p['interface']}->{[(nb['node'], nb['port']) for nb in p['neighbours']]}"
        for n in NODES for p in st[n]["ports"]))
    for n in NODES:
        for p in st[n]["ports"]:
            check(len(p["neighbours"]) == len(lab.ifnames(other(n))),
                  f"node {n} {p['interface']}: neighbours {p['neighbours']}, expected exactly "
                  f"the {len(lab.ifnames(other(n)))} ports of node {other(n)}")
            for nb in p["neighbours"]:
                mac = lab.mac(nb["node"], f"p{nb['port']}")
                check(nb["mac"].lower() == mac, f"node {n} {p['interface']}: neighbour "
                                                f"{nb} has MAC {nb['mac']}, lab says {mac}")

    # Upper bound: a receiver never heard more hellos than the sender sent. Receiver's
    # snapshot first, sender's after, so the sender's count can only be larger.
    def snapshots():
        return {n: lab.status(n) for n in NODES}

    def compare(before, after, dt):
        for a in NODES:
            b = other(a)
            for p in after[a]["ports"]:
                for q, qname in enumerate(lab.ifnames(b)):
                    where = f"node {a} {p['interface']} hearing node {b} {qname}"
                    nb0 = neighbour(port_of(before[a], p["interface"]), b, q)
                    nb1 = neighbour(p, b, q)
                    check(nb0 and nb1, f"{where}: neighbour entry vanished")
                    d_heard = nb1["hellos"] - nb0["hellos"]
                    d_sent = sent(after[b], qname) - sent(before[b], qname)
                    say(f"{where}: heard +{d_heard}, sent +{d_sent} in {dt:.1f} s; "
                        f"last_sequence {nb1['last_sequence']}, seen "
                        f"{nb1['last_seen_ms_ago']} ms ago")
                    check(abs(d_heard - d_sent) <= INFLIGHT_HELLOS,
                          f"{where}: heard {d_heard} hellos while it sent {d_sent}")
                    check(nb1["last_seen_ms_ago"] <= 10 * lab.hello_interval_ms + 1000,
                          f"{where}: last seen {nb1['last_seen_ms_ago']} ms ago")
                    check(nb1["last_sequence"] >= nb0["last_sequence"],
                          f"{where}: last_sequence went back {nb0['last_sequence']} -> "
                          f"{nb1['last_sequence']}")

    before = {}
    before[1] = lab.status(1)
    before[2] = lab.status(2)
    t0 = time.monotonic()
    # Let about 20 hello intervals pass; the counters are what is checked, not time.
    wait_until(lambda: sent(lab.status(1), "p0") >= sent(before[1], "p0") + 20, 30,
               "node 1 to send 20 more hellos on p0")
    after = {}
    after[1] = lab.status(1)  # receiver of node 2's hellos first ...
    after[2] = lab.status(2)  # ... then the sender
    for p in after[1]["ports"]:
        for q, qname in enumerate(lab.ifnames(2)):
            nb = neighbour(p, 2, q)
            check(nb["hellos"] <= sent(after[2], qname) + 1,
                  f"node 1 {p['interface']} heard {nb['hellos']} hellos from node 2 {qname}, "
                  f"which sent only {sent(after[2], qname)}")
    check_snapshot(lab, after, before)
    compare(before, after, time.monotonic() - t0)

    # Own frames: each port hears the node's other port through the switch.
    for n in NODES:
        for p in after[n]["ports"]:
            own0 = port_of(before[n], p["interface"])["daemon"]["own_frames"]
            check(p["daemon"]["own_frames"] > own0,
                  f"node {n} {p['interface']}: own_frames did not grow ({own0} -> "
                  f"{p['daemon']['own_frames']}) though its other port sends hellos")


if __name__ == "__main__":
    run_test(body, nodes=2, ports=2)
