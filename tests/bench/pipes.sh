#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# pipes.sh: pipes against their ceiling and against the kernel (issue 8, "Benchmark";
# PERF-1: always ratios from one run, never an absolute claim).
#
# One lab of two nodes with two ports each (tools/dmpd-lab), one run, the same ports, for
# 64 B and 1024 B messages:
#   (a) dpdk-testpmd txonly on node 1 p0 -> rxonly on node 2 p0 (net_af_xdp), frames of the
#       message size + DMPD overhead (Ethernet 14 + DMPD header 20 + data header 16 B), with
#       the lab's daemons stopped for that phase: the ceiling of these veth ports;
#   (b) dmpd-perf send node 1 -> recv node 2 as fast as possible, k = 1 and k = 2: msgs/s
#       and bytes/s delivered and the receiver's `lost` (no flow control: a sender faster
#       than the receiver loses); when k = 1 lost some, a short bisection of paced rates
#       (--rate) for the highest one that loses nothing;
#   (c) kernel UDP between node 1 p0 and node 2 p0's addresses with sockperf: throughput
#       (sent by sockperf tp, delivered by the receiver's UdpInDatagrams) and ping-pong RTT;
#   (d) dmpd-perf ping (RTT) against sockperf ping-pong (--full-rtt), p50/p99/p99.9.
# Then a table with the ratios and the issue's goals: pipes k=1 >= 0.8 x testpmd, >= 2 x
# kernel UDP msgs/s at 64 B, dmpd p99 below sockperf's.
#
# Not a ctest test: run it by hand, as root, on an otherwise idle machine (2 vCPUs: every
# sender and receiver here polls; other jobs distort the figures, and testpmd's tx side can
# stall outright when starved of CPU).
#   tests/bench/pipes.sh                       # build dir: $DMPD_BUILD_DIR or build-bench
#   TP_SECONDS=10 COUNT_64=2000000 tests/bench/pipes.sh
#   RESULTS=/tmp/pipes.jsonl tests/bench/pipes.sh   # keep every measurement as JSON lines
#
# testpmd's mempool: --mp-alloc=xmem (one anonymous mapping, dense), because the af_xdp PMD
# of DPDK 22.11 drops frames landing in mbufs outside its UMEM (PLATFORM.md). testpmd's
# txonly frames are IPv4/UDP, so the receiving port runs the PMD's default XDP program
# (everything to the socket), not dmpd_steer (which steers only EtherType 0x88B5 and would
# pass them to the kernel); the sending port runs dmpd_steer (xdp_prog=), which leaves IP
# and ARP to the kernel.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${DMPD_BUILD_DIR:-$repo/build-bench}
sizes=${SIZES:-64 1024}
tp_seconds=${TP_SECONDS:-6}        # testpmd txonly run per size
sp_seconds=${SP_SECONDS:-5}        # sockperf tp and pp run per size
count_64=${COUNT_64:-1000000}      # dmpd-perf messages per fast run, 64 B
count_1024=${COUNT_1024:-400000}   # and 1024 B
ping_count=${PING_COUNT:-10000}
bisect_steps=${BISECT_STEPS:-4}
paced_seconds=${PACED_SECONDS:-3}  # length of each paced run
mbufs=${MBUFS:-16384}
overhead=50                        # Ethernet 14 + DMPD header 20 + data header 16

