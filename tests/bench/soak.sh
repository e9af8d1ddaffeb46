#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# soak.sh: a 4 x 2 lab at a 100 ms cluster interval with 1 % random loss each way on every
# port of every node, for DURATION seconds (default 600), and nothing else going wrong.
# Counts:
#   - false failures: any member not `alive` in any node's view (`cluster` polled on every
#     node every second), and the member lines "node N suspect|failed" in the daemons' logs
#     (the logs see transitions shorter than a poll period);
#   - elections: term changes seen by the poll, and "role ... -> candidate" log lines;
#   - control traffic per node: per-port `status` counters before/after (daemon
#     control_frames and control_messages received, pmd rx/tx packets and bytes, which on
#     an idle lab are the control frames plus the neighbour hellos, counted apart as
#     hellos_sent), per second.
# The loss is applied after the cluster has converged; its own counters (frames dropped by
# the lab's cls_bpf program) are printed at the end, to show it did what it says.
#
# Not a ctest test: run it by hand, as root, with an unsanitised build.
#   tests/bench/soak.sh                      # 600 s; DMPD_BUILD_DIR defaults to build-rel
#   DURATION=60 LOSS=1 INTERVAL_MS=100 tests/bench/soak.sh
# The lab is named sk<pid> and removed on every exit path.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
export DMPD_BUILD_DIR=${DMPD_BUILD_DIR:-$repo/build-rel}
duration=${DURATION:-600}
loss=${LOSS:-1}
interval_ms=${INTERVAL_MS:-100}
nodes=${NODES:-4}
ports=${PORTS:-2}
lab_tool=$repo/tools/dmpd-lab
name=sk$$
name=${name:0:10}
state=/run/dmpd/$name
work=$(mktemp -d "/tmp/dmpd-soak$$.XXXXXX")
poller=

if [ "$(id -u)" -ne 0 ]; then
  echo "soak: needs root" >&2
  exit 1
fi
if [ ! -x "$DMPD_BUILD_DIR/userspace/daemon/dmpdd" ] || [ ! -f "$DMPD_BUILD_DIR/bpf/lab_loss.bpf.o" ]; then
  echo "soak: build first: cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release -DDMPD_SANITIZE=OFF" \
       "&& cmake --build build-rel --target dmpdd dmpdctl lab_loss_bpf" >&2
  exit 1
fi

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$poller" ] && kill -0 "$poller" 2>/dev/null; then
    kill -TERM "$poller" 2>/dev/null || true
    wait "$poller" 2>/dev/null || true
  fi
  "$lab_tool" down --name "$name" >/dev/null 2>&1 || true
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

lab() { "$lab_tool" "$@" --name "$name"; }

echo "soak: lab $name, $nodes x $ports, interval $interval_ms ms, loss $loss % each way on every" \
     "port, $duration s; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
lab up --nodes "$nodes" --ports "$ports" --set "cluster_interval_ms=$interval_ms" >"$work/up.log"

# --- the poller: `cluster` on every node every second, plus `status` at start and end ----
cat >"$work/poll.py" <<'PY'
import json, signal, socket, sys, time
state, nodes, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
stop = False
def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
def ask(node, cmd):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect(f"{state}/node{node}.sock")
        s.sendall(cmd.encode() + b"\n")
        buf = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            buf += b
        return json.loads(buf)
    except (OSError, ValueError):
        return None
    finally:
        s.close()
with open(out, "w") as f:
    next_t = time.monotonic()
    while not stop:
        for n in range(1, nodes + 1):
            v = ask(n, "cluster")
            rec = {"t": time.time(), "node": n}
            if v is None:
                rec["error"] = "no answer"
            else:
                rec.update(role=v["role"], master=v["master"], term=v["term"],
                           members={str(m["node"]): m["state"] for m in v["members"]})
            f.write(json.dumps(rec) + "\n")
        f.flush()
        next_t += 1.0
        time.sleep(max(0.0, next_t - time.monotonic()))
PY

snap() {  # snap FILE: every node's status --json, one JSON object by node
  python3 - "$state" "$nodes" "$1" <<'PY'
import json, socket, sys, time
state, nodes, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
res = {"t": time.time()}
for n in range(1, nodes + 1):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.settimeout(5)
    s.connect(f"{state}/node{n}.sock"); s.sendall(b"status\n")
    buf = b""
    while True:
        b = s.recv(65536)
        if not b: break
        buf += b
    res[str(n)] = json.loads(buf)
json.dump(res, open(out, "w"))
PY
}

# Converged before the loss: one master, all followers, every member alive everywhere.
for _ in $(seq 300); do
  if python3 - "$state" "$nodes" <<'PY'
import json, socket, sys
state, nodes = sys.argv[1], int(sys.argv[2])
views = []
for n in range(1, nodes + 1):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.settimeout(2)
    s.connect(f"{state}/node{n}.sock"); s.sendall(b"cluster\n")
    buf = b""
    while True:
        b = s.recv(65536)
        if not b: break
        buf += b
    views.append(json.loads(buf))
ok = (len({v["master"] for v in views}) == 1 and views[0]["master"] is not None and
      sum(v["role"] == "master" for v in views) == 1 and
      all(len(v["members"]) == nodes and all(m["state"] == "alive" for m in v["members"])
          for v in views))
sys.exit(0 if ok else 1)
PY
  then converged=1; break; fi
  sleep 0.1
done
[ "${converged:-0}" = 1 ] || { echo "soak: the lab did not converge" >&2; exit 1; }

for n in $(seq "$nodes"); do
  for p in $(seq 0 $((ports - 1))); do lab loss "$n" "$p" "$loss" >/dev/null; done
