#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""vs_bench.py: the virtual service (issue 9) against the same service done by the kernel,
in one lab, with the same client and the same backends, in the same run.

  dmpd    198.19.100.1:81 on node 1 (Double-NAT on the worker lcore, `dmpd-lab vs-demo`'s
          addresses), rr over the three backends
  kernel  198.19.101.1:81 on a router namespace: nftables DNAT (numgen inc, i.e. round
          robin) + SNAT with conntrack, ip_forward; no IPVS module exists in this kernel

Backends: nginx (one worker each) on port 8081 in vs-demo's three backend namespaces,
answering `/` with a short body and `/big` with 1 MiB. Client: `wrk` in vs-demo's client
namespace. Measured for each side:

  cps         new connections per second: wrk with `Connection: close` (one request per
              connection), CONNS connections at once
  p99         wrk's 99th percentile latency of those requests
  cpu/conn    the machine's busy CPU time over the run (/proc/stat) per connection: wrk,
              nginx and the NAT together, so the difference between the sides is the NAT's
              (the daemon's worker polls while there is traffic: its core counts busy)
  throughput  wrk on keep-alive connections fetching /big, bytes per second
  busy polls  (dmpd) the share of the worker's polls that found work during each run: near
              1, the worker limits; well below, it waits for frames
  max_cc      connections held open at once until one is refused, with 100 NAT ports: the
              daemon restarted with vs_vdports=65400-65499, the router SNATs to ports
              61000-61099; ports x backends = 300 expected on both

and the ratios dmpd / kernel. Not a ctest test: run by hand, as root, on an otherwise idle
machine (the figures of the note for issue 9 came from it):

  tests/bench/vs_bench.py                    # build dir: $DMPD_BUILD_DIR or build
  SECONDS=20 CONNS=64 OUT=/tmp/vs tests/bench/vs_bench.py
  IDLE_POLLS=16 tests/bench/vs_bench.py      # the worker sleeps after 16 empty polls

Needs wrk and nginx-light (ci/install-deps.sh installs them).
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "e2e"))
from labkit import TestFailure, run, run_test, say, wait_until  # noqa: E402

SECONDS = int(os.environ.get("SECONDS", "10"))
CONNS = int(os.environ.get("CONNS", "32"))
OUT = Path(os.environ.get("OUT", "/tmp/dmpd-vs-bench"))
VIP, KVIP, PORT, BACKEND_PORT = "198.19.100.1", "198.19.101.1", 81, 8081
ROUTER_ADDRS = ["198.19.10.3/24", "198.19.11.4/24", "198.19.12.4/24"]
# A 10 s run at thousands of connections/s must not run out (each pair is held 120 s after
# its FIN), and the node's kernel keeps its ephemeral ports (32768-60999) for the checks.
WIDE_VDPORTS = "10000-32767"
SMALL_VDPORTS = "65400-65499"  # Max-CC: 100 ports, ones the runs before did not use
SNAT_PORTS = "61000-61099"


def sh(cmd, **kw):
    return run(cmd, **kw)


def ns(netns, *cmd, **kw):
    return sh(["ip", "netns", "exec", netns, *cmd], **kw)


# --------------------------------------------------------------------------- setup


