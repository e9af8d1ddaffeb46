// SPDX-License-Identifier: BSD-3-Clause
// Sample messages, one per frame kind, with fixed contents: the golden vectors of the tests
// and of docs/protocol.md, the fuzzers' seed corpus, the frames of the sample pcap and
// the benchmark's views come from here, so they all show the same bytes.
// Not part of the daemon: built as its own library, dmpd_protocol_samples.
#ifndef DMPD_COMMON_PROTOCOL_SAMPLES_H_
#define DMPD_COMMON_PROTOCOL_SAMPLES_H_

#include <cstdint>
#include <vector>

#include "common/frame_writer.h"
#include "common/message.h"

namespace dmpd {

inline constexpr uint32_t kSampleCluster = 0x00C1A55E;
inline constexpr uint16_t kSampleNode = 3;
inline constexpr uint16_t kSamplePort = 1;
inline constexpr uint32_t kSampleSequence = 0x00000100;
inline constexpr uint32_t kSampleCycle = 42;

// One sample message of each kind, in DMPD_FRAME_KINDS order.
std::vector<MessageBody> SampleMessages();

// The cluster key of the authenticated samples (32 bytes of "dmpd-sample-key…").
std::vector<uint8_t> SampleClusterKey();

// Writer options for the samples: kSampleCluster, kSampleNode, the given auth.
FrameWriterOptions SampleWriterOptions(const FrameAuth* auth = nullptr);

// A heartbeat view of `nodes` nodes with `ports` ports and 2 pipes each, every field set:
// the size the benchmark and the segmentation tests need.
Heartbeat SampleView(size_t nodes, size_t ports);

}  // namespace dmpd

#endif  // DMPD_COMMON_PROTOCOL_SAMPLES_H_
