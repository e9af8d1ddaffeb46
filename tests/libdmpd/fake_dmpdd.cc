// SPDX-License-Identifier: BSD-3-Clause
// fake_dmpdd: the fake daemon (fake_daemon.h) serving a socket until SIGINT/SIGTERM, for
// end-to-end tests of programs built on libdmpd (dmpd-perf) without DPDK or root.
//   fake_dmpdd --socket PATH [--node N] [--max-message BYTES]
// Prints "fake_dmpdd: listening on PATH" once it accepts connections.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tests/libdmpd/fake_daemon.h"

int main(int argc, char** argv) {
  dmpd::fake::FakeDaemon::Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--socket") {
      o.socket_path = argv[i + 1];
    } else if (flag == "--node") {
      o.node = static_cast<uint16_t>(std::strtoul(argv[i + 1], nullptr, 0));
    } else if (flag == "--max-message") {
      o.max_message = static_cast<uint32_t>(std::strtoul(argv[i + 1], nullptr, 0));
    } else {
      std::fprintf(stderr, "fake_dmpdd: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (o.socket_path.empty()) {
    std::fprintf(stderr, "usage: fake_dmpdd --socket PATH [--node N] [--max-message BYTES]\n");
    return 2;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // before the thread starts: it inherits it
  auto d = dmpd::fake::FakeDaemon::Start(o);
  if (!d.ok()) {
    std::fprintf(stderr, "fake_dmpdd: %s\n", std::string(d.status().message()).c_str());
    return 1;
  }
  std::printf("fake_dmpdd: listening on %s\n", o.socket_path.c_str());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&set, &sig);
  return 0;
}