done
# Log lines from here on only.
declare -A log_from
for n in $(seq "$nodes"); do log_from[$n]=$(stat -c %s "$state/node$n.log"); done
snap "$work/status0.json"
python3 "$work/poll.py" "$state" "$nodes" "$work/poll.jsonl" &
poller=$!
t_start=$(date +%s)
echo "soak: loss applied at $(date -u +%FT%TZ); running $duration s"
sleep "$duration"
snap "$work/status1.json"
kill -TERM "$poller"; wait "$poller" || true; poller=
lab status --json >"$work/lab.json"
for n in $(seq "$nodes"); do
  tail -c +"$((log_from[$n] + 1))" "$state/node$n.log" >"$work/node$n.log"
done

# --- report ----------------------------------------------------------------------------
python3 - "$work" "$nodes" "$ports" "$duration" "$interval_ms" <<'PY'
import collections, json, re, sys
work, nodes, ports, duration, interval_ms = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
polls = [json.loads(l) for l in open(f"{work}/poll.jsonl")]
errors = [p for p in polls if "error" in p]
not_alive = [p for p in polls if "members" in p and any(s != "alive" for s in p["members"].values())]
terms = collections.defaultdict(list)
for p in polls:
    if "term" in p and (not terms[p["node"]] or terms[p["node"]][-1] != p["term"]):
        terms[p["node"]].append(p["term"])
roles = collections.Counter((p["node"], p.get("role"), p.get("master")) for p in polls if "role" in p)
print(f"\npoll: {len(polls)} answers over {duration} s ({len(errors)} unanswered)")
print(f"false failures seen by the poll (a member not alive in some view): {len(not_alive)} samples")
for p in not_alive[:10]:
    print("   ", json.dumps(p))
print("term changes seen by the poll: " +
      ", ".join(f"node {n}: {' -> '.join(map(str, t))}" for n, t in sorted(terms.items())))
print("(node, role, master) samples: " + ", ".join(f"{k}: {v}" for k, v in sorted(roles.items())))

member_re = re.compile(r"cluster: node (\d+) (suspect|failed|left|conflict)")
elect_re = re.compile(r"cluster: role \w+ -> candidate|cluster: (no master|master is node)")
print("\nlog lines since the loss was applied:")
tot_member = tot_elect = 0
for n in range(1, nodes + 1):
    lines = open(f"{work}/node{n}.log", errors="replace").read().splitlines()
    m = [l for l in lines if member_re.search(l)]
    e = [l for l in lines if elect_re.search(l)]
    tot_member += len(m); tot_elect += len(e)
    print(f"  node {n}: {len(m)} member suspect/failed lines, {len(e)} election/master lines, "
          f"{len(lines)} lines in all")
    for l in (m + e)[:8]:
        print("     ", l)

s0, s1 = json.load(open(f"{work}/status0.json")), json.load(open(f"{work}/status1.json"))
dt = s1["t"] - s0["t"]
print(f"\ncontrol traffic per node over {dt:.0f} s (per second; both ports summed; pmd counts "
      f"include neighbour hellos):")
print(f"  {'node':>4} {'role':<8} {'ctl rx fr/s':>11} {'ctl msg/s':>10} {'rx pkt/s':>9} {'rx B/s':>9} "
      f"{'tx pkt/s':>9} {'tx B/s':>9} {'hellos/s':>8} {'rejected':>8}")
for n in range(1, nodes + 1):
    a, b = s0[str(n)], s1[str(n)]
    def d(group, key):
        return sum(pb[group][key] - pa[group][key] for pa, pb in zip(a["ports"], b["ports"]))
    rej = sum(sum(v for v in pb["daemon"]["rejected"].values()) - sum(v for v in pa["daemon"]["rejected"].values())
              for pa, pb in zip(a["ports"], b["ports"])) if isinstance(b["ports"][0]["daemon"]["rejected"], dict) else "?"
    hel = sum(pb["hellos_sent"] - pa["hellos_sent"] for pa, pb in zip(a["ports"], b["ports"]))
    print(f"  {n:>4} {b.get('cluster', {}).get('role', '?'):<8} {d('daemon', 'control_frames') / dt:11.1f} "
          f"{d('daemon', 'control_messages') / dt:10.1f} {d('pmd', 'rx_packets') / dt:9.1f} "
          f"{d('pmd', 'rx_bytes') / dt:9.0f} {d('pmd', 'tx_packets') / dt:9.1f} {d('pmd', 'tx_bytes') / dt:9.0f} "
          f"{hel / dt:8.1f} {rej:>8}")
lab = json.load(open(f"{work}/lab.json"))
drops = [(l["node"], l["port"], l["from_node"], l["to_node"]) for l in lab.get("faults", {}).get("loss", [])]
fp = sum(x[2]["passed"] for x in drops); fd = sum(x[2]["dropped"] for x in drops)
tp = sum(x[3]["passed"] for x in drops); td = sum(x[3]["dropped"] for x in drops)
print(f"\nloss program: from nodes {fd} dropped of {fp + fd} ({100 * fd / max(1, fp + fd):.2f} %), "
      f"to nodes {td} dropped of {tp + td} ({100 * td / max(1, tp + td):.2f} %)")
print(f"\nSUMMARY: false failures: {len(not_alive)} poll samples, {tot_member} log lines; "
      f"elections: {sum(len(t) - 1 for t in terms.values())} term changes (poll), "
      f"{tot_elect} election/master log lines")
PY
echo "soak: load at the end $(cut -d' ' -f1-3 /proc/loadavg)"
