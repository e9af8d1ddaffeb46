// SPDX-License-Identifier: BSD-3-Clause
// Writes a pcap of sample DMPD frames made by the library (every kind, a signed one, a
// segmented view, a VLAN-tagged one) and, beside it, the fields the dissector should show
// for each frame as tab-separated text, in the column order tshark_test.sh asks tshark for.
// Usage: dmpd_sample_pcap <out.pcap> <expected.tsv>
#include <cstdio>
#include <fstream>
#include <string>
#include <variant>
#include <vector>

#include "common/byte_order.h"
#include "common/frame_header.h"
#include "common/frame_writer.h"
#include "common/protocol_samples.h"

namespace dmpd {
namespace {

using Bytes = std::vector<uint8_t>;

// Columns: kind, sender_node, sequence, segment.index, node_info.id, port_info.rx_bytes,
// hello.name, sync.cycle, election.term, leave.reason, data.dst_pipe,
// observation.heartbeats_received. Repeated fields are joined with commas, as tshark does.
std::vector<std::string> NestedColumns(const MessageBody& m) {
  std::vector<std::string> c(8);
  auto join_nodes = [&](const std::vector<const NodeView*>& nodes) {
    for (const NodeView* n : nodes) {
      c[0] += (c[0].empty() ? "" : ",") + std::to_string(n->info.id);
      for (const PortInfo& p : n->ports) {
        if (p.rx_bytes) c[1] += (c[1].empty() ? "" : ",") + std::to_string(*p.rx_bytes);
      }
    }
  };
  if (const auto* h = std::get_if<Heartbeat>(&m)) {
    std::vector<const NodeView*> nodes;
    for (const NodeView& n : h->nodes) nodes.push_back(&n);
    join_nodes(nodes);
  } else if (const auto* r = std::get_if<HeartbeatResponse>(&m)) {
    join_nodes({&r->self});
    for (const MasterObservation& o : r->observations) {
      if (o.heartbeats_received) {
        c[7] += (c[7].empty() ? "" : ",") + std::to_string(*o.heartbeats_received);
      }
    }
  } else if (const auto* hello = std::get_if<Hello>(&m)) {
    c[2] = hello->name.value_or("");
  } else if (const auto* s = std::get_if<TimeSync>(&m)) {
    c[3] = std::to_string(s->cycle);
  } else if (const auto* l = std::get_if<Leave>(&m)) {
    c[5] = std::to_string(l->reason);
  } else if (const auto* d = std::get_if<DataMessage>(&m)) {
    c[6] = std::to_string(d->header.dst_pipe);
  } else {
    std::visit(
        [&](const auto& e) {
          if constexpr (std::is_base_of_v<ElectionFields, std::decay_t<decltype(e)>>) {
            c[4] = std::to_string(e.term);
          }
        },
        m);
  }
  return c;
}

class PcapWriter {
 public:
  explicit PcapWriter(const char* path) : out_(path, std::ios::binary) {
    const uint32_t magic = 0xa1b2c3d4, snaplen = 65535, linktype = 1;  // Ethernet
    const uint16_t major = 2, minor = 4;
    const int32_t zone = 0;
    const uint32_t sigfigs = 0;
    Put(magic), Put(major), Put(minor), Put(zone), Put(sigfigs), Put(snaplen), Put(linktype);
  }
  // `dmpd` from the DMPD header on; `vlan`: add an 802.1Q tag with this VLAN id.
  void Frame(const Bytes& dmpd, int vlan = -1) {
    Bytes f = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x03, 0x01};
    if (vlan >= 0) f.insert(f.end(), {0x81, 0x00, 0x00, static_cast<uint8_t>(vlan)});
    f.insert(f.end(), {DMPD_ETHERTYPE_DEFAULT >> 8, DMPD_ETHERTYPE_DEFAULT & 0xff});
    f.insert(f.end(), dmpd.begin(), dmpd.end());
    const uint32_t sec = 1'700'000'000 + count_, usec = 0, len = static_cast<uint32_t>(f.size());
    Put(sec), Put(usec), Put(len), Put(len);
    out_.write(reinterpret_cast<const char*>(f.data()), static_cast<std::streamsize>(f.size()));
    ++count_;
  }
  bool ok() const { return out_.good(); }

 private:
  template <class T>
  void Put(T v) {  // pcap headers are in the writer's byte order (the magic says which)
    out_.write(reinterpret_cast<const char*>(&v), sizeof(v));
  }
  std::ofstream out_;
  uint32_t count_ = 0;
};

int Run(const char* pcap_path, const char* tsv_path) {
  PcapWriter pcap(pcap_path);
  std::ofstream tsv(tsv_path);
  auto auth = FrameAuth::Create(SampleClusterKey());
  uint32_t seq = kSampleSequence;
  auto emit = [&](const MessageBody& m, const FrameAuth* key, size_t mtu, int vlan) {
    FrameWriterOptions o = SampleWriterOptions(key);
    o.mtu = mtu;
    std::vector<Bytes> frames;
    if (!FrameWriter(o).WriteMessage(m, kSamplePort, kSampleCycle, &seq, &frames).ok()) {
      return false;
    }
    for (const Bytes& f : frames) {
      pcap.Frame(f, vlan);
      const bool segment = LoadBe16(f.data() + 2) & DMPD_HDR_F_SEGMENT;
      char kind[8];
      std::snprintf(kind, sizeof(kind), "0x%02x", f[1]);
      tsv << kind << '\t' << LoadBe16(f.data() + 8) << '\t' << LoadBe32(f.data() + 12) << '\t'
          << (segment ? std::to_string(LoadBe16(f.data() + kFrameHeaderLen + 4)) : "");
      const std::vector<std::string> nested =
          segment ? std::vector<std::string>(8) : NestedColumns(m);
      for (const std::string& c : nested) tsv << '\t' << c;
      tsv << '\n';
    }
    return true;
  };
  bool ok = true;
  for (const MessageBody& m : SampleMessages()) ok &= emit(m, nullptr, kDefaultMtu, -1);
  ok &= emit(SampleMessages()[1], auth->get(), kDefaultMtu, -1);  // a signed time_sync
  ok &= emit(SampleMessages()[0], nullptr, kDefaultMtu, 5);       // a hello in VLAN 5
  ok &= emit(SampleView(6, 2), nullptr, kDefaultMtu, -1);         // segmented
  if (!ok || !pcap.ok() || !tsv.good()) {
    std::fprintf(stderr, "dmpd_sample_pcap: failed to write the samples\n");
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace dmpd

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: dmpd_sample_pcap <out.pcap> <expected.tsv>\n");
    return 2;
  }
  return dmpd::Run(argv[1], argv[2]);
}
