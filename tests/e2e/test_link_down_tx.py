#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A port whose link is down sends nothing (issue 11): with the bridge-side end of node 1's
port p0 down, p0's `hellos_sent` and `daemon.tx_frames` stop growing while its
`daemon.tx_link_down` counts the hellos not sent; the other port goes on (its hellos are
the test's clock); with the link up again, p0's hellos resume and the other node hears
them.
"""

from labkit import Checks, neighbour, port_of, run, run_test, say, wait_until

TARGET, OTHER, DOWN, UP = 1, 2, "p0", "p1"
HELLO_MS = 50
INTERVALS = 10  # hello intervals watched with the link down


def ports(lab):
    st = lab.status(TARGET)
    return port_of(st, DOWN), port_of(st, UP)


def counters(p):
    d = p["daemon"]
    return {"hellos_sent": p["hellos_sent"], "tx_frames": d["tx_frames"],
            "tx_link_down": d.get("tx_link_down"), "tx_dropped": d["tx_dropped"],
            "pmd.tx_packets": p["pmd"]["tx_packets"], "link": p["link"]}


def heard(lab, ifname):
    nb = neighbour(port_of(lab.status(OTHER), ifname), TARGET, 0)
    return nb["hellos"] if nb else 0


def body(lab):
    chk = Checks()
    peer = lab.port(TARGET, DOWN)["bridge_peer"]
    wait_until(lambda: heard(lab, DOWN) > 3, 20, f"node {OTHER} to hear node {TARGET} {DOWN}")
    down0, _ = ports(lab)
    chk.check("tx_link_down" in down0["daemon"],
              f"ports[].daemon has no tx_link_down: {sorted(down0['daemon'])}")
    run(["ip", "link", "set", peer, "down"])
    try:
        wait_until(lambda: ports(lab)[0]["link"] != "up", 10, f"{DOWN}'s link to go down")
        if "tx_link_down" in down0["daemon"]:
            # The daemon learns the link state on its own schedule: wait until it acts.
            base = ports(lab)[0]["daemon"]["tx_link_down"]
            wait_until(lambda: ports(lab)[0]["daemon"]["tx_link_down"] > base, 10,
                       "tx_link_down to start counting")
        a_down, a_up = ports(lab)
        # The other port's hellos are the clock: INTERVALS hello intervals pass.
        wait_until(lambda: ports(lab)[1]["hellos_sent"] >= a_up["hellos_sent"] + INTERVALS, 10,
                   f"{INTERVALS} hellos on {UP}")
        b_down, b_up = ports(lab)
        ca, cb = counters(a_down), counters(b_down)
        say(f"{DOWN} link down for {b_up['hellos_sent'] - a_up['hellos_sent']} hellos of {UP}: "
            f"{DOWN} before {ca}, after {cb}")
        for k in ("hellos_sent", "tx_frames"):
            chk.check(cb[k] == ca[k], f"{DOWN} link down: {k} grew by {cb[k] - ca[k]} "
                                      f"({ca[k]} -> {cb[k]})")
        if ca["tx_link_down"] is not None:
            grew = cb["tx_link_down"] - ca["tx_link_down"]
            chk.check(grew >= INTERVALS - 2, f"{DOWN} link down: tx_link_down grew by {grew} "
                                             f"in {INTERVALS} hello intervals")
    finally:
        run(["ip", "link", "set", peer, "up"])
    wait_until(lambda: ports(lab)[0]["link"] == "up", 10, f"{DOWN}'s link to come back")
    h0 = ports(lab)[0]["hellos_sent"]
    heard0 = heard(lab, DOWN)
    wait_until(lambda: ports(lab)[0]["hellos_sent"] >= h0 + 3, 10, f"hellos on {DOWN} again")
    wait_until(lambda: heard(lab, DOWN) >= heard0 + 3, 10,
               f"node {OTHER} to hear node {TARGET}'s {DOWN} again")
    say(f"link up: {DOWN} {counters(ports(lab)[0])}")
    chk.done()


if __name__ == "__main__":
    run_test(body, nodes=2, ports=2, hello_interval_ms=HELLO_MS)
