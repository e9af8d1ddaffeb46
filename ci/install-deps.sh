#!/usr/bin/env bash
# Installs every Debian 12 package that building, testing and the lab need.
# Idempotent: packages already present are left alone; safe to run twice.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake pkg-config git clang llvm lld libclang-rt-dev
  # fast path: DPDK 22.11 with the af_xdp PMD, libbpf, libxdp, bpftool, xdp-loader
  libdpdk-dev dpdk dpdk-dev libbpf-dev libxdp-dev xdp-tools bpftool libelf-dev zlib1g-dev
  linux-libc-dev
  # libraries
  libabsl-dev libgtest-dev libgmock-dev googletest libbenchmark-dev libssl-dev
  nlohmann-json3-dev
  # lab and end-to-end tests
  iproute2 iputils-ping ethtool python3 curl procps util-linux tshark prometheus
  # dmpd-lab partition (nftables bridge family)
  nftables
  # tests/bench/failover.py stamps the kill of the master
  strace
  # tests/bench/pipes.sh: the kernel UDP baseline
  sockperf
  # tests/bench/lb_experiment.py: the PNG plots of PERF-3 (Figs. 9-10)
  python3-matplotlib
  # tests/bench/vs_bench.py: the virtual service against nftables NAT (its backends and
  # load generator; nginx runs only inside the benchmark's namespaces)
  wrk nginx-light
)

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: run as root (apt-get needs it)" >&2
  exit 1
fi

# The group whose members may open pipes (dmpdd's pipe_group, REL-4).
getent group dmpd >/dev/null || groupadd --system dmpd

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# We want promtool, not a Prometheus server, and nginx's binary, not a web server on the
# host: keep the packages' services from starting
# (policy-rc.d exit 101 = "not allowed"), unless the host already has a policy of its own.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
# Installed for promtool and nginx's binary: leave neither server enabled at boot.
for service in prometheus nginx; do
  if [[ " ${missing[*]} " == *" ${service}"* ]] && command -v systemctl >/dev/null; then
    systemctl disable --now "${service}" >/dev/null 2>&1 || true
  fi
done
