#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# rx_rate.sh: how fast dmpdd receives DMPD data frames on one port, against dpdk-testpmd
# on the same port in the same run (PERF-1: always a ratio, never an absolute claim).
#
# One veth pair between two fresh namespaces (rx side, tx side). dmpd-pktgen sends DMPD
# data frames from the tx side for DURATION seconds while on the rx side runs
#   1. dpdk-testpmd --forward-mode=rxonly on net_af_xdp with xdp_prog=dmpd_steer.bpf.o
#      (the unconfigured program steers EtherType 0x88B5 to the socket with defaults);
#   2. dmpdd on the same interface.
# It prints both receive rates and their ratio, then the CPU a dmpdd with no traffic uses
# over IDLE_SECONDS (utime+stime from /proc/PID/stat).
#
# Not a ctest test: run it by hand, as root, on an otherwise idle machine.
#   tests/bench/rx_rate.sh                     # build dir: $DMPD_BUILD_DIR or build-bench
#   DURATION=10 SIZE=60 MP_ALLOC=xmem tests/bench/rx_rate.sh
#
# testpmd's mempool: under --no-huge the default pool ("native") spreads mbufs one per
# 4 KiB page and the af_xdp PMD of DPDK 22.11 drops frames that land outside the UMEM
# (PLATFORM.md, "the 42 % bug"). MP_ALLOC=xmem (the default here) allocates the pool in one
# anonymous mapping, which is dense; RX-dropped (the socket's drops) is printed either way.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${DMPD_BUILD_DIR:-$repo/build-bench}
duration=${DURATION:-10}
size=${SIZE:-60}
idle_seconds=${IDLE_SECONDS:-10}
mp_alloc=${MP_ALLOC:-xmem}
mbufs=${MBUFS:-16384}
settle=${SETTLE:-2}   # seconds between a receiver being ready and the traffic

if [ "$(id -u)" -ne 0 ]; then
  echo "rx_rate: needs root" >&2
  exit 1
fi

# --- build (not sanitized: a benchmark of an ASan build measures ASan) ---------------------
if [ ! -x "$build/userspace/daemon/dmpdd" ] || [ ! -x "$build/tools/pktgen/dmpd-pktgen" ] ||
   [ ! -f "$build/bpf/dmpd_steer.bpf.o" ]; then
  echo "rx_rate: building into $build (RelWithDebInfo, no sanitizers)"
  cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDMPD_SANITIZE=OFF >/dev/null
  cmake --build "$build" -j"$(nproc)" --target dmpdd dmpdctl dmpd-pktgen dmpd_steer_skel_gen
fi
if grep -q '^DMPD_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then
  echo "rx_rate: WARNING: $build is an ASan/UBSan build; dmpdd's figures are not comparable"
fi
dmpdd=$build/userspace/daemon/dmpdd
dmpdctl=$build/tools/dmpdctl/dmpdctl
pktgen=$build/tools/pktgen/dmpd-pktgen
prog=$build/bpf/dmpd_steer.bpf.o

# --- names unique to this run, and a trap that removes all of it ----------------------------
id=$$
ns_rx=dmpd-bench$id-rx
ns_tx=dmpd-bench$id-tx
pin_root=/sys/fs/bpf/dmpd/bench$id
work=$(mktemp -d "/tmp/dmpd-bench$id.XXXXXX")
prefix=dmpd-bench$id   # DPDK runtime dir /var/run/dpdk/<prefix>
pids=()

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
  ip netns del "$ns_rx" 2>/dev/null || true
  ip netns del "$ns_tx" 2>/dev/null || true
  rm -rf "$pin_root" "$work" "/var/run/dpdk/$prefix"
  # dmpdd's EAL runtime dir (prefix dmpdd<pid>) outlives a daemon that had to be killed.
  for p in "${pids[@]}"; do rm -rf "/var/run/dpdk/dmpdd$p"; done
  rmdir /sys/fs/bpf/dmpd 2>/dev/null || true
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$(stat -f -c %T /sys/fs/bpf)" != bpf_fs ]; then
  mount -t bpf bpf /sys/fs/bpf  # host setup, left in place
fi

