#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Prometheus metrics of a live daemon (OPS-2, MON-2): `promtool check metrics` accepts
/metrics as served in the lab; two scrapes around a known burst of DMPD data frames show
every counter monotonic, the XDP and PMD counters grown by exactly what was sent, and the
receive rate the daemon published while the burst ran matching the rate sent.
"""

import re
import subprocess

from labkit import TestFailure, check, port_of, run, run_test, say, wait_until, build_dir

RECEIVER, SENDER, IFNAME = 1, 2, "p0"
RATE, SECONDS, SIZE = 2000, 8, 200  # frames/s, s, bytes: steady and easy for both sides

SERIES = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$')


def scrape(lab, n):
    """(text, {series: value}, {metric: type}) of node n's /metrics."""
    url = lab.node(n)["metrics_url"]
    check(url, f"node {n}: dmpd-lab status lists no metrics URL")
    text = lab.ns_run(n, ["curl", "-sf", "--max-time", "5", url]).stdout
    values, types = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(maxsplit=3)
            types[name] = kind
        elif line and not line.startswith("#"):
            m = SERIES.match(line)
            check(m, f"unparsable metrics line: {line!r}")
            values[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return text, values, types


def series(values, name, **labels):
    for key, v in values.items():
        if key.split("{")[0] == name and all(f'{k}="{val}"' in key for k, val in labels.items()):
            return v
    raise TestFailure(f"no series {name}{labels} in /metrics")


def body(lab):
    lab.refresh()
    text, first, types = wait_until(lambda: scrape(lab, RECEIVER), 10, "a first sample")
    p = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=30)
    check(p.returncode == 0, f"promtool check metrics failed:\n{p.stdout}{p.stderr}")
    say(f"promtool accepts {len(first)} series")

    peer_drop0 = lab.peer_tx_dropped(RECEIVER, IFNAME)
    gen = build_dir() / "tools" / "pktgen" / "dmpd-pktgen"
    sender = lab.spawn(SENDER, [gen, "-i", IFNAME, "--size", SIZE, "--rate", RATE, "--dst-node", RECEIVER,
                                "--duration", SECONDS, "--json"],
                       stdout=subprocess.PIPE, text=True)
    # While the burst runs, the published receive rate must match what is sent: take it
    # from a sample whose interval lies wholly inside the burst, i.e. the second one in a
    # row that saw data arrive (the first may have started before the generator).
    def data_total(v):
        return series(v, "dmpd_port_xdp_frames_total", port=IFNAME, action="redirected_data")

    state = {"last": data_total(first), "moving": 0, "time": None}

    def steady_sample():
        _, v, _ = scrape(lab, RECEIVER)
        t = series(v, "dmpd_monitor_samples_total")
        if t == state["time"]:
            return None  # no new sample yet
        state["time"] = t
        moved = data_total(v) > state["last"]
        state["last"] = data_total(v)
        state["moving"] = state["moving"] + 1 if moved else 0
        return v if state["moving"] >= 2 else None
    during = wait_until(steady_sample, SECONDS, "two samples inside the burst", interval=0.2)
    out, _ = sender.communicate(timeout=SECONDS + 30)
    sent = int(re.search(r'"sent":\s*(\d+)', out).group(1))
    lost_on_switch = lab.peer_tx_dropped(RECEIVER, IFNAME) - peer_drop0
    delivered = sent - lost_on_switch
    say(f"sent {sent} frames of {SIZE} bytes at {RATE}/s; switch dropped {lost_on_switch}")

    def settled():
        _, v, _ = scrape(lab, RECEIVER)
        got = (series(v, "dmpd_port_xdp_frames_total", port=IFNAME, action="redirected_data") -
               series(first, "dmpd_port_xdp_frames_total", port=IFNAME, action="redirected_data"))
        return v if got >= delivered else None
    second = wait_until(settled, 10, "the burst in a published sample")

    counters = [k for k in first if types.get(k.split("{")[0]) == "counter"]
    check(counters, "no counters in /metrics")
    for key in counters:
        if key in second:
            check(second[key] >= first[key], f"counter went backwards: {key} "
                  f"{first[key]} -> {second[key]}")
    say(f"{len(counters)} counters monotonic")

    grew = lambda name, **l: series(second, name, **l) - series(first, name, **l)
    xdp = grew("dmpd_port_xdp_frames_total", port=IFNAME, action="redirected_data")
    check(xdp == delivered, f"XDP redirected {xdp} data frames, {delivered} reached the port")
    pmd = grew("dmpd_port_pmd_receive_packets_total", port=IFNAME)
    hellos = grew("dmpd_port_xdp_frames_total", port=IFNAME, action="redirected_control")
    # The PMD and XDP counters are read a moment apart: a hello may fall in between.
    check(abs(pmd - (xdp + hellos)) <= 2, f"PMD received {pmd} frames, XDP redirected "
          f"{xdp} data + {hellos} control")

    rate = series(during, "dmpd_port_receive_bytes_per_second", port=IFNAME)
    expected = RATE * SIZE
    check(abs(rate - expected) <= 0.15 * expected,
          f"published receive rate {rate:.0f} B/s, sent {expected} B/s (±15 %)")
    say(f"receive rate during the burst {rate:.0f} B/s for {expected} B/s sent")


if __name__ == "__main__":
    run_test(body, nodes=2, ports=1)