die() { echo "pipes: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root"
for tool in dpdk-testpmd sockperf nsenter python3; do
  command -v "$tool" >/dev/null ||
    die "$tool missing (ci/install-deps.sh installs it; sockperf: apt-get install sockperf)"
done

# --- build (not sanitized: a benchmark of an ASan build measures ASan) ---------------------
# Configured once; built every time (a no-op when up to date), so the figures are of the
# tree as it is, not of whatever an older run left in the build directory.
if [ ! -f "$build/CMakeCache.txt" ]; then
  echo "pipes: configuring $build (RelWithDebInfo, no sanitizers)"
  cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDMPD_SANITIZE=OFF >/dev/null
fi
cmake --build "$build" -j"$(nproc)" --target dmpdd dmpdctl dmpd-perf dmpd_steer_skel_gen \
  >/dev/null || die "the build failed: cmake --build $build --target dmpdd dmpdctl dmpd-perf"
if grep -q '^DMPD_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then
  echo "pipes: WARNING: $build is an ASan/UBSan build; dmpd's figures are not comparable"
fi
perf=$build/tools/dmpd-perf/dmpd-perf
prog=$build/bpf/dmpd_steer.bpf.o
lab_tool=$repo/tools/dmpd-lab
export DMPD_BUILD_DIR=$build  # dmpd-lab runs the daemons from this build

# --- names unique to this run, and a trap that removes all of it ----------------------------
lab=pb$$                         # dmpd-lab: [a-z0-9], at most 10 characters
work=$(mktemp -d "/tmp/dmpd-pipes$$.XXXXXX")
results=$work/results.jsonl
prefixes=("dmpd-pipes$$-tx" "dmpd-pipes$$-rx")  # testpmd's /var/run/dpdk/<prefix>
pids=()
lab_made=0

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for p in "${pids[@]}"; do  # only what this script started, by pid
    if kill -0 "$p" 2>/dev/null; then
      kill -TERM "$p" 2>/dev/null || true
      for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$p" 2>/dev/null || true
    fi
  done
  wait 2>/dev/null || true
  if [ "$lab_made" = 1 ]; then
    "$lab_tool" down --name "$lab" >/dev/null 2>&1 ||
      echo "pipes: \`dmpd-lab down --name $lab\` failed; run it by hand" >&2
  fi
  if [ -n "${RESULTS:-}" ] && [ -f "$results" ]; then cp "$results" "$RESULTS"; fi
  for p in "${prefixes[@]}"; do rm -rf "/var/run/dpdk/$p"; done
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stop_pid() {  # stop_pid PID SIGNAL: signal one of ours and wait for it (SIGKILL after 10 s)
  local p=$1 sig=$2
  kill -"$sig" "$p" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
}

record() {  # record KIND SIZE JSON-OBJECT-TEXT: one line of $results
  python3 - "$1" "$2" "$3" >>"$results" <<'PY'
import json, sys
d = json.loads(sys.argv[3])
d.update(kind=sys.argv[1], size=int(sys.argv[2]))
print(json.dumps(d))
PY
}

# --- the lab --------------------------------------------------------------------------------
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "pipes: lab $lab (2 nodes x 2 ports), build $build, $(nproc) CPUs, $(uname -r), load $load_start"
lab_made=1  # down is harmless if up fails half-way
"$lab_tool" up --name "$lab" --nodes 2 --ports 2 >"$work/up.log" 2>&1 ||
  { tail -20 "$work/up.log"; die "dmpd-lab up failed"; }
"$lab_tool" status --name "$lab" --json >"$work/status.json"
read -r ns1 ns2 addr1 addr2 mac2 < <(python3 - "$work/status.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
n = {x["node"]: x for x in s["nodes"]}
p0 = lambda i: n[i]["ports"][0]
print(n[1]["netns"], n[2]["netns"], p0(1)["address"].split("/")[0],
      p0(2)["address"].split("/")[0], p0(2)["mac"])
PY
)
echo "pipes: node 1 p0 $addr1 -> node 2 p0 $addr2 ($mac2), through the lab's bridge"

# A program in a node's namespace with that namespace's sysfs (the af_xdp PMD reads the
# interface there) and the root bpffs. It sets an array to run, not a function that runs
# it: `"${cmd_in[@]}" prog &` must leave $! = the program's pid (nsenter, unshare and sh all
# exec), where a function would run in a subshell of its own.
in_ns() {  # in_ns NETNS: sets the array `cmd_in` for that namespace
  cmd_in=(nsenter --net="/run/netns/$1" -- unshare --mount --propagation private -- sh -c
    't=$(mktemp -d); mount --bind /sys/fs/bpf "$t"; mount -t sysfs sysfs /sys;
     mount --move "$t" /sys/fs/bpf; rmdir "$t"; exec "$@"' sh)
}

wait_line() {  # wait_line FILE PATTERN PID SECONDS: until FILE has PATTERN, PID alive
  local i
  for i in $(seq $(($4 * 10))); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || { tail -20 "$1"; die "process $3 died (log $1)"; }
    sleep 0.1
  done
  tail -20 "$1"
  die "no \"$2\" in $1 within $4 s"
}

# --- (a) testpmd txonly -> rxonly, daemons stopped ------------------------------------------
"$lab_tool" stop --name "$lab" 1 >/dev/null
"$lab_tool" stop --name "$lab" 2 >/dev/null
for size in $sizes; do
  frame=$((size + overhead))
  # rx: forwarding lcore 1, main lcore 0; tx: forwarding lcore 0, main lcore 1, so the two
  # busy loops do not share a CPU (the veth's softirq work shares them with both).
  in_ns "$ns2"
  "${cmd_in[@]}" dpdk-testpmd --no-huge -m 256 --no-pci --file-prefix "${prefixes[1]}" -l 0,1 \
    --vdev "net_af_xdp0,iface=p0" -- --forward-mode=rxonly --mp-alloc=xmem \
    --total-num-mbufs="$mbufs" --stats-period=1 >"$work/tp-rx-$size.log" 2>&1 &
  rx=$!
  pids+=("$rx")
  wait_line "$work/tp-rx-$size.log" "Port statistics" "$rx" 30
  in_ns "$ns1"
  "${cmd_in[@]}" dpdk-testpmd --no-huge -m 256 --no-pci --file-prefix "${prefixes[0]}" -l 0,1 \
    --main-lcore 1 --vdev "net_af_xdp0,iface=p0,xdp_prog=$prog" -- --forward-mode=txonly \
    --eth-peer="0,$mac2" --txpkts="$frame" --mp-alloc=xmem --total-num-mbufs="$mbufs" \
    --stats-period=1 >"$work/tp-tx-$size.log" 2>&1 &
  tx=$!
  pids+=("$tx")
  wait_line "$work/tp-tx-$size.log" "Port statistics" "$tx" 30
  sleep "$tp_seconds"
  stop_pid "$tx" INT
  sleep 1
  stop_pid "$rx" INT
  json=$(python3 - "$work/tp-rx-$size.log" "$work/tp-tx-$size.log" "$frame" <<'PY'
import json, re, statistics, sys
def samples(path, key):
    return [int(v) for v in re.findall(rf"{key}:\s+(\d+)", open(path, errors="replace").read())]
def acc(path, key):
    m = re.search(r"Accumulated forward statistics.*?" + key + r":\s+(\d+)",
                  open(path, errors="replace").read(), re.S)
    return int(m.group(1)) if m else None
def steady(v):  # the whole seconds of traffic: drop the partial first and last
    v = [x for x in v if x > 0]
    v = v[1:-1] if len(v) > 2 else v
    return statistics.median(v) if v else 0
rx, tx = sys.argv[1], sys.argv[2]
print(json.dumps({"rx_pps": steady(samples(rx, "Rx-pps")), "tx_pps": steady(samples(tx, "Tx-pps")),
                  "rx_pps_samples": [x for x in samples(rx, "Rx-pps") if x > 0],
                  "rx_packets": acc(rx, "RX-packets"), "rx_dropped": acc(rx, "RX-dropped"),
                  "tx_packets": acc(tx, "TX-packets"), "frame": int(sys.argv[3])}))
PY
)
  record testpmd "$size" "$json"
  echo "pipes: (a) testpmd $size B (frame ${frame} B): $json"
done
for n in 1 2; do
  ns=$([ $n = 1 ] && echo "$ns1" || echo "$ns2")
  if ip -n "$ns" -j link show dev p0 | grep -q '"xdp"'; then
    die "testpmd left an XDP program on node $n p0"
  fi
done
"$lab_tool" start --name "$lab" 1 >/dev/null
"$lab_tool" start --name "$lab" 2 >/dev/null

# --- (b) dmpd-perf ---------------------------------------------------------------------------
pipe_id=100
# recv_start: starts `dmpd-perf recv` on node 2 on a fresh pipe; sets $recv_pid, $recv_pipe.
recv_start() {
  pipe_id=$((pipe_id + 1))
  recv_pipe=$pipe_id
  "$lab_tool" exec --name "$lab" 2 -- "$perf" recv --pipe "$recv_pipe" --timeout 2 --json \
    >"$work/recv-$recv_pipe.json" 2>"$work/recv-$recv_pipe.err" &
  recv_pid=$!
  pids+=("$recv_pid")
  wait_line "$work/recv-$recv_pipe.err" "receiving on" "$recv_pid" 20
}
recv_end() {  # waits for recv (end marker, or 2 s of silence); sets $recv_json
  local i
  for i in $(seq 300); do kill -0 "$recv_pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$recv_pid" 2>/dev/null && stop_pid "$recv_pid" TERM
  wait "$recv_pid" 2>/dev/null || true
  recv_json=$(tail -1 "$work/recv-$recv_pipe.json")
}
# perf_run SIZE COUNT COPIES RATE: one send -> recv; sets $run_json (both sides' figures).
# Not in $(...): the pids it starts must be this shell's, for the trap.
perf_run() {
  recv_start
  "$lab_tool" exec --name "$lab" 1 -- "$perf" send --node 2 --pipe "$recv_pipe" \
    --size "$1" --count "$2" --copies "$3" --rate "$4" --json \
    >"$work/send-$recv_pipe.json" 2>"$work/send-$recv_pipe.err" || true
  recv_end
  run_json=$(python3 - "$(tail -1 "$work/send-$recv_pipe.json")" "$recv_json" "$3" "$4" <<'PY'
import json, sys
s = json.loads(sys.argv[1] or "{}")
r = json.loads(sys.argv[2] or "{}")
print(json.dumps({"copies": int(sys.argv[3]), "rate": int(sys.argv[4]),
                  "sent": s.get("sent"), "send_msgs_per_s": s.get("msgs_per_s"),
                  "received": r.get("received"), "lost": r.get("lost"),
                  "duplicates": r.get("duplicates"), "out_of_order": r.get("out_of_order"),
                  "corrupt": r.get("corrupt"), "msgs_per_s": r.get("msgs_per_s"),
                  "bytes_per_s": r.get("bytes_per_s")}))
PY
)
}

# The daemons came back: wait until a short run arrives whole (cluster formed, routes set).
ok=0
for _ in $(seq 15); do
  perf_run 64 2000 1 20000
  if python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if d["received"] == 2000 else 1)' "$run_json"; then
    ok=1; break
  fi
  sleep 1
done
[ "$ok" = 1 ] || die "pipes between node 1 and node 2 do not work after the restart ($run_json)"

for size in $sizes; do
  count=$([ "$size" -le 64 ] && echo "$count_64" || echo "$count_1024")
  for k in 1 2; do
    perf_run "$size" "$count" "$k" 0
    json=$run_json
    record pipes "$size" "$json"
    echo "pipes: (b) dmpd-perf $size B k=$k: $json"
  done
  # Paced, k = 1: bisect between nothing and the fast sender's rate for the highest rate
  # that loses nothing (only when the fast run lost some).
  fast=$(python3 - "$results" "$size" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
r = [x for x in rows if x["kind"] == "pipes" and x["size"] == int(sys.argv[2]) and x["copies"] == 1][-1]
print(int(r["lost"] or 0), int(r["msgs_per_s"] or 0), int(r["send_msgs_per_s"] or 0))
PY
)
  read -r fast_lost fast_rx fast_tx <<<"$fast"
  if [ "$fast_lost" -gt 0 ] && [ "$fast_rx" -gt 0 ]; then
    lo=0; hi=$fast_tx; rate=$((fast_rx * 9 / 10))
    for _ in $(seq "$bisect_steps"); do
      n=$((rate * paced_seconds)); [ "$n" -lt 20000 ] && n=20000
      perf_run "$size" "$n" 1 "$rate"
      json=$run_json
      record paced "$size" "$json"
      lost=$(python3 -c 'import json,sys; print(int(json.loads(sys.argv[1])["lost"] or 0))' "$json")
      echo "pipes: (b) paced $size B k=1 at $rate msgs/s: lost $lost"
      if [ "$lost" -eq 0 ]; then lo=$rate; else hi=$rate; fi
      if [ "$lo" -gt 0 ]; then rate=$(((lo + hi) / 2)); else rate=$((rate / 2)); fi
    done
  fi
done

# --- (d) dmpd-perf ping ----------------------------------------------------------------------
for size in $sizes; do
  recv_start
  ping=$("$lab_tool" exec --name "$lab" 1 -- "$perf" ping --node 2 --pipe "$recv_pipe" \
    --size "$size" --count "$ping_count" --json 2>"$work/ping-$size.err" | tail -1) || true
  recv_end
  json=$(python3 - "$ping" <<'PY'
import json, sys
d = json.loads(sys.argv[1] or "{}")
l = d.get("latency_us") or {}
print(json.dumps({"received": d.get("received"), "lost": d.get("lost"), "p50": l.get("p50"),
                  "p99": l.get("p99"), "p999": l.get("p999"), "max": l.get("max")}))
PY
)
  record dmpd_ping "$size" "$json"
  echo "pipes: (d) dmpd-perf ping $size B: $json"
done

# --- (c) kernel UDP with sockperf ------------------------------------------------------------
udp_port=11111
snmp_udp() {  # snmp_udp NETNS: "InDatagrams RcvbufErrors InErrors" of that namespace
  nsenter --net="/run/netns/$1" -- python3 -c '
lines = [l.split() for l in open("/proc/net/snmp") if l.startswith("Udp:")]
d = dict(zip(lines[0][1:], map(int, lines[1][1:])))
print(d["InDatagrams"], d["RcvbufErrors"], d["InErrors"])'
}
nsenter --net="/run/netns/$ns2" -- sockperf server -i "$addr2" -p "$udp_port" \
  >"$work/sockperf-server.log" 2>&1 &
srv=$!
pids+=("$srv")
sleep 1
kill -0 "$srv" 2>/dev/null || { cat "$work/sockperf-server.log"; die "sockperf server died"; }
for size in $sizes; do
  read -r in0 buf0 err0 < <(snmp_udp "$ns2")
  t0=$(date +%s.%N)
  nsenter --net="/run/netns/$ns1" -- sockperf tp -i "$addr2" -p "$udp_port" -m "$size" \
    -t "$sp_seconds" --client_ip "$addr1" >"$work/sockperf-tp-$size.log" 2>&1 ||
    { tail "$work/sockperf-tp-$size.log"; die "sockperf tp failed"; }
  t1=$(date +%s.%N)
  read -r in1 buf1 err1 < <(snmp_udp "$ns2")
  nsenter --net="/run/netns/$ns1" -- sockperf pp -i "$addr2" -p "$udp_port" -m "$size" \
    -t "$sp_seconds" --full-rtt --client_ip "$addr1" >"$work/sockperf-pp-$size.log" 2>&1 ||
    { tail "$work/sockperf-pp-$size.log"; die "sockperf pp failed"; }
  json=$(python3 - "$work/sockperf-tp-$size.log" "$work/sockperf-pp-$size.log" "$sp_seconds" \
    "$((in1 - in0))" "$((buf1 - buf0))" "$((err1 - err0))" <<'PY'
import json, re, sys
tp = open(sys.argv[1], errors="replace").read()
pp = open(sys.argv[2], errors="replace").read()
def pct(p):
    m = re.search(rf"percentile {p}\s*=\s*([\d.]+)", pp)
    return float(m.group(1)) if m else None
rate = re.search(r"Message Rate is (\d+)", tp)
seconds = float(sys.argv[3])
print(json.dumps({"sent_msgs_per_s": int(rate.group(1)) if rate else None,
                  # delivered to the socket, over the client's duration (tp's warm-up and
                  # the pauses around it make this a slight underestimate)
                  "msgs_per_s": int(sys.argv[4]) / seconds,
                  "in_datagrams": int(sys.argv[4]), "rcvbuf_errors": int(sys.argv[5]),
                  "in_errors": int(sys.argv[6]),
                  "p50": pct("50.000"), "p99": pct("99.000"), "p999": pct("99.900")}))
PY
)
  record udp "$size" "$json"
  echo "pipes: (c) sockperf $size B: $json"
done
stop_pid "$srv" TERM

# --- report ---------------------------------------------------------------------------------
python3 - "$results" "$load_start" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def get(kind, size, **kw):
    r = [x for x in rows if x["kind"] == kind and x["size"] == size and
         all(x.get(k) == v for k, v in kw.items())]
    return r[-1] if r else {}
def f(v, unit=""):
    if v is None:
        return "-"
    if unit == "M":
        return f"{v / 1e6:.3f} M"
    if unit == "MB":
        return f"{v / 1e6:.1f} MB/s"
    return f"{v:,.0f}" if abs(v) >= 100 or float(v).is_integer() else f"{v:.1f}"
def ratio(a, b):
    return a / b if a and b else None
sizes = sorted({x["size"] for x in rows})
print()
print("=== pipes benchmark: 2 nodes x 2 ports, veth through a bridge, AF_XDP copy mode ===")
print(f"load average at the start {sys.argv[2]}, at the end {sys.argv[3]} "
      f"(anything else running distorts every figure)")
hdr = f"{'':38}" + "".join(f"{str(s) + ' B':>22}" for s in sizes)
print(hdr)
def line(label, vals):
    print(f"{label:38}" + "".join(f"{v:>22}" for v in vals))
line("(a) testpmd rxonly frames/s", [f(get("testpmd", s).get("rx_pps")) for s in sizes])
line("    testpmd txonly frames/s", [f(get("testpmd", s).get("tx_pps")) for s in sizes])
line("    testpmd RX-dropped (socket)", [f(get("testpmd", s).get("rx_dropped")) for s in sizes])
for k in (1, 2):
    p = {s: get("pipes", s, copies=k) for s in sizes}
    line(f"(b) pipes k={k} delivered msgs/s", [f(p[s].get("msgs_per_s")) for s in sizes])
    line(f"    pipes k={k} delivered bytes/s", [f(p[s].get("bytes_per_s"), "MB") for s in sizes])
    line(f"    pipes k={k} sender msgs/s", [f(p[s].get("send_msgs_per_s")) for s in sizes])
    line(f"    pipes k={k} lost / sent",
         [f"{p[s].get('lost')} / {p[s].get('sent')}" for s in sizes])
best = {}
for s in sizes:
    ok = [x["rate"] for x in rows if x["kind"] == "paced" and x["size"] == s and x["lost"] == 0]
    fast = get("pipes", s, copies=1)
    best[s] = max(ok) if ok else (fast.get("msgs_per_s") if fast.get("lost") == 0 else None)
line("    pipes k=1 highest 0-loss rate", [f(best[s]) for s in sizes])
line("(c) kernel UDP sent msgs/s (sockperf)", [f(get("udp", s).get("sent_msgs_per_s")) for s in sizes])
line("    kernel UDP delivered msgs/s", [f(get("udp", s).get("msgs_per_s")) for s in sizes])
line("    kernel UDP rcvbuf drops", [f(get("udp", s).get("rcvbuf_errors")) for s in sizes])
for i, (q, name) in enumerate((("p50", "p50"), ("p99", "p99"), ("p999", "p99.9"))):
    line(f"{'(d)' if i == 0 else '   '} dmpd-perf ping RTT {name} us",
         [f(get("dmpd_ping", s).get(q)) for s in sizes])
for q, name in (("p50", "p50"), ("p99", "p99"), ("p999", "p99.9")):
    line(f"    sockperf pp RTT {name} us", [f(get("udp", s).get(q)) for s in sizes])
for s in sizes:
    paced = [f"{x['rate']:,}: {x['lost']} lost" for x in rows
             if x["kind"] == "paced" and x["size"] == s]
    if paced:
        print(f"    paced k=1 runs, {s} B (msgs/s: lost): " + ", ".join(paced))
print()
print("ratios")
goals = []
for s in sizes:
    tp = get("testpmd", s).get("rx_pps")
    r1 = ratio(get("pipes", s, copies=1).get("msgs_per_s"), tp)
    r0 = ratio(best[s], tp)
    print(f"  {s:>5} B  pipes k=1 / testpmd rx: {r1:.2f} (goal >= 0.8)" if r1 else f"  {s} B: -",
          f"  0-loss rate / testpmd: {r0:.2f}" if r0 else "")
    if s == 64:
        goals.append(("pipes k=1 >= 0.8 x testpmd (64 B)", r1 is not None and r1 >= 0.8))
    u = get("udp", s)
    ru = ratio(get("pipes", s, copies=1).get("msgs_per_s"), u.get("msgs_per_s"))
    rs = ratio(get("pipes", s, copies=1).get("msgs_per_s"), u.get("sent_msgs_per_s"))
    print(f"  {s:>5} B  pipes k=1 / kernel UDP delivered: {ru:.2f}, / UDP sent: {rs:.2f}"
          + (" (goal >= 2 at 64 B)" if s == 64 else "") if ru and rs else f"  {s} B: UDP -")
    if s == 64:
        goals.append(("pipes >= 2 x kernel UDP msgs/s (64 B, delivered)", ru is not None and ru >= 2))
    dp, sp = get("dmpd_ping", s).get("p99"), u.get("p99")
    rp = ratio(dp, sp)
    print(f"  {s:>5} B  p99 RTT dmpd / sockperf: {rp:.2f} (goal < 1)" if rp else f"  {s} B: p99 -")
    goals.append((f"p99 dmpd below sockperf ({s} B)", rp is not None and rp < 1))
for s in sizes:
    tp = get("testpmd", s).get("rx_pps")
    r1 = ratio(get("pipes", s, copies=1).get("msgs_per_s"), tp)
    if s != 64:
        goals.append((f"pipes k=1 >= 0.8 x testpmd ({s} B)", r1 is not None and r1 >= 0.8))
print()
print("goals (issue 8)")
for name, met in goals:
    print(f"  {'MET    ' if met else 'NOT MET'}  {name}")
PY
