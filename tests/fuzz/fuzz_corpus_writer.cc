// SPDX-License-Identifier: BSD-3-Clause
// Writes the fuzzers' seed corpus (tests/fuzz/corpus/<target>/) from the library's own
// sample and random messages, so the seeds follow the wire format when it grows.
// Usage: fuzz_corpus_writer <corpus dir>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "common/data_frame.h"
#include "common/frame_kind.h"
#include "common/frame_writer.h"
#include "common/protocol_samples.h"
#include "tests/protocol/random_message.h"

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

namespace {

void Put(const fs::path& dir, const std::string& name, const Bytes& b) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary)
      .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

// The piece framing of tests/fuzz/fuzz_input.h.
void AppendPiece(Bytes* out, const Bytes& piece) {
  out->push_back(static_cast<uint8_t>(piece.size() >> 8));
  out->push_back(static_cast<uint8_t>(piece.size()));
  out->insert(out->end(), piece.begin(), piece.end());
}

std::vector<Bytes> Frames(const dmpd::MessageBody& m, const dmpd::FrameAuth* auth, size_t mtu) {
  dmpd::FrameWriterOptions o = dmpd::SampleWriterOptions(auth);
  o.mtu = mtu;
  std::vector<Bytes> frames;
  uint32_t seq = dmpd::kSampleSequence;
  if (!dmpd::FrameWriter(o).WriteMessage(m, dmpd::kSamplePort, 7, &seq, &frames).ok()) {
    std::fprintf(stderr, "fuzz_corpus_writer: cannot write a sample\n");
    std::exit(1);
  }
  return frames;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_corpus_writer <corpus dir>\n");
    return 2;
  }
  const fs::path root = argv[1];
  auto auth = dmpd::FrameAuth::Create(dmpd::SampleClusterKey());
  std::mt19937_64 rng(1);
  // Body decoders: the sample and a few random messages of the target's kind.
  for (const dmpd::MessageBody& sample : dmpd::SampleMessages()) {
    const uint8_t kind = dmpd::KindOf(sample);
    if (kind == DMPD_KIND_VOTE || kind == DMPD_KIND_ANNOUNCE) continue;  // = candidacy's
    const std::string kind_name(dmpd::FrameKindName(kind));
    const fs::path dir = root / ("body_" + (kind == DMPD_KIND_CANDIDACY ? "election" : kind_name));
    for (int i = 0; i < 6; ++i) {
      Bytes body;
      (void)dmpd::EncodeMessageBody(i == 0 ? sample : dmpd::testing::RandomMessage(kind, rng),
                                    &body);
      Put(dir, "seed" + std::to_string(i), body);
    }
  }
  // The receive path: every sample frame alone, signed and not; a segmented view whole.
  Bytes all;
  int n = 0;
  for (const dmpd::MessageBody& sample : dmpd::SampleMessages()) {
    const dmpd::FrameAuth* keys[] = {nullptr, auth->get()};
    for (const dmpd::FrameAuth* a : keys) {
      Bytes one;
      for (const Bytes& f : Frames(sample, a, 1500)) AppendPiece(&one, f);
      Put(root / "frame", "kind" + std::to_string(n++), one);
      all.insert(all.end(), one.begin(), one.end());
    }
  }
  Put(root / "frame", "all_kinds", all);
  Bytes view, pieces;
  for (const Bytes& f : Frames(dmpd::SampleView(6, 2), nullptr, 576)) {
    AppendPiece(&view, f);
    // Reassembler pieces: [sender][kind][segment header + data] of each frame.
    Bytes piece = {static_cast<uint8_t>(dmpd::kSampleNode), f[1]};
    piece.insert(piece.end(), f.begin() + 20, f.end());
    AppendPiece(&pieces, piece);
  }
  Put(root / "frame", "segmented_view", view);
  // A CREDIT payload: one path, and two.
  const std::vector<dmpd::CreditEntry> credit = {
      {.sender_port = 0, .receiver_mac = {2, 0, 0, 0, 2, 0}, .sequence = 4096},
      {.sender_port = 1, .receiver_mac = {2, 0, 0, 0, 2, 1}, .sequence = 0xFFFFFFF0}};
  for (size_t n = 1; n <= credit.size(); ++n) {
    Bytes b(n * dmpd::kCreditEntryLen);
    (void)dmpd::WriteCreditEntries(std::span(credit).first(n), b);
    Put(root / "credit", "paths" + std::to_string(n), b);
  }
  Put(root / "reassembler", "segmented_view", pieces);
  return 0;
}
