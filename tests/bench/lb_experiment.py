#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""lb_experiment.py: the paper's load-balancing experiment (seed 000, Figs. 9-10; PERF-3)
in the lab, with the policies side by side in one run.

One lab of 2 nodes x 4 ports; every port capped at CAP each way on the switch side
(`dmpd-lab shape`, which also tells each daemon its ports' rate, so utilisation (eq. 3)
is against CAP). A skewed mix of pipes from node 1 to node 2 through dmpd-perf: ELEPHANTS
pipes of ELEPHANT_MSGS messages/s and MICE pipes of MOUSE_MSGS messages/s, 1000 B each.
Half-way the load shifts: the first two elephants stop and two new elephants (new keys)
start. For each policy node 1's daemon is restarted with it:

  static   lb_policy=static: the Toeplitz hash alone (bonding balance-xor/l34, LACP)
  paper    lb_policy=balanced, lb_criterion=paper: WL of eq. (8) over 1.86
  gap      lb_policy=balanced, lb_criterion=gap: a port 10 % over the mean (the default)

and, trace-driven on the same per-key traffic (each pipe's configured rate per second)
with the static run's assignment as the start,

  greedy10 every 10 s, keys reassigned largest first to the least-loaded sending port
           (the bonding-tlb / OVS / teamd kind; the receiving port stays the hash's, as
           tlb balances transmit only), starting from the static hash's assignment of the
           static run's keys (the Toeplitz hash computed here as the daemon does)

Every sampling period the script reads both daemons' per-port rates (`dmpdctl ports`):
node 1's transmit and node 2's receive bits/s over CAP. Output (in OUT, default
/tmp/dmpd-lb-experiment): one PNG per policy with per-port utilisation over time on the
sending and on the receiving node (the shape of Figs. 9-10), results.json, and a table of
max/mean utilisation and the coefficient of variation across ports (means over the
steady parts of each half), the reaction time after the shift (until max/mean stays
<= 1.10 on the sending side for 3 samples), re-picks and reorders per second.

Then, for the paper's criterion and the gap criterion, one port degraded among healthy
ones at light load (degraded_port): how many keys leave it within 10 periods.

Not a ctest test: run it by hand, as root, on an otherwise idle machine.
  tests/bench/lb_experiment.py                      # build dir: $DMPD_BUILD_DIR or build
  SECONDS_PER_HALF=30 OUT=/tmp/lb tests/bench/lb_experiment.py
  tests/bench/lb_experiment.py --plot OUT/results.json   # the table and plots again
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "e2e"))
from labkit import TestFailure, run_test, say, wait_until  # noqa: E402
from pipekit import Receiver, env_for, perf  # noqa: E402

PORTS = 4
CAP_MBIT = int(os.environ.get("CAP_MBIT", "20"))
SAMPLE_MS = int(os.environ.get("SAMPLE_MS", "500"))
HALF_S = int(os.environ.get("SECONDS_PER_HALF", "20"))
ELEPHANTS = 4            # 2 for the whole run, 2 before the shift; 2 more after it
ELEPHANT_MSGS = 1000     # x 1000 B = 8 Mbit/s
MICE = 12
MOUSE_MSGS = 125         # x 1000 B = 1 Mbit/s
SIZE = 1000
GREEDY_PERIOD_S = 10
DEGRADED_MBIT = 2  # the degraded port of degraded_port()
# The rebalance's phase against the shift: half a period, its average reaction (a phase
# of 0 would rebalance exactly at the shift and flatter it).
GREEDY_PHASE_S = GREEDY_PERIOD_S / 2
OUT = Path(os.environ.get("OUT", "/tmp/dmpd-lb-experiment"))
POLICIES = {
    "static": {"lb_policy": "static"},
    "paper": {"lb_policy": "balanced", "lb_criterion": "paper"},
    "gap": {"lb_policy": "balanced", "lb_criterion": "gap"},
}


def schedule():
    """Each pipe: (pipe id, messages/s, start s, stop s). Pipe ids differ per policy run
    (+1000 per run) so that no run inherits another's keys."""
    pipes = []
    for i in range(ELEPHANTS):  # 0, 1 stop at the shift; 2, 3 run throughout
        pipes.append((10 + i, ELEPHANT_MSGS, 0, HALF_S if i < 2 else 2 * HALF_S))
    for i in range(2):  # the shift: two new elephants
        pipes.append((20 + i, ELEPHANT_MSGS, HALF_S, 2 * HALF_S))
    for i in range(MICE):
        pipes.append((30 + i, MOUSE_MSGS, 0, 2 * HALF_S))
    return pipes


def ports_json(lab, n):
    return json.loads(lab.ctl(n, "ports", "--json").stdout)


