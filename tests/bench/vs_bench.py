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
  syn rtx     the client's SYN retransmissions during the cps run (each a 1 s wait)
  cpu/conn    the machine's busy CPU time over the run (/proc/stat) per connection: wrk,
              nginx and the NAT together, so the difference between the sides is the NAT's
              (the daemon's worker polls while there is traffic: its core counts busy)
  throughput  wrk on keep-alive connections fetching /big, bytes per second
  busy polls  (dmpd) the share of the worker's polls that found work during each run: near
              1, the worker limits; well below, it waits for frames (or its polls with
              work are long ones)
  worker cpu  (dmpd) the worker thread's CPU, user and system, as a share of one CPU: the
              af_xdp PMD's sendto runs the receiving side's kernel path in the worker
  udp rtt     sockperf ping-pong (64 B, one message in flight) to a UDP service on port
              5001 over sockperf servers on the backends: the time of one packet each way
              through the NAT and the backend, with nothing queued
  xdp on port (kernel) cps, throughput and udp rtt again with an XDP_PASS program on the
              router's port, as every dmpd port has one: XDP on a veth takes GSO/GRO away
              from its peer and caps the MTU, whatever the program does
  max_cc      connections held open at once until one is refused, with 100 NAT ports: the
              daemon restarted with vs_vdports=65400-65499, the router SNATs to ports
              61000-61099; ports x backends = 300 expected on both

and the ratios dmpd / kernel. Not a ctest test: run by hand, as root, on an otherwise idle
machine (the figures of the note for issue 9 came from it):

  tests/bench/vs_bench.py                    # build dir: $DMPD_BUILD_DIR or build
  SECONDS=20 CONNS=64 OUT=/tmp/vs tests/bench/vs_bench.py
  IDLE_POLLS=16 tests/bench/vs_bench.py      # the worker sleeps after 16 empty polls
  RPS=1 tests/bench/vs_bench.py              # RPS on the switch's ports (spread_with_rps)
  NAPI=1 tests/bench/vs_bench.py             # switch ports receive on NAPI threads
  MTU=3400 tests/bench/vs_bench.py           # every interface of both paths at this MTU

Needs wrk, nginx-light, sockperf and clang (ci/install-deps.sh installs them).
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
UDP_PORT = 5001  # sockperf servers on the backends; the UDP service on both sides
UDP_MSG = 64     # bytes per sockperf message


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
    mtu = str(lab.state.get("mtu", 1500))
    sh(["ip", "link", "add", peer, "mtu", mtu, "type", "veth", "peer", "name", "eth0", "mtu", mtu,
        "netns", netns])
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
    ip daddr {KVIP} udp dport {UDP_PORT} dnat to numgen inc mod {len(backends)} map {{ {dnat_map} }} : {UDP_PORT}
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


XDP_PASS_C = """
struct xdp_md;
__attribute__((section("xdp"), used)) int xdp_pass(struct xdp_md *ctx) { return 2; /* XDP_PASS */ }
char _license[] __attribute__((section("license"), used)) = "GPL";
"""


def attach_xdp_pass(netns):
    """An XDP program that passes every frame, on the router's port: a veth with XDP
    attached loses GSO/GRO from its peer and its MTU is capped (drivers/net/veth.c), as
    every dmpd port is. The kernel's NAT measured again that way separates what XDP on a
    veth costs from what the AF_XDP path costs."""
    src, obj = OUT / "xdp_pass.c", OUT / "xdp_pass.o"
    src.write_text(XDP_PASS_C)
    sh(["clang", "-O2", "-target", "bpf", "-c", str(src), "-o", str(obj)])
    ns(netns, "ip", "link", "set", "dev", "eth0", "xdpdrv", "obj", str(obj), "sec", "xdp")


def detach_xdp(netns):
    ns(netns, "ip", "link", "set", "dev", "eth0", "xdpdrv", "off", check_rc=False)


def spread_with_rps(lab):
    """RPS on every port of the lab's switch: a frame a host sends is then processed by
    the CPU its flow hashes to, not inside the sender's syscall. On veth the af_xdp PMD's
    sendto runs the receiving host's path (bridge, veth, TCP) in the worker's thread; with
    RPS that work spreads over the CPUs, as it would happen on the other machines behind a
    real NIC. Applied to both sides' paths alike (the router's port is on the switch too)."""
    bridge = lab.state.get("bridge", f"{lab.name}-br")
    mask = format((1 << os.cpu_count()) - 1, "x")
    for link in json.loads(sh(["ip", "-j", "link", "show", "master", bridge]).stdout):
        for q in Path(f"/sys/class/net/{link['ifname']}/queues").glob("rx-*"):
            (q / "rps_cpus").write_text(mask)


def receive_on_napi_threads(lab):
    """GRO and threaded NAPI on the switch's end of node 1's ports, so that a frame the
    daemon sends is received by a kernel thread of the switch port, not inside the
    worker's syscall: the af_xdp PMD's sendto otherwise runs the bridge and the receiving
    host's TCP in the worker's thread, work the receiving machine would do behind a real
    NIC. veth hands a frame to its peer's NAPI only if the sending end has no TSO
    (drivers/net/veth.c, veth_skb_is_eligible_for_gro), so TSO is turned off on node 1's
    ports. The same on the router's port would change nothing: it forwards GSO skbs,
    which never take that path. Not on the hosts' ports either: GRO there would turn
    their whole checksums into partial ones on the way to node 1 (what vs-demo's `tx off`
    avoids, docs/lab.md)."""
    for port in lab.node(1)["ports"]:
        sh(["ethtool", "-K", port["bridge_peer"], "gro", "on"])
        Path(f"/sys/class/net/{port['bridge_peer']}/threaded").write_text("1")
        ns(lab.netns(1), "ethtool", "-K", port["interface"], "tso", "off")


def remove_router(lab):
    netns, peer = router_names(lab)
    sh(["ip", "link", "del", peer], check_rc=False)
    sh(["ip", "netns", "del", netns], check_rc=False)


def configure_dmpd_service(lab, demo, vport=PORT, backend_port=BACKEND_PORT, proto="tcp"):
    """A round-robin service on the VIP over the demo's backends; returns its spec."""
    spec = f"{VIP}:{vport}/{proto}"
    lab.ctl(1, "vs", "add-service", spec, "rr")
    for b in demo["backends"]:
        lab.ctl(1, "vs", "add-backend", spec, f"{b}:{backend_port}", 1)
    return spec


def start_sockperf_servers(demo, procs):
    for netns, addr in zip(demo["backend_netns"], demo["backends"]):
        p = subprocess.Popen(["ip", "netns", "exec", netns, "sockperf", "server", "-i", addr,
                              "-p", str(UDP_PORT)], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
        procs.append(p)


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


def worker_thread_cpu_s(lab):
    """CPU seconds (user, system) of node 1's worker lcore threads: the af_xdp PMD's
    transmit runs the receiving side's kernel path (veth, bridge, the host's TCP) inside
    the worker's sendto, so the system part is work done for the frames it forwards."""
    pid = Path(f"/run/dmpd/{lab.name}/node1.pid").read_text().split()[0]
    hz = os.sysconf("SC_CLK_TCK")
    user = system = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        if not (task / "comm").read_text().startswith("rte-worker"):
            continue
        f = (task / "stat").read_text().rsplit(")", 1)[1].split()
        user, system = user + int(f[11]), system + int(f[12])
    return user / hz, system / hz


def syn_retransmissions(client):
    """The client's SYN retransmissions so far: a connection whose SYN went unanswered
    (dropped, or refused by a backend still holding TIME_WAIT for the 4-tuple) waits 1 s."""
    out = ns(client, "nstat", "-asz", "TcpExtTCPSynRetrans").stdout
    m = re.search(r"TcpExtTCPSynRetrans\s+(\d+)", out)
    return int(m.group(1)) if m else 0


def wrk(client, url, close, conns, seconds, lab=None):
    args = ["wrk", "-t2", f"-c{conns}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    if close:
        args += ["-H", "Connection: close"]
    hz = os.sysconf("SC_CLK_TCK")
    b0 = busy_jiffies()
    w0 = worker_stats(lab) if lab else None
    c0 = worker_thread_cpu_s(lab) if lab else None
    t0 = time.monotonic()
    syn0 = syn_retransmissions(client)
    out = ns(client, *args, url, timeout=seconds + 60).stdout
    syn1 = syn_retransmissions(client)
    busy_s = (busy_jiffies() - b0) / hz
    wall_s = time.monotonic() - t0
    c1 = worker_thread_cpu_s(lab) if lab else None
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
    r["syn_retransmissions"] = syn1 - syn0
    r["busy_cpu_s"] = busy_s
    r["cpu_us_per_request"] = 1e6 * busy_s / max(1, r["requests"])
    r["worker_busy_polls"] = return_busy
    if lab:  # share of one CPU the worker thread used, in user space and in the kernel
        r["worker_cpu_user"] = (c1[0] - c0[0]) / wall_s
        r["worker_cpu_system"] = (c1[1] - c0[1]) / wall_s
    return r


def sockperf_pp(client, host, seconds):
    """UDP ping-pong RTT (µs): one message in flight, so every figure is the time of one
    request and its answer through the path, with nothing queued behind it."""
    out = ns(client, "sockperf", "pp", "-i", host, "-p", str(UDP_PORT), "-m", str(UDP_MSG),
             "-t", str(seconds), "--full-rtt", timeout=seconds + 60).stdout

    def pct(p):
        m = re.search(rf"percentile {p}\s*=\s*([\d.]+)", out)
        return float(m.group(1)) if m else None
    avg = re.search(r"avg-rtt=([\d.]+)", out) or re.search(r"avg-lat=\s*([\d.]+)", out)
    r = {"p50_us": pct("50.000"), "p99_us": pct("99.000"), "p999_us": pct("99.900"),
         "avg_us": float(avg.group(1)) if avg else None}
    if r["p50_us"] is None:
        raise TestFailure(f"sockperf pp to {host}: no percentiles in its output:\n{out[-2000:]}")
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
        start_sockperf_servers(demo, procs)
        router = create_router(lab, demo)
        spec = configure_dmpd_service(lab, demo)
        configure_dmpd_service(lab, demo, UDP_PORT, UDP_PORT, "udp")
        wait_healthy(lab, spec)
        if os.environ.get("RPS") == "1":
            spread_with_rps(lab)
        if os.environ.get("NAPI") == "1":
            receive_on_napi_threads(lab)
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
            rtt = sockperf_pp(client, host, SECONDS)
            results[side] = {"cps": cps, "throughput": thr, "udp_rtt": rtt}
            say(f"{side}: {cps['rps']:.0f} connections/s, p99 {1e3 * (cps['p99_s'] or 0):.2f} ms, "
                f"{cps['cpu_us_per_request']:.1f} us CPU per connection, "
                f"{cps['syn_retransmissions']} SYN retransmissions, errors "
                f"{cps['socket_errors']} non-2xx {cps['non_2xx']}; "
                f"{8 * thr['bytes_per_s'] / 1e9:.2f} Gbit/s on keep-alive"
                + (f"; the worker found work in {cps['worker_busy_polls']:.0%} / "
                   f"{thr['worker_busy_polls']:.0%} of its polls and used "
                   f"{cps['worker_cpu_user']:.0%} + {cps['worker_cpu_system']:.0%} / "
                   f"{thr['worker_cpu_user']:.0%} + {thr['worker_cpu_system']:.0%} of a CPU "
                   "(user + system)" if side == "dmpd" else "")
                + f"; UDP RTT p50 {rtt['p50_us']:.0f} us, p99 {rtt['p99_us']:.0f} us")
        results["dmpd_vs_report"] = json.loads(lab.ctl(1, "vs", "--json").stdout)

        # The kernel's NAT again, with an XDP program on the router's port as on dmpd's.
        attach_xdp_pass(router)
        try:
            kx = {"cps": wrk(client, f"http://{KVIP}:{PORT}/", True, CONNS, SECONDS),
                  "throughput": wrk(client, f"http://{KVIP}:{PORT}/big", False, 8, SECONDS),
                  "udp_rtt": sockperf_pp(client, KVIP, SECONDS)}
        finally:
            detach_xdp(router)
        results["kernel_xdp_on_port"] = kx
        say(f"kernel, XDP_PASS on the router's port: {kx['cps']['rps']:.0f} connections/s, "
            f"{8 * kx['throughput']['bytes_per_s'] / 1e9:.2f} Gbit/s, UDP RTT p50 "
            f"{kx['udp_rtt']['p50_us']:.0f} us")

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
    d, k, kx = r["dmpd"], r["kernel"], r.get("kernel_xdp_on_port")
    metrics = [  # label, a side's figure, format; kx: measured with XDP on the router too
        ("connections/s", lambda x: x["cps"]["rps"], "{:.0f}", True),
        ("p99 latency (ms)", lambda x: 1e3 * (x["cps"]["p99_s"] or 0), "{:.2f}", False),
        ("CPU per connection (us)", lambda x: x["cps"]["cpu_us_per_request"], "{:.1f}", False),
        ("throughput (Gbit/s)", lambda x: 8 * x["throughput"]["bytes_per_s"] / 1e9, "{:.2f}", True),
        ("UDP RTT p50 (us)", lambda x: x["udp_rtt"]["p50_us"], "{:.0f}", True),
        ("UDP RTT p99 (us)", lambda x: x["udp_rtt"]["p99_us"], "{:.0f}", False),
        ("Max-CC (100 ports x 3)", lambda x: x["max_cc"], "{}", False),
    ]

    def row(label, figure, fmt, other):
        a, b = figure(d), figure(other)
        return (label, fmt.format(a), fmt.format(b), f"{a / b:.2f}" if b else "-")
    rows = [row(label, figure, fmt, k) for label, figure, fmt, _ in metrics]
    if kx:
        rows += [row(f"{label}, XDP on port", figure, fmt, kx)
                 for label, figure, fmt, with_xdp in metrics if with_xdp]
    say("\n" + "\n".join(f"{a:<34} {b:>10} {c:>10} {e:>8}" for a, b, c, e in
                         [("", "dmpd", "kernel", "ratio")] + rows))


if __name__ == "__main__":
    missing = [t for t in ("wrk", "nginx", "curl", "sockperf", "clang") if not any(
        (Path(p) / t).exists() for p in os.environ.get("PATH", "").split(":") + ["/usr/sbin"])]
    if missing:
        print(f"vs_bench: needs {', '.join(missing)} (ci/install-deps.sh installs them)")
        sys.exit(2)
    settings = {"vs_vdports": WIDE_VDPORTS, "vs_health_interval_ms": 1000}
    if os.environ.get("IDLE_POLLS"):  # the worker's idle_polls_before_sleep (default 512)
        settings["idle_polls_before_sleep"] = int(os.environ["IDLE_POLLS"])
    run_test(body, nodes=1, ports=1, deadline_s=1800, settings=settings,
             mtu=int(os.environ.get("MTU", "1500")))
