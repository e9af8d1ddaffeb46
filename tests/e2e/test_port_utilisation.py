#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""U_port (MON-6, eq. 3) against a known rate: the switch port towards node 1 is shaped
with tbf to RATE_BITS, node 2 offers more DMPD data than that, and `dmpdctl ports --json`
on node 1 must show utilisation_ratio within 10 % of RATE_BITS / BW, with the PMD, XDP and
kernel columns each telling their part (PMD bytes ~ the shaped rate, XDP redirects ~ PMD
frames, the kernel seeing at least what reached the port).
"""

import statistics
import subprocess

from labkit import build_dir, check, run, run_test, say, stop_process, wait_until

RECEIVER, SENDER, IFNAME = 1, 2, "p0"
RATE_BITS = 200_000_000  # the tbf rate; far below what the port takes on this machine
SIZE = 1500
OFFERED_PPS = 25000      # ~300 Mb/s offered: tbf must drop the excess
SAMPLES = 5              # consecutive 1 s samples averaged over, after the ramp


def port_view(lab):
    p = run([lab.dmpdctl(), "--socket", lab.socket(RECEIVER), "ports", "--json"],
            check_rc=False)
    if p.returncode != 0:
        return None
    import json
    view = json.loads(p.stdout)
    return view["time"], next(x for x in view["ports"] if x["port"] == IFNAME)


def rate(view, group, counter):
    c = view[group]["counters"].get(counter, {})
    return c.get("per_second")


def body(lab):
    lab.refresh()
    peer = lab.port(RECEIVER, IFNAME)["bridge_peer"]
    run(["tc", "qdisc", "add", "dev", peer, "root", "tbf", "rate", f"{RATE_BITS}bit",
         "burst", "64kb", "latency", "20ms"])
    try:
        gen = build_dir() / "tools" / "pktgen" / "dmpd-pktgen"
        # Runs until the samples are in (stopped below), so none falls after it.
        sender = lab.spawn(SENDER, [gen, "-i", IFNAME, "--size", SIZE, "--rate", OFFERED_PPS,
                                    "--dst-node", RECEIVER, "--duration", 600],
                           stdout=subprocess.DEVNULL)
        samples, last_time = [], None
        def next_sample():
            nonlocal last_time
            got = port_view(lab)
            if got and got[0] != last_time:
                last_time = got[0]
                return got[1]
            return None
        # The ramp: skip samples until two in a row saw data (the first of them may have
        # begun before the generator, and tbf's initial burst lands in it).
        moving = 0
        while moving < 2:
            v = wait_until(next_sample, 10, "a new monitoring sample", interval=0.1)
            moving = moving + 1 if (rate(v, "xdp", "redirected_data") or 0) > 0 else 0
        for _ in range(SAMPLES):
            samples.append(wait_until(next_sample, 10, "a new monitoring sample", interval=0.1))
        stop_process(sender)
    finally:
        run(["tc", "qdisc", "del", "dev", peer, "root"], check_rc=False)

    bw = samples[0]["bandwidth_bits_per_second"]
    check(bw, f"no bandwidth for {IFNAME}: {samples[0]}")
    expected = RATE_BITS / bw
    u = statistics.mean(s["utilisation_ratio"] for s in samples)
    say(f"U_port {u:.5f} over {SAMPLES} samples, expected {expected:.5f} "
        f"({RATE_BITS / 1e6:.0f} Mb/s of {bw / 1e6:.0f} Mb/s, {samples[0]['bandwidth_source']})")
    check(abs(u - expected) <= 0.10 * expected,
          f"U_port {u:.5f} is not within 10 % of {expected:.5f}")

    pmd_bits = statistics.mean(rate(s, "pmd", "rx_bytes") * 8 for s in samples)
    pmd_pps = statistics.mean(rate(s, "pmd", "rx_packets") for s in samples)
    xdp_pps = statistics.mean(rate(s, "xdp", "redirected_data") for s in samples)
    kernel_pps = statistics.mean(rate(s, "kernel", "rx_packets") for s in samples)
    say(f"PMD {pmd_bits / 1e6:.1f} Mb/s {pmd_pps:.0f} fps; XDP redirected {xdp_pps:.0f} fps; "
        f"kernel rx {kernel_pps:.0f} fps")
    check(abs(pmd_bits - RATE_BITS) <= 0.10 * RATE_BITS,
          f"PMD receive rate {pmd_bits / 1e6:.1f} Mb/s for a {RATE_BITS / 1e6:.0f} Mb/s link")
    check(abs(xdp_pps - pmd_pps) <= 0.05 * pmd_pps,
          f"XDP redirected {xdp_pps:.0f} fps but the PMD received {pmd_pps:.0f} fps")
    check(kernel_pps >= 0.95 * xdp_pps,
          f"the kernel counted {kernel_pps:.0f} fps on the port, XDP redirected {xdp_pps:.0f}")


if __name__ == "__main__":
    run_test(body, nodes=2, ports=1)