def rates(lab, n, key):
    return [p.get(key) or 0.0 for p in ports_json(lab, n)["ports"]]


def run_policy(lab, name, settings, base):
    lab.stop(1)
    lab.start(1, settings=dict(settings, sample_interval_ms=SAMPLE_MS, max_loss_percent=0))
    wait_until(lambda: json.loads(lab.ctl(1, "pipes", "--json").stdout)["routes"] >= 1, 30,
               "node 1's route to node 2")
    plan = [(base + pipe, msgs, start, stop) for pipe, msgs, start, stop in schedule()]
    # A receiver gives up after --timeout of silence: a pipe that starts at the shift must
    # not be given up before it starts.
    receivers = [Receiver(lab, 2, pipe, "--count", int(msgs * (stop - start)),
                          "--timeout", start + 8) for pipe, msgs, start, stop in plan]
    pending = sorted(plan, key=lambda p: p[2])
    senders = []
    samples = []
    t0 = time.monotonic()
    while time.monotonic() - t0 < 2 * HALF_S + 1:
        now = time.monotonic() - t0
        while pending and pending[0][2] <= now:
            pipe, msgs, start, stop = pending.pop(0)
            senders.append(lab.spawn(1, [perf(), "send", "--node", 2, "--pipe", pipe,
                                         "--count", int(msgs * (stop - start)), "--rate", msgs,
                                         "--size", SIZE, "--local-pipe", pipe, "--json"],
                                     env=env_for(lab, 1), stdout=open(os.devnull, "w")))
        tx = rates(lab, 1, "transmit_bits_per_second")
        rx = rates(lab, 2, "receive_bits_per_second")
        samples.append({"t": now, "tx": [v / (CAP_MBIT * 1e6) for v in tx],
                        "rx": [v / (CAP_MBIT * 1e6) for v in rx]})
        time.sleep(max(0.0, SAMPLE_MS / 1000 - (time.monotonic() - t0 - now)))
    for s in senders:
        s.wait(timeout=120)
    results = [r.result() for r in receivers]
    engines = {n: json.loads(lab.ctl(n, "pipes", "--json").stdout)["engine"] for n in (1, 2)}
    report = json.loads(lab.ctl(1, "lb", "--json").stdout)
    counters = report.get("counters", {})
    keys = {(k["src_pipe"], k["dst_pipe"]): k for k in report.get("active_keys", [])}
    return {"policy": name, "samples": samples,
            "lost": sum(r["lost"] for r in results),
            "received": sum(r["received"] for r in results),
            "repicks": counters.get("repicks", 0), "reorders": counters.get("reorders", 0),
            "seconds": 2 * HALF_S, "keys": len(keys), "per_pipe": [
                {k: r.get(k) for k in ("received", "lost", "out_of_order")} for r in results],
            "engines": engines}


MS_RSS_KEY = bytes([
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
    0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
    0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa])
TYPE_DATA = 1  # dmpd-perf's message type (tools/dmpd-perf/perf_payload.h)


