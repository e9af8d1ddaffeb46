// SPDX-License-Identifier: BSD-3-Clause
// dmpd-pktgen: DMPD data frames out of one interface as fast as it takes them, for the
// benchmark (tests/bench/rx_rate.sh). AF_PACKET with PACKET_QDISC_BYPASS (no qdisc on
// the way: we measure the receiver, not tc) and sendmmsg bursts (one syscall per burst).
// The DMPD header and the data header come from dmpd_common's encoders: there is one
// encoder of each in the project.
//
//   dmpd-pktgen -i IF [--size 60] [--cluster 1] [--node 1] [--count N | --duration S]
//               [--burst 64] [--rate PPS] [--dst MAC] [--json]
#include <arpa/inet.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "common/data_frame.h"
#include "common/frame_header.h"

namespace {

volatile std::sig_atomic_t g_stop = 0;

void OnSignal(int) { g_stop = 1; }

constexpr size_t kMinFrame = 60;  // Ethernet minimum without FCS
constexpr size_t kMaxFrame = 9000;
constexpr size_t kMaxBurst = 1024;

struct Options {
  std::string interface;
  size_t size = kMinFrame;
  uint32_t cluster = 1;
  uint16_t node = 1;
  uint16_t port = 0;
  uint16_t dst_node = 0;
  uint64_t count = 0;   // 0: no limit
  double duration = 0;  // seconds, 0: no limit
  size_t burst = 64;
  double rate = 0;  // frames per second, 0: unlimited
  uint16_t ethertype = DMPD_ETHERTYPE_DEFAULT;
  std::array<uint8_t, 6> dst{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  bool json = false;
};

[[noreturn]] void Usage(int rc) {
  std::fprintf(rc ? stderr : stdout,
               "usage: dmpd-pktgen -i IF [--size BYTES] [--cluster ID] [--node N] [--port P]\n"
               "                   [--dst-node N] [--count N | --duration SECONDS]\n"
               "                   [--burst N] [--rate PPS] [--dst MAC] [--ethertype 0xNNNN]\n"
               "                   [--json]\n"
               "Sends DMPD data frames (kind 0x80) of --size bytes (without FCS, >= 60) out of\n"
               "IF until --count frames or --duration seconds (or SIGINT), then prints the\n"
               "frames sent and the rate. Runs in the caller's network namespace.\n");
  std::exit(rc);
}

bool ParseMac(const char* s, std::array<uint8_t, 6>* out) {
  unsigned b[6];
  if (std::sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6) {
    return false;
  }
  for (int i = 0; i < 6; ++i) {
    if (b[i] > 0xff) return false;
    (*out)[i] = static_cast<uint8_t>(b[i]);
  }
  return true;
}

unsigned long long ParseNumber(const char* name, const char* s, unsigned long long max) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(s, &end, 0);
  if (errno != 0 || end == s || *end != '\0' || v > max) {
    std::fprintf(stderr, "dmpd-pktgen: --%s %s: not a number in 0..%llu\n", name, s, max);
    std::exit(2);
  }
  return v;
}

Options ParseOptions(int argc, char** argv) {
  static const option kLong[] = {{"interface", required_argument, nullptr, 'i'},
                                 {"size", required_argument, nullptr, 's'},
                                 {"cluster", required_argument, nullptr, 'C'},
                                 {"node", required_argument, nullptr, 'n'},
                                 {"port", required_argument, nullptr, 'p'},
                                 {"dst-node", required_argument, nullptr, 'N'},
                                 {"count", required_argument, nullptr, 'c'},
                                 {"duration", required_argument, nullptr, 'd'},
                                 {"burst", required_argument, nullptr, 'b'},
                                 {"rate", required_argument, nullptr, 'r'},
                                 {"dst", required_argument, nullptr, 'D'},
                                 {"ethertype", required_argument, nullptr, 'e'},
                                 {"json", no_argument, nullptr, 'j'},
                                 {"help", no_argument, nullptr, 'h'},
                                 {nullptr, 0, nullptr, 0}};
  Options o;
  int c;
  while ((c = getopt_long(argc, argv, "i:s:c:d:b:r:jh", kLong, nullptr)) != -1) {
    switch (c) {
      case 'i':
        o.interface = optarg;
        break;
      case 's':
        o.size = ParseNumber("size", optarg, kMaxFrame);
        break;
      case 'C':
        o.cluster = static_cast<uint32_t>(ParseNumber("cluster", optarg, UINT32_MAX));
        break;
      case 'n':
        o.node = static_cast<uint16_t>(ParseNumber("node", optarg, UINT16_MAX));
        break;
      case 'p':
        o.port = static_cast<uint16_t>(ParseNumber("port", optarg, UINT16_MAX));
        break;
      case 'N':
        o.dst_node = static_cast<uint16_t>(ParseNumber("dst-node", optarg, UINT16_MAX));
        break;
      case 'c':
        o.count = ParseNumber("count", optarg, UINT64_MAX);
        break;
      case 'd':
        o.duration = std::atof(optarg);
        break;
      case 'b':
        o.burst = ParseNumber("burst", optarg, kMaxBurst);
        break;
      case 'r':
        o.rate = std::atof(optarg);
        break;
      case 'e':
        o.ethertype = static_cast<uint16_t>(ParseNumber("ethertype", optarg, 0xffff));
        break;
      case 'D':
        if (!ParseMac(optarg, &o.dst)) {
          std::fprintf(stderr, "dmpd-pktgen: --dst %s: not a MAC address\n", optarg);
          std::exit(2);
        }
        break;
      case 'j':
        o.json = true;
        break;
      case 'h':
        Usage(0);
      default:
        Usage(2);
    }
  }
  if (o.interface.empty() || optind != argc) Usage(2);
  if (o.size < kMinFrame) {
    std::fprintf(stderr, "dmpd-pktgen: --size %zu: at least %zu\n", o.size, kMinFrame);
    std::exit(2);
  }
  if (o.burst == 0) o.burst = 1;
  if (o.count == 0 && o.duration <= 0) o.duration = 10;  // never run forever by accident
  return o;
}

double Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Writes the DMPD and data headers of frame `seq` into `frame` (the Ethernet header is
// already there). The payload after them stays as filled once.
bool WriteHeaders(const Options& o, uint32_t seq, std::span<uint8_t> frame) {
  dmpd::FrameHeader h;
  h.kind = DMPD_KIND_DATA;
  h.cluster_id = o.cluster;
  h.sender_node = o.node;
  h.sender_port = o.port;
  h.sequence = seq;
  h.payload_len = static_cast<uint16_t>(frame.size() - dmpd::kEthHeaderLen - dmpd::kFrameHeaderLen);
  auto dmpd_hdr = frame.subspan(dmpd::kEthHeaderLen);
  if (!dmpd::EncodeFrameHeader(h, dmpd_hdr).ok()) return false;
  dmpd::DataHeader d;
  d.src_node = o.node;
  d.dst_node = o.dst_node;
  d.sequence = seq;
  auto data = dmpd_hdr.subspan(dmpd::kFrameHeaderLen, dmpd::kDataHeaderLen);
  return dmpd::WriteDataPayload(d, {}, data).ok();
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = ParseOptions(argc, argv);
  if (o.size < dmpd::kEthHeaderLen + dmpd::kFrameHeaderLen + dmpd::kDataHeaderLen) {
    std::fprintf(stderr, "dmpd-pktgen: --size too small for the headers\n");
    return 2;
  }

  const unsigned ifindex = if_nametoindex(o.interface.c_str());
  if (ifindex == 0) {
    std::fprintf(stderr,
                 "dmpd-pktgen: no interface %s in this namespace (%s); run it "
                 "with nsenter --net=/run/netns/NS\n",
                 o.interface.c_str(), std::strerror(errno));
    return 1;
  }
  // Protocol 0: this socket only sends, it never receives a copy of the traffic.
  const int fd = socket(AF_PACKET, SOCK_RAW, 0);
  if (fd < 0) {
    std::fprintf(stderr, "dmpd-pktgen: socket(AF_PACKET): %s (needs CAP_NET_RAW)\n",
                 std::strerror(errno));
    return 1;
  }
  const int one = 1;
  if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) != 0) {
    std::fprintf(stderr, "dmpd-pktgen: PACKET_QDISC_BYPASS: %s (continuing through the qdisc)\n",
                 std::strerror(errno));
  }
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_ifindex = static_cast<int>(ifindex);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof(sll)) != 0) {
    std::fprintf(stderr, "dmpd-pktgen: bind %s: %s\n", o.interface.c_str(), std::strerror(errno));
    return 1;
  }
  ifreq ifr{};
  std::snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", o.interface.c_str());
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) {
    std::fprintf(stderr, "dmpd-pktgen: SIOCGIFHWADDR %s: %s\n", o.interface.c_str(),
                 std::strerror(errno));
    return 1;
  }

  // One buffer per frame of a burst: Ethernet header and payload pattern written once,
  // the headers (sequence numbers) rewritten before each burst.
  std::vector<std::vector<uint8_t>> frames(o.burst, std::vector<uint8_t>(o.size));
  std::vector<iovec> iov(o.burst);
  std::vector<mmsghdr> msgs(o.burst);
  for (size_t i = 0; i < o.burst; ++i) {
    auto& f = frames[i];
    std::memcpy(f.data(), o.dst.data(), 6);
    std::memcpy(f.data() + 6, ifr.ifr_hwaddr.sa_data, 6);
    f[12] = static_cast<uint8_t>(o.ethertype >> 8);
    f[13] = static_cast<uint8_t>(o.ethertype);
    for (size_t b = dmpd::kEthHeaderLen + dmpd::kFrameHeaderLen + dmpd::kDataHeaderLen;
         b < f.size(); ++b) {
      f[b] = static_cast<uint8_t>(b);
    }
    iov[i] = {f.data(), f.size()};
    msgs[i] = {};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }

  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  uint64_t sent = 0;
  uint64_t full = 0;  // sendmmsg calls that found the device queue full
  uint32_t seq = 1;
  const double t0 = Now();
  const double end = o.duration > 0 ? t0 + o.duration : 0;
  while (!g_stop) {
    const double now = Now();
    if (end != 0 && now >= end) break;
    if (o.count != 0 && sent >= o.count) break;
    size_t n = o.burst;
    if (o.count != 0) n = static_cast<size_t>(std::min<uint64_t>(n, o.count - sent));
    if (o.rate > 0) {
      // Frames due by now; sleep a little when ahead.
      const double due = (now - t0) * o.rate;
      if (static_cast<double>(sent) >= due) {
        const timespec ts{0, 200000};
        nanosleep(&ts, nullptr);
        continue;
      }
      n = std::min<size_t>(n, static_cast<size_t>(due - static_cast<double>(sent)) + 1);
    }
    for (size_t i = 0; i < n; ++i) {
      if (!WriteHeaders(o, seq + static_cast<uint32_t>(i), frames[i])) {
        std::fprintf(stderr, "dmpd-pktgen: header encoding failed\n");
        return 1;
      }
    }
    const int r = sendmmsg(fd, msgs.data(), static_cast<unsigned>(n), 0);
    if (r < 0) {
      if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) {
        ++full;
        sched_yield();
        continue;
      }
      std::fprintf(stderr, "dmpd-pktgen: sendmmsg on %s: %s\n", o.interface.c_str(),
                   std::strerror(errno));
      break;
    }
    sent += static_cast<uint64_t>(r);
    seq += static_cast<uint32_t>(r);
  }
  const double secs = Now() - t0;
  const double pps = secs > 0 ? static_cast<double>(sent) / secs : 0;
  const double mbps = pps * static_cast<double>(o.size) * 8 / 1e6;
  if (o.json) {
    std::printf(
        "{\"interface\":\"%s\",\"frame_size\":%zu,\"sent\":%llu,\"seconds\":%.6f,"
        "\"pps\":%.0f,\"mbit_s\":%.1f,\"queue_full\":%llu}\n",
        o.interface.c_str(), o.size, static_cast<unsigned long long>(sent), secs, pps, mbps,
        static_cast<unsigned long long>(full));
  } else {
    std::printf("sent %llu frames of %zu bytes on %s in %.3f s: %.0f pps, %.1f Mbit/s\n",
                static_cast<unsigned long long>(sent), o.size, o.interface.c_str(), secs, pps,
                mbps);
  }
  close(fd);
  return 0;
}