def start_nginx(lab, netns, k, procs):
    d = Path(f"/run/dmpd/{lab.name}/nginx{k}")
    d.mkdir(parents=True, exist_ok=True)
    (d / "big").write_bytes(os.urandom(1 << 20))
    (d / "nginx.conf").write_text(f"""
worker_processes 1;
user root;  # the files are in the lab's state directory, which only root may read
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
worker_rlimit_nofile 65536;
events {{ worker_connections 16384; }}
http {{
  access_log off;
  client_body_temp_path {d}; proxy_temp_path {d}; fastcgi_temp_path {d};
  uwsgi_temp_path {d}; scgi_temp_path {d};
  server {{
    listen {BACKEND_PORT} backlog=4096;
    location = / {{ return 200 "backend {k}\\n"; }}
    location = /big {{ alias {d}/big; }}
  }}
}}
""")
    p = subprocess.Popen(["ip", "netns", "exec", netns, "nginx", "-c", str(d / "nginx.conf"),
                          "-p", str(d)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    procs.append(p)


def router_names(lab):
    return f"dmpd-{lab.name}-vsk", f"{lab.name}-vsk"


def create_router(lab, demo):
    netns, peer = router_names(lab)
    sh(["ip", "netns", "add", netns])
    sh(["ip", "link", "add", peer, "type", "veth", "peer", "name", "eth0", "netns", netns])
    bridge = lab.state.get("bridge", f"{lab.name}-br")
    sh(["ip", "link", "set", peer, "master", bridge])
    sh(["ip", "link", "set", peer, "up"])
    for a in ROUTER_ADDRS:
        sh(["ip", "-n", netns, "addr", "add", a, "dev", "eth0"])
    sh(["ip", "-n", netns, "link", "set", "eth0", "up"])
    sh(["ip", "-n", netns, "link", "set", "lo", "up"])
    for key, value in [("net.ipv4.ip_forward", "1"), ("net.ipv4.conf.all.send_redirects", "0"),
                       ("net.ipv4.conf.eth0.send_redirects", "0"),
                       ("net.ipv4.conf.all.rp_filter", "0"), ("net.ipv4.conf.eth0.rp_filter", "0"),
                       ("net.netfilter.nf_conntrack_max", "1048576")]:
        ns(netns, "sysctl", "-qw", f"{key}={value}", check_rc=False)
    backends = demo["backends"]
    dnat_map = ", ".join(f"{i} : {b}" for i, b in enumerate(backends))
    rules = f"""
table ip dmpd_bench {{
  chain pre {{
    type nat hook prerouting priority dstnat;
    ip daddr {KVIP} tcp dport {PORT} dnat to numgen inc mod {len(backends)} map {{ {dnat_map} }} : {BACKEND_PORT}
  }}
  chain post {{
    type nat hook postrouting priority srcnat;
    ip daddr 198.19.11.0/24 snat to 198.19.11.4
    ip daddr 198.19.12.0/24 snat to 198.19.12.4
  }}
}}
"""
    rules_file = Path(f"/run/dmpd/{lab.name}/bench.nft")
    rules_file.write_text(rules)
    ns(netns, "nft", "-f", str(rules_file))
    sh(["ip", "-n", demo["client_netns"], "route", "add", "198.19.101.0/24", "via", "198.19.10.3"])
    return netns


def limit_snat_ports(netns):
    ns(netns, "nft", "flush", "chain", "ip", "dmpd_bench", "post")
    for subnet, addr in [("198.19.11.0/24", "198.19.11.4"), ("198.19.12.0/24", "198.19.12.4")]:
        ns(netns, "nft", "add", "rule", "ip", "dmpd_bench", "post", "ip", "daddr", subnet,
           "tcp", "dport", str(BACKEND_PORT), "snat", "to", f"{addr}:{SNAT_PORTS}")
    ns(netns, "conntrack", "-F", check_rc=False)


def remove_router(lab):
    netns, peer = router_names(lab)
    sh(["ip", "link", "del", peer], check_rc=False)
    sh(["ip", "netns", "del", netns], check_rc=False)


def configure_dmpd_service(lab, demo):
    spec = f"{VIP}:{PORT}/tcp"
    lab.ctl(1, "vs", "add-service", spec, "rr")
    for b in demo["backends"]:
        lab.ctl(1, "vs", "add-backend", spec, f"{b}:{BACKEND_PORT}", 1)
    return spec


def wait_healthy(lab, spec):
    def ok():
        r = json.loads(lab.ctl(1, "vs", "--json").stdout)
        s = next((s for s in r["services"] if s["service"] == spec), None)
        return s is not None and all(b["healthy"] for b in s["backends"])
    wait_until(ok, 20, f"{spec}'s backends healthy")


# --------------------------------------------------------------------------- measuring


def busy_jiffies():
    f = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    v = [int(x) for x in f]
    idle = v[3] + v[4]
    return sum(v[:8]) - idle


def to_seconds(text):
    m = re.match(r"([\d.]+)(us|ms|s|m)", text)
    if not m:
        return None
    return float(m.group(1)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[m.group(2)]


def to_bytes(text):
    m = re.match(r"([\d.]+)([KMG]?)B", text)
    return float(m.group(1)) * {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[m.group(2)]


def worker_stats(lab):
    w = lab.status(1)["worker"]
    return w["polls"], w["empty_polls"]


def wrk(client, url, close, conns, seconds, lab=None):
    args = ["wrk", "-t2", f"-c{conns}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    if close:
        args += ["-H", "Connection: close"]
    hz = os.sysconf("SC_CLK_TCK")
    b0 = busy_jiffies()
    w0 = worker_stats(lab) if lab else None
    out = ns(client, *args, url, timeout=seconds + 60).stdout
    busy_s = (busy_jiffies() - b0) / hz
    if lab:
        # The share of the worker's polls that found work: near 1, the worker is what limits
        # the service; well below, it waits for frames (the kernel side limits).
        w1 = worker_stats(lab)
        polls = w1[0] - w0[0]
        return_busy = 1 - (w1[1] - w0[1]) / polls if polls else None
    else:
        return_busy = None
    r = {"raw": out}
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    r["requests"] = int(m.group(1))
    r["rps"] = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    r["bytes_per_s"] = to_bytes(re.search(r"Transfer/sec:\s+([\d.]+[KMG]?B)", out).group(1))
    p99 = re.search(r"\s99%\s+([\d.]+\w+)", out)
    r["p99_s"] = to_seconds(p99.group(1)) if p99 else None
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    r["socket_errors"] = [int(x) for x in errors.groups()] if errors else [0, 0, 0, 0]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    r["non_2xx"] = int(non2xx.group(1)) if non2xx else 0
    r["busy_cpu_s"] = busy_s
    r["cpu_us_per_request"] = 1e6 * busy_s / max(1, r["requests"])
    r["worker_busy_polls"] = return_busy
    return r


HOLD_SCRIPT = r"""
import socket, sys, time, resource
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
host, port, limit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
held = []
while len(held) < limit:
    s = socket.socket()
    s.settimeout(3)
    try:
        s.connect((host, port))
    except OSError:
        s.close()
        break
    held.append(s)
print(len(held), flush=True)
for s in held:
    s.close()
"""


def max_cc(client, host, limit=1000):
    """Connections opened and held until one fails (3 s: the SYN and two retransmissions)."""
    out = ns(client, sys.executable, "-c", HOLD_SCRIPT, host, str(PORT), str(limit),
             timeout=600).stdout
    return int(out.strip().splitlines()[-1])


# --------------------------------------------------------------------------- the run


def body(lab):
    OUT.mkdir(parents=True, exist_ok=True)
    demo = json.loads(lab.lab("vs-demo", "--json", timeout=120).stdout)
    client = demo["client_netns"]
    procs = []
    try:
        for k, netns in enumerate(demo["backend_netns"], 1):
            start_nginx(lab, netns, k, procs)
        router = create_router(lab, demo)
        spec = configure_dmpd_service(lab, demo)
        wait_healthy(lab, spec)
        for url in (f"http://{VIP}:{PORT}/", f"http://{KVIP}:{PORT}/"):
            wait_until(lambda: ns(client, "curl", "-sf", "-m", "2", url, check_rc=False).returncode == 0,
                       20, f"{url} to answer")
        results = {"seconds": SECONDS, "connections": CONNS}
        for side, host in (("dmpd", VIP), ("kernel", KVIP)):
            worker = lab if side == "dmpd" else None
            cps = wrk(client, f"http://{host}:{PORT}/", True, CONNS, SECONDS, worker)
            thr = wrk(client, f"http://{host}:{PORT}/big", False, 8, SECONDS, worker)
            if thr["non_2xx"] or thr["requests"] == 0:
                raise TestFailure(f"{side}: /big was not served: {thr['raw']}")
            results[side] = {"cps": cps, "throughput": thr}
            say(f"{side}: {cps['rps']:.0f} connections/s, p99 {1e3 * (cps['p99_s'] or 0):.2f} ms, "
                f"{cps['cpu_us_per_request']:.1f} us CPU per connection, errors "
                f"{cps['socket_errors']} non-2xx {cps['non_2xx']}; "
                f"{8 * thr['bytes_per_s'] / 1e9:.2f} Gbit/s on keep-alive"
                + (f"; the worker found work in {cps['worker_busy_polls']:.0%} / "
                   f"{thr['worker_busy_polls']:.0%} of its polls" if side == "dmpd" else ""))
        results["dmpd_vs_report"] = json.loads(lab.ctl(1, "vs", "--json").stdout)

        # Max-CC with 100 NAT ports on both sides.
        lab.stop(1)
        lab.start(1, settings={"vs_vdports": SMALL_VDPORTS})
        configure_dmpd_service(lab, demo)
        wait_healthy(lab, spec)
        limit_snat_ports(router)
        results["dmpd"]["max_cc"] = max_cc(client, VIP)
        results["kernel"]["max_cc"] = max_cc(client, KVIP)
        say(f"Max-CC with 100 NAT ports and 3 backends: dmpd {results['dmpd']['max_cc']}, "
            f"kernel {results['kernel']['max_cc']}")
        report(results)
        (OUT / "results.json").write_text(json.dumps(results, indent=2))
        say(f"results in {OUT / 'results.json'}")
    finally:
        for p in procs:
            try:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(p.pid, signal.SIGKILL)
        remove_router(lab)


def report(r):
    d, k = r["dmpd"], r["kernel"]

    def ratio(a, b):
        return f"{a / b:.2f}" if b else "-"
    rows = [
        ("connections/s", f"{d['cps']['rps']:.0f}", f"{k['cps']['rps']:.0f}",
         ratio(d["cps"]["rps"], k["cps"]["rps"])),
        ("p99 latency (ms)", f"{1e3 * (d['cps']['p99_s'] or 0):.2f}",
         f"{1e3 * (k['cps']['p99_s'] or 0):.2f}",
         ratio(d["cps"]["p99_s"] or 0, k["cps"]["p99_s"] or 0)),
        ("CPU per connection (us)", f"{d['cps']['cpu_us_per_request']:.1f}",
         f"{k['cps']['cpu_us_per_request']:.1f}",
         ratio(d["cps"]["cpu_us_per_request"], k["cps"]["cpu_us_per_request"])),
        ("throughput (Gbit/s)", f"{8 * d['throughput']['bytes_per_s'] / 1e9:.2f}",
         f"{8 * k['throughput']['bytes_per_s'] / 1e9:.2f}",
         ratio(d["throughput"]["bytes_per_s"], k["throughput"]["bytes_per_s"])),
        ("Max-CC (100 ports x 3)", str(d["max_cc"]), str(k["max_cc"]),
         ratio(d["max_cc"], k["max_cc"])),
    ]
    say("\n" + "\n".join(f"{a:<26} {b:>10} {c:>10} {e:>8}" for a, b, c, e in
                         [("", "dmpd", "kernel", "ratio")] + rows))


if __name__ == "__main__":
    missing = [t for t in ("wrk", "nginx", "curl") if not any(
        (Path(p) / t).exists() for p in os.environ.get("PATH", "").split(":") + ["/usr/sbin"])]
    if missing:
        print(f"vs_bench: needs {', '.join(missing)} (ci/install-deps.sh installs them)")
        sys.exit(2)
    settings = {"vs_vdports": WIDE_VDPORTS, "vs_health_interval_ms": 1000}
    if os.environ.get("IDLE_POLLS"):  # the worker's idle_polls_before_sleep (default 512)
        settings["idle_polls_before_sleep"] = int(os.environ["IDLE_POLLS"])
    run_test(body, nodes=1, ports=1, deadline_s=1800, settings=settings)