def toeplitz(data, key=MS_RSS_KEY):
    """The Toeplitz hash (userspace/lb/toeplitz_hash.h), bit by bit."""
    key_bits = int.from_bytes(key, "big")
    nbits = len(key) * 8
    result = 0
    for i in range(len(data) * 8):
        if data[i // 8] & (0x80 >> (i % 8)):
            result ^= (key_bits >> (nbits - 32 - i)) & 0xFFFFFFFF
    return result


def static_port(pipe):
    """The port index the static hash gives pipe `pipe`'s key on both nodes: HashPortChooser
    takes hash mod the up ports for the sending port and hash mod the route's ports (node
    2's, by port number) for the receiving one. Senders use --local-pipe = pipe."""
    data = (1).to_bytes(2, "big") + (2).to_bytes(2, "big") + pipe.to_bytes(2, "big") + \
        pipe.to_bytes(2, "big") + bytes([TYPE_DATA])
    return toeplitz(data) % PORTS


def degraded_port(lab, criterion, base):
    """One port of node 1 degraded among healthy ones at light load: 8 pipes of 2 Mbit/s
    (each port ~20 % busy), then the busiest port capped at DEGRADED_MBIT. How many keys
    does the criterion take off it within 10 periods? The paper's WL compares the mean
    with the spread, and one hot port among nearly idle ones has a large spread: WL stays
    near 1 for 4 ports, under the 1.86 threshold, however hot the port."""
    lab.stop(1)
    lab.start(1, settings={"lb_policy": "balanced", "lb_criterion": criterion,
                           "sample_interval_ms": SAMPLE_MS, "max_loss_percent": 0})
    wait_until(lambda: json.loads(lab.ctl(1, "pipes", "--json").stdout)["routes"] >= 1, 30,
               "node 1's route to node 2")
    pipes = [base + i for i in range(8)]
    receivers = [Receiver(lab, 2, p, "--count", 250 * 20, "--timeout", 8) for p in pipes]
    senders = [lab.spawn(1, [perf(), "send", "--node", 2, "--pipe", p, "--count", 250 * 20,
                             "--rate", 250, "--size", SIZE, "--local-pipe", p, "--json"],
                         env=env_for(lab, 1), stdout=open(os.devnull, "w")) for p in pipes]
    lb_report = lambda: json.loads(lab.ctl(1, "lb", "--json").stdout)  # noqa: E731
    r = wait_until(lambda: (lambda r: r if len([k for k in r.get("active_keys", [])
                                               if k["dst_node"] == 2]) >= 8 else None)(lb_report()),
                   20, "8 active keys")
    count = {}
    for k in r["active_keys"]:
        count[k["send_port"]] = count.get(k["send_port"], 0) + 1
    port = max(count, key=count.get)
    lab.lab("shape", 1, port, f"{DEGRADED_MBIT}mbit")
    p0 = lb_report()["period"]
    wait_until(lambda: lb_report()["period"] >= p0 + 10, 30, "ten periods")
    r = lb_report()
    left = sum(1 for k in r["active_keys"] if k["dst_node"] == 2 and k["send_port"] == port)
    loads = [round(p["load"], 3) for p in r["local"]["ports"]]
    lab.lab("shape", 1, port, f"{CAP_MBIT}mbit")
    for snd in senders:
        snd.wait(timeout=120)
    for rcv in receivers:
        rcv.result()
    say(f"degraded port, {criterion}: {count[port]} keys on port {port} before, {left} ten "
        f"periods after; loads {loads}, WL {r['local']['wl']:.2f}")
    return {"criterion": criterion, "port": port, "keys_before": count[port],
            "keys_after_10_periods": left, "loads": loads, "wl": r["local"]["wl"]}


def greedy_trace(plan):
    """The greedy periodic rebalance, trace-driven on the same per-key traffic (each pipe's
    configured rate while it runs): keys start on the static hash's ports; every
    GREEDY_PERIOD_S the keys are reassigned largest first to the least-loaded sending port.
    The receiving port stays the hash's (bonding-tlb balances transmit only)."""
    cap = CAP_MBIT * 1e6
    bits = {pipe: msgs * SIZE * 8 for pipe, msgs, _, _ in plan}
    assign = {pipe: static_port(pipe) for pipe, _, _, _ in plan}
    samples, moves = [], 0
    last_rebalance = GREEDY_PHASE_S - GREEDY_PERIOD_S
    t = 0.0
    step = SAMPLE_MS / 1000
    while t < 2 * HALF_S:
        active = [p for p, _, start, stop in plan if start <= t < stop]
        if t - last_rebalance >= GREEDY_PERIOD_S:
            last_rebalance = t
            load = [0.0] * PORTS
            new = {}
            for p in sorted(active, key=lambda p: -bits[p]):
                port = load.index(min(load))
                new[p] = port
                load[port] += bits[p]
            moves += sum(1 for p in active if assign[p] != new[p])
            assign.update(new)
        tx = [0.0] * PORTS
        rx = [0.0] * PORTS
        for p in active:
            tx[assign[p]] += bits[p]
            rx[static_port(p)] += bits[p]
        samples.append({"t": t, "tx": [v / cap for v in tx], "rx": [min(v / cap, 1.0) for v in rx]})
        t += step
    return {"policy": "greedy10", "samples": samples, "repicks": moves, "reorders": moves,
            "seconds": 2 * HALF_S, "lost": None, "received": None, "trace_driven": True}


def ratio_stats(samples, side, t_from, t_to):
    """Mean over samples in [t_from, t_to) of max/mean and of the coefficient of variation
    across ports (samples with nothing flowing are skipped)."""
    mm, cv = [], []
    for s in samples:
        if not t_from <= s["t"] < t_to:
            continue
        u = s[side]
        mean = sum(u) / len(u)
        if mean <= 0.02:
            continue
        mm.append(max(u) / mean)
        cv.append(statistics.pstdev(u) / mean)
    return (statistics.fmean(mm) if mm else None, statistics.fmean(cv) if cv else None)


def reaction_s(samples):
    """Seconds after the shift until max/mean on the sending side is <= 1.10 for 3 samples
    in a row; None if never."""
    streak = 0
    for s in samples:
        if s["t"] < HALF_S:
            continue
        u = s["tx"]
        mean = sum(u) / len(u)
        streak = streak + 1 if mean > 0 and max(u) / mean <= 1.10 else 0
        if streak == 3:
            return s["t"] - HALF_S - 2 * SAMPLE_MS / 1000
    return None


def summarise(run):
    settle = 3 * SAMPLE_MS / 1000 + 2  # skip the start and the first periods after the shift
    out = {"policy": run["policy"]}
    for side in ("tx", "rx"):
        first = ratio_stats(run["samples"], side, settle, HALF_S)
        second = ratio_stats(run["samples"], side, HALF_S + settle, 2 * HALF_S)
        out[f"{side}_max_mean"] = [first[0], second[0]]
        out[f"{side}_cv"] = [first[1], second[1]]
    out["reaction_s"] = reaction_s(run["samples"])
    out["repicks_per_s"] = run["repicks"] / run["seconds"]
    out["reorders_per_s"] = run["reorders"] / run["seconds"]
    out["lost"] = run["lost"]
    out["received"] = run["received"]
    return out


def plot(run, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    for ax, side, title in ((axes[0], "tx", "sending node (node 1), transmit"),
                            (axes[1], "rx", "receiving node (node 2), receive")):
        t = [s["t"] for s in run["samples"]]
        for port in range(PORTS):
            ax.plot(t, [100 * s[side][port] for s in run["samples"]], label=f"port {port}")
        ax.axvline(HALF_S, color="grey", linestyle="--", linewidth=1)
        ax.set_ylabel("utilisation %")
        ax.set_title(f"{run['policy']}: {title}")
        ax.grid(True, alpha=0.3)
    axes[0].legend(loc="upper right", ncol=PORTS, fontsize="small")
    axes[1].set_xlabel("time (s); dashed: load shift")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def fmt(v):
    if v is None:
        return "-"
    if isinstance(v, list):
        return " / ".join(fmt(x) for x in v)
    return f"{v:.2f}" if isinstance(v, float) else str(v)


def body(lab):
    OUT.mkdir(parents=True, exist_ok=True)
    for n in (1, 2):
        for port in range(PORTS):
            lab.lab("shape", n, port, f"{CAP_MBIT}mbit")
    runs = []
    for i, (name, settings) in enumerate(POLICIES.items()):
        say(f"policy {name}: {HALF_S} s, shift, {HALF_S} s")
        runs.append(run_policy(lab, name, settings, base=1000 * (i + 1)))
    runs.append(greedy_trace([(1000 + p, m, a, b) for p, m, a, b in schedule()]))
    degraded = [degraded_port(lab, c, base=5000 + 100 * i) for i, c in enumerate(("paper", "gap"))]
    (OUT / "results.json").write_text(json.dumps({"runs": runs, "degraded": degraded}, indent=1))
    report(runs)
    print("| criterion | keys on the degraded port before | after 10 periods | loads after | WL |")
    print("|---|---|---|---|---|")
    for d in degraded:
        print(f"| {d['criterion']} | {d['keys_before']} | {d['keys_after_10_periods']} | "
              f"{d['loads']} | {d['wl']:.2f} |")


def report(runs):
    summary = [summarise(r) for r in runs]
    (OUT / "summary.json").write_text(json.dumps(summary, indent=1))
    try:
        for r in runs:
            plot(r, OUT / f"lb_{r['policy']}.png")
    except ImportError as e:
        say(f"no plots ({e}): install python3-matplotlib (ci/install-deps.sh) and run "
            f"{sys.argv[0]} --plot {OUT / 'results.json'} with Debian's python3")
    header = ("policy", "tx max/mean (1st/2nd half)", "tx CV", "rx max/mean", "rx CV",
              "reaction s", "re-picks/s", "reorders/s", "lost")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for s in summary:
        print("| " + " | ".join(fmt(x) for x in (
            s["policy"], s["tx_max_mean"], s["tx_cv"], s["rx_max_mean"], s["rx_cv"],
            s["reaction_s"], s["repicks_per_s"], s["reorders_per_s"], s["lost"])) + " |")
    say(f"plots and results.json in {OUT}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--plot"]:  # again from a run's results.json
        OUT = Path(sys.argv[2]).parent
        report(json.loads(Path(sys.argv[2]).read_text())["runs"])
        sys.exit(0)
    # Overloaded ports lose control frames too; the static hash's would make node 1 leave
    # the cluster for sustained loss (MON-7), which is not what this measures.
    run_test(body, nodes=2, ports=PORTS, deadline_s=1800,
             settings={"sample_interval_ms": SAMPLE_MS, "cluster_interval_ms": 100,
                       "max_loss_percent": 0})