ip netns add "$ns_rx"
ip netns add "$ns_tx"
ip link add "b${id}r" type veth peer name "b${id}t"
ip link set "b${id}r" netns "$ns_rx" name rx0
ip link set "b${id}t" netns "$ns_tx" name tx0
for ns in "$ns_rx" "$ns_tx"; do
  ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 \
    net.ipv6.conf.default.disable_ipv6=1
  ip -n "$ns" link set lo up
done
ip netns exec "$ns_rx" sysctl -q -w net.ipv6.conf.rx0.disable_ipv6=1
ip netns exec "$ns_tx" sysctl -q -w net.ipv6.conf.tx0.disable_ipv6=1
ip -n "$ns_rx" link set rx0 up
ip -n "$ns_tx" link set tx0 up

# In the rx namespace, with its own sysfs and the root bpffs (see dmpd-lab). An array, not
# a function: `"${in_rx[@]}" prog &` must leave $! = the program's pid (nsenter, unshare
# and sh all exec), where a function would run in a subshell of its own.
in_rx=(nsenter --net="/run/netns/$ns_rx" -- unshare --mount --propagation private -- sh -c
  't=$(mktemp -d); mount --bind /sys/fs/bpf "$t"; mount -t sysfs sysfs /sys;
   mount --move "$t" /sys/fs/bpf; rmdir "$t"; exec "$@"' sh)

send() {  # send for $duration seconds; prints pktgen's JSON line
  nsenter --net="/run/netns/$ns_tx" -- "$pktgen" -i tx0 --size "$size" --cluster 1 --node 2 --dst-node 1 \
    --duration "$duration" --json
}

json_field() {  # json_field KEY < json-line
  python3 -c 'import json,sys; print(json.loads(sys.stdin.read().splitlines()[-1])[sys.argv[1]])' "$1"
}

ticks() {  # utime + stime of a pid, in clock ticks
  awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}

echo "rx_rate: ${size}-byte DMPD data frames for ${duration} s, veth rx0 <- tx0, $(nproc) CPUs"

# --- 1. dpdk-testpmd rxonly -----------------------------------------------------------------
"${in_rx[@]}" dpdk-testpmd --no-huge -m 256 --no-pci --no-shconf --file-prefix "$prefix" -l 0,1 \
  --vdev "net_af_xdp0,iface=rx0,xdp_prog=$prog" -- \
  --forward-mode=rxonly --mp-alloc="$mp_alloc" --total-num-mbufs="$mbufs" --stats-period=1 \
  >"$work/testpmd.log" 2>&1 &
tp=$!
pids+=("$tp")
for _ in $(seq 300); do
  grep -q "Port statistics" "$work/testpmd.log" && break
  kill -0 "$tp" 2>/dev/null || { echo "rx_rate: testpmd died:"; tail -20 "$work/testpmd.log"; exit 1; }
  sleep 0.1
done
grep -q "Port statistics" "$work/testpmd.log" || { echo "rx_rate: testpmd not forwarding"; exit 1; }
sleep "$settle"
tp_sent_json=$(send)
sleep 1  # let the last frames drain before the final statistics
# The program's own count of what it redirected (its maps are not pinned under testpmd:
# find the counters map through the attached program).
tp_prog=$(ip -n "$ns_rx" -j link show dev rx0 | python3 -c \
  'import json,sys; print(json.load(sys.stdin)[0].get("xdp",{}).get("prog",{}).get("id",""))')
tp_red=unknown
if [ -n "$tp_prog" ]; then
  tp_red=$(bpftool -j prog show id "$tp_prog" | python3 -c '
import json, subprocess, sys
for m in json.load(sys.stdin).get("map_ids", []):
    info = json.loads(subprocess.check_output(["bpftool", "-j", "map", "show", "id", str(m)]))
    if info.get("name") == "dmpd_counters":
        dump = json.loads(subprocess.check_output(["bpftool", "-j", "map", "dump", "id", str(m)]))
        print(sum(v["value"]["redirected_data"] for v in dump[0]["formatted"]["values"]))
        break
else:
    print("unknown")')
fi
kill -INT "$tp"
for _ in $(seq 100); do kill -0 "$tp" 2>/dev/null || break; sleep 0.1; done
wait "$tp" || true
acc=$(grep -A1 "Accumulated forward statistics" "$work/testpmd.log" | tail -1)
tp_rx=$(sed -n 's/.*RX-packets: *\([0-9]*\).*/\1/p' <<<"$acc")
tp_drop=$(sed -n 's/.*RX-dropped: *\([0-9]*\).*/\1/p' <<<"$acc")
tp_sent=$(json_field sent <<<"$tp_sent_json")
if [ -z "$tp_rx" ]; then
  echo "rx_rate: no final statistics from testpmd:"; tail -20 "$work/testpmd.log"; exit 1
fi
if [ "$(ip -n "$ns_rx" -j link show dev rx0 | grep -c '"xdp"')" -ne 0 ]; then
  echo "rx_rate: testpmd left its XDP program on rx0"; exit 1
fi

# --- 2. dmpdd -------------------------------------------------------------------------------
sock=$work/dmpdd.sock
"${in_rx[@]}" "$dmpdd" --node 1 --cluster-id 1 --interfaces rx0 --control-socket "$sock" \
  --bpf-pin-dir "$pin_root/node1" ${DMPDD_ARGS:-} >"$work/dmpdd.log" 2>&1 &
dp=$!
pids+=("$dp")
for _ in $(seq 600); do
  "$dmpdctl" --socket "$sock" status --json >/dev/null 2>&1 && break
  kill -0 "$dp" 2>/dev/null || { echo "rx_rate: dmpdd died:"; tail -20 "$work/dmpdd.log"; exit 1; }
  sleep 0.1
done
"$dmpdctl" --socket "$sock" status --json >"$work/st0.json" ||
  { echo "rx_rate: dmpdd not ready:"; tail -20 "$work/dmpdd.log"; exit 1; }

# Idle CPU first, while nothing but its own hellos flows.
sleep "$settle"
t0=$(ticks "$dp"); s0=$(date +%s.%N)
sleep "$idle_seconds"
t1=$(ticks "$dp"); s1=$(date +%s.%N)
hz=$(getconf CLK_TCK)
idle_cpu=$(python3 -c "print(f'{($t1-$t0)/$hz/($s1-$s0)*100:.1f}')")

"$dmpdctl" --socket "$sock" status --json >"$work/st0.json"
dp_sent_json=$(send)
sleep 1
"$dmpdctl" --socket "$sock" status --json >"$work/st1.json"
read -r dp_rx dp_red dp_missed dp_detail < <(python3 - "$work/st0.json" "$work/st1.json" <<'PY'
import json, sys
a, b = (json.load(open(f))["ports"][0] for f in sys.argv[1:3])
def d(group, key):
    return b[group][key] - a[group][key]
detail = " ".join(f"{g}.{k}=+{d(g, k)}" for g, k in (
    ("pmd", "rx_packets"), ("pmd", "rx_nombuf"), ("pmd", "rx_errors"),
    ("daemon", "rx_frames"), ("daemon", "control_ring_full"),
    ("xsk", "rx_dropped"), ("xsk", "rx_ring_full"), ("xsk", "rx_fill_ring_empty"))
    if k in b.get(g, {}) and k in a.get(g, {}))
print(d("daemon", "data_frames"), d("xdp", "redirected_data"), d("pmd", "imissed"),
      detail or "-")
PY
)
dp_sent=$(json_field sent <<<"$dp_sent_json")

kill -TERM "$dp"
for _ in $(seq 200); do kill -0 "$dp" 2>/dev/null || break; sleep 0.1; done
wait "$dp" && dp_rc=0 || dp_rc=$?

# --- report ---------------------------------------------------------------------------------
python3 - <<EOF
d = $duration
tp, dp = $tp_rx / d, $dp_rx / d
print(f"testpmd rxonly : {tp:10.0f} pps  ({$tp_rx} received of $tp_sent sent, "
      f"RX-dropped $tp_drop, xdp.redirected_data $tp_red; --mp-alloc=$mp_alloc, "
      f"$mbufs mbufs)")
print(f"dmpdd          : {dp:10.0f} pps  ({$dp_rx} data frames of $dp_sent sent, "
      f"xdp.redirected_data $dp_red, pmd.imissed $dp_missed)")
print("                 dmpdd counters: $dp_detail")
print(f"ratio dmpdd/testpmd: {dp / tp:.2f}" if tp else "ratio: testpmd received nothing")
print(f"dmpdd idle CPU : {float('$idle_cpu'):.1f} % of one core over $idle_seconds s "
      f"(utime+stime)")
EOF
echo "dmpdd exit code after SIGTERM: $dp_rc"
