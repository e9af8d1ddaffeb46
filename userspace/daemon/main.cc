// SPDX-License-Identifier: BSD-3-Clause
// dmpdd: the dmpd daemon. Parses its configuration, starts the EAL (no hugepages, no PCI,
// nothing shared on disk), runs the Daemon until SIGINT/SIGTERM (SIGHUP reloads), and
// leaves the ports as the kernel's on every exit path.
#include <rte_eal.h>
#include <sched.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "userspace/daemon/daemon.h"
#include "userspace/daemon/daemon_config.h"
#include "userspace/daemon/dense_mempool.h"
#include "userspace/daemon/log.h"
#include "userspace/daemon/umem_frame_room.h"
#include "userspace/xdp/bpffs.h"
#include "userspace/xdp/interface_facts.h"

namespace {

// Both lcores may run on any CPU we are allowed: a lab puts many daemons on few cores, and
// idle workers sleep, so pinning would only collide.
std::string LcoreMap() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (int c = 0; c < CPU_SETSIZE; ++c) {
      if (CPU_ISSET(c, &set)) cpus.push_back(c);
    }
  }
  if (cpus.empty()) cpus.push_back(0);
  std::string group = absl::StrCat("(", absl::StrJoin(cpus, ","), ")");
  return absl::StrCat("0@", group, ",1@", group);
}

// --no-huge fixes the heap at start: unless set, it is sized for the ports' mbuf pools,
// whose size follows the ports' MTU (docs/daemon.md, "Ports and MTU").
uint32_t DpdkMemoryMb(const dmpd::DaemonConfig& config) {
  if (config.memory_mb != 0) return config.memory_mb;
  const dmpd::MbufOverheads o = dmpd::DenseMbufPoolOverheads();
  const dmpd::MbufSize size = dmpd::SizeMbufsForMtu(dmpd::LargestMtu(config.interfaces), o);
  return dmpd::DpdkMemoryMbForPorts(config.interfaces.size(), config.mbufs_per_port,
                                    size.data_room, o);
}

std::vector<std::string> EalArgs(const dmpd::DaemonConfig& config) {
  return {"dmpdd",
          "--no-huge",
          "-m",
          std::to_string(DpdkMemoryMb(config)),
          "--no-pci",
          "--no-shconf",  // no shared config files to leave behind
          "--no-telemetry",
          absl::StrCat("--file-prefix=dmpdd", getpid()),
          absl::StrCat("--lcores=", LcoreMap()),
          config.log_level == dmpd::LogLevel::kDebug ? "--log-level=debug" : "--log-level=warning"};
}

// DPDK 22.11's af_xdp PMD never closes the bpf_object it loads for xdp_prog= and never
// frees the xsk_umem handle it gets from libxdp, so those allocations outlive the port;
// LeakSanitizer would turn them into a failing exit status. Ours are still checked.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libbpf.so\nleak:xsk_umem__create\n";
}

int Fail(absl::string_view message) {
  dmpd::Log(dmpd::LogLevel::kError, "dmpdd", message);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  auto config = dmpd::ParseDaemonArgs(std::vector<std::string>(argv + 1, argv + argc));
  if (!config.ok()) {
    if (absl::IsCancelled(config.status())) {
      fputs(std::string(config.status().message()).c_str(), stdout);
      return 0;
    }
    fprintf(stderr, "dmpdd: %s\n(see dmpdd --help)\n",
            std::string(config.status().message()).c_str());
    return 2;
  }
  dmpd::SetLogLevel(config->log_level);
  dmpd::RouteLibraryLogs();

  // Signals are read from a signalfd in the control loop; blocked before the EAL starts
  // its threads so that none of them takes the signal instead.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  dmpd::UniqueFd signal_fd(signalfd(-1, &signals, SFD_CLOEXEC));
  if (!signal_fd.valid()) return Fail("signalfd failed");

  if (absl::Status s = dmpd::EnsureBpffsFor(config->bpf_pin_dir); !s.ok()) {
    return Fail(s.message());
  }

  std::vector<std::string> eal_args = EalArgs(*config);
  std::vector<char*> eal_argv;
  for (auto& a : eal_args) eal_argv.push_back(a.data());
  if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
    return Fail("EAL initialisation failed (see the dpdk lines above)");
  }

  int rc = 0;
  {
    const std::vector<std::string> args(argv + 1, argv + argc);
    auto daemon = dmpd::Daemon::Create(*config, [args] { return dmpd::ParseDaemonArgs(args); });
    if (!daemon.ok()) {
      rc = Fail(daemon.status().message());
    } else if (absl::Status s = (*daemon)->Run(signal_fd.get()); !s.ok()) {
      rc = Fail(s.message());
    }
  }  // the Daemon's destructor detaches and unpins before the EAL goes away
  // The EAL makes a runtime directory even without shared config, and does not remove it.
  std::string runtime_dir = rte_eal_get_runtime_dir();
  rte_eal_cleanup();
  ::rmdir(runtime_dir.c_str());
  return rc;
}
