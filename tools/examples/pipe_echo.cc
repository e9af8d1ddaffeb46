// SPDX-License-Identifier: BSD-3-Clause
// pipe_echo: the smallest useful libdmpd application (docs/pipes.md, "Applications").
// It opens one pipe and sends every message it receives back to its sender, sleeping in
// epoll when there is nothing to do.
//   pipe_echo PIPE [SOCKET]
#include <sys/epoll.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "userspace/libdmpd/dmpd.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: pipe_echo PIPE [SOCKET]\n");
    return 2;
  }
  auto client = dmpd::app::Client::Connect(argc > 2 ? argv[2] : "");
  if (!client.ok()) {
    std::fprintf(stderr, "pipe_echo: %s\n", std::string(client.status().message()).c_str());
    return 1;
  }
  auto pipe = (*client)->Open({.pipe = uint16_t(std::atoi(argv[1])), .priority = 3});
  if (!pipe.ok()) {
    std::fprintf(stderr, "pipe_echo: %s\n", std::string(pipe.status().message()).c_str());
    return 1;
  }
  dmpd::app::Pipe& p = **pipe;
  std::printf("echoing on node %u pipe %u\n", p.node(), p.id());
  std::fflush(stdout);

  const int ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{.events = EPOLLIN, .data = {.u64 = 0}};
  epoll_ctl(ep, EPOLL_CTL_ADD, p.fd(), &ev);
  auto echo = [&](const dmpd::app::Received& m) {
    // The payload lives in the ring until Poll returns: send it back from here.
    const auto s = p.SendBlocking(m.node, m.pipe, m.type, m.payload, std::chrono::seconds(1));
    if (s != dmpd::app::SendStatus::kOk) {
      std::fprintf(stderr, "pipe_echo: reply to %u/%u: %s\n", m.node, m.pipe,
                   dmpd::app::SendStatusName(s));
    }
  };
  while (!p.daemon_gone()) {
    while (p.Poll(echo, 64) > 0) {
    }
    if (p.ArmReceive()) {  // false: a message slipped in, poll again
      epoll_event out;
      epoll_wait(ep, &out, 1, -1);  // wakes on a message or on the daemon going away
    }
    p.Disarm();
  }
  std::printf("dmpdd went away; echoed %llu messages\n",
              static_cast<unsigned long long>(p.counters().sent));
  return 0;
}
