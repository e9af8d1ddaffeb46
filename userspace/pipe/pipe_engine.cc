// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/pipe/pipe_engine.h"

#include <algorithm>
#include <cstring>

#include "common/byte_order.h"
#include "common/frame_header.h"
#include "common/frame_writer.h"

namespace dmpd::pipe {
namespace {

constexpr size_t kEthLen = kEthHeaderLen;
// DMPD header, data header and segment header: what a segment frame spends before data.
constexpr size_t kSegmentOverhead = kFrameHeaderLen + kDataHeaderLen + kSegmentHeaderLen;

// The largest message payload: the ring's limit and what 64 segments can carry.
uint32_t MaxMessage(size_t mtu) {
  const size_t per_segment = mtu > kSegmentOverhead ? mtu - kSegmentOverhead : 0;
  return static_cast<uint32_t>(std::min<size_t>(kMaxRingMessage, per_segment * 64));
}

// The 64-bit sequence nearest to `top` whose low 32 bits are `low`: the wire carries 32
// bits, the dedup window counts in 64 (as ESP's extended sequence numbers, RFC 4303).
uint64_t Widen(uint64_t top, uint32_t low) {
  if (top == 0) return low;  // the first of this sender pipe
  const auto delta = static_cast<int32_t>(low - static_cast<uint32_t>(top));
  const int64_t widened = static_cast<int64_t>(top) + delta;
  return widened <= 0 ? low : static_cast<uint64_t>(widened);
}

}  // namespace

PipeCounters SlotCounters::Snapshot() const {
  PipeCounters c;
  c.sent_messages = sent_messages.Get();
  c.sent_bytes = sent_bytes.Get();
  c.received_messages = received_messages.Get();
  c.received_bytes = received_bytes.Get();
  c.dropped_rx_full = dropped_rx_full.Get();
  c.dropped_no_route = dropped_no_route.Get();
  c.dropped_too_large = dropped_too_large.Get();
  c.degraded_copies = degraded_copies.Get();
  c.duplicates = duplicates.Get();
  c.rate_limited_ns = rate_limited_ns.Get();
  return c;
}

void SlotCounters::Reset() {
  for (RelaxedCounter* c : {&sent_messages, &sent_bytes, &sent_frames, &received_messages,
                            &received_bytes, &dropped_rx_full, &dropped_no_route,
                            &dropped_too_large, &dropped_no_buffer, &degraded_copies, &duplicates,
                            &out_of_order, &rate_limited_ns}) {
    c->Reset();
  }
}

absl::StatusOr<std::unique_ptr<PipeEngine>> PipeEngine::Create(
    const EngineOptions& options, DataPorts& ports, std::function<void(uint32_t)> ring_app,
    PortChooser* chooser) {
  if (options.max_pipes == 0 || options.max_pipes > kMaxPipeId) {
    return absl::InvalidArgumentError("max_pipes is 1..65534");
  }
  if (options.mtu < kSegmentOverhead + 64 || options.mtu > 9216) {
    return absl::InvalidArgumentError("MTU out of range for data frames");
  }
  PriorityScheduler::Options so;
  so.capacity = options.max_pipes;
  absl::StatusOr<PriorityScheduler> scheduler = PriorityScheduler::Create(so);
  if (!scheduler.ok()) return scheduler.status();
  absl::StatusOr<DedupWindow> dedup = DedupWindow::Create(options.dedup_keys);
  if (!dedup.ok()) return dedup.status();
  return std::unique_ptr<PipeEngine>(new PipeEngine(options, ports, std::move(ring_app), chooser,
                                                    *std::move(scheduler), *std::move(dedup)));
}

PipeEngine::PipeEngine(const EngineOptions& options, DataPorts& ports,
                       std::function<void(uint32_t)> ring_app, PortChooser* chooser,
                       PriorityScheduler scheduler, DedupWindow dedup)
    : options_(options),
      ports_(ports),
      ring_app_(std::move(ring_app)),
      scheduler_(std::move(scheduler)),
      dedup_(std::move(dedup)),
      slots_(new Slot[options.max_pipes]),
      chooser_(chooser != nullptr ? chooser : &default_chooser_),
      reassembler_(ReassemblerLimits{.max_segments = 64,
                                     .max_bytes = 16u << 20,
                                     .max_messages = 1024,
                                     .max_in_flight_per_sender = 64,
                                     .timeout_ns = 2'000'000'000}),
      port_starved_(ports.port_count(), 0),
      sequence_(ports.port_count(), 0),
      port_up_(ports.port_count(), 0) {
  slot_of_pipe_.fill(-1);
  up_ports_.reserve(ports.port_count());
  no_room_.reserve(options.max_pipes);
}

uint32_t PipeEngine::max_message() const { return MaxMessage(options_.mtu); }

// --- changes from the main lcore ---------------------------------------------------------

void PipeEngine::Apply(const EngineCommand& c, uint64_t now_ns) {
  counters_.commands.Add();
  switch (c.op) {
    case EngineCommand::Op::kOpen:
      Open(c, now_ns);
      break;
    case EngineCommand::Op::kReconfigure: {
      if (c.slot >= options_.max_pipes || !slots_[c.slot].open) break;
      Slot& s = slots_[c.slot];
      s.config.priority = c.config.priority;
      s.config.copies = c.config.copies;
      s.config.rate_bytes_per_s = c.config.rate_bytes_per_s;
      s.config.burst_bytes = c.config.burst_bytes;
      (void)scheduler_.SetPriority(c.slot, c.config.priority);
      ApplyRate(s, now_ns);
      break;
    }
    case EngineCommand::Op::kSetAllowance: {
      if (c.slot >= options_.max_pipes || !slots_[c.slot].open) break;
      slots_[c.slot].allowance = c.config.rate_bytes_per_s;
      ApplyRate(slots_[c.slot], now_ns);
      break;
    }
    case EngineCommand::Op::kClose:
      Close(c.slot);
      break;
    case EngineCommand::Op::kResize:
      Resize(c);
      break;
    case EngineCommand::Op::kSetRoute: {
      Route r;
      r.count = std::min<uint8_t>(c.route_ports, kMaxRoutePorts);
      std::copy_n(c.route_macs.begin(), r.count, r.macs.begin());
      routes_[c.route_node] = r;
      break;
    }
    case EngineCommand::Op::kClearRoute:
      routes_.erase(c.route_node);
      break;
  }
}

void PipeEngine::Open(const EngineCommand& c, uint64_t now_ns) {
  if (c.slot >= options_.max_pipes || slots_[c.slot].open || slot_of_pipe_[c.config.pipe] >= 0) {
    return;  // the daemon hands out slots and ids: it does not happen
  }
  Slot& s = slots_[c.slot];
  absl::StatusOr<MessageRingConsumer> tx = MessageRingConsumer::Attach(c.region.tx, c.region.tx_bytes);
  absl::StatusOr<MessageRingProducer> rx = MessageRingProducer::Attach(c.region.rx, c.region.rx_bytes);
  if (!tx.ok() || !rx.ok()) return;
  if (!scheduler_.Add(c.slot, c.config.priority).ok()) return;
  s.tx = *std::move(tx);
  s.rx = *std::move(rx);
  s.config = c.config;
  s.allowance = 0;
  s.bucket.reset();
  s.counters.Reset();
  ApplyRate(s, now_ns);
  s.held_until_ns = 0;
  s.next_sequence = 1;
  uint8_t& epoch = epoch_of_pipe_[c.config.pipe];
  epoch = epoch == 0 ? std::max<uint8_t>(options_.first_epoch, 1) : epoch % 255 + 1;
  s.epoch = epoch;
  s.pending.reset();
  s.open = true;
  slot_of_pipe_[c.config.pipe] = static_cast<int32_t>(c.slot);
}

void PipeEngine::ApplyRate(Slot& s, uint64_t now_ns) {
  uint64_t rate = s.config.rate_bytes_per_s;
  if (s.allowance > 0 && (rate == 0 || s.allowance < rate)) rate = s.allowance;
  if (rate == 0) {
    s.bucket.reset();
    return;
  }
  // A tenth of a second of the rate, at least one largest message and what was asked.
  const uint64_t burst =
      std::max({s.config.burst_bytes, rate / 10, uint64_t{max_message()}});
  if (s.bucket) {
    (void)s.bucket->SetRate(rate, burst, now_ns);
  } else if (absl::StatusOr<TokenBucket> b = TokenBucket::Create(rate, burst, now_ns); b.ok()) {
    s.bucket = *std::move(b);
  }
}

void PipeEngine::Close(uint32_t slot) {
  if (slot >= options_.max_pipes) return;
  Slot& s = slots_[slot];
  if (s.open) {
    (void)scheduler_.Remove(slot);
    slot_of_pipe_[s.config.pipe] = -1;
    if (s.pending) {  // no longer waits for room
      if (auto p = peers_.find(s.pending->meta.node); p != peers_.end()) {
        p->second.window.DoneWaiting(slot);
      }
    }
    s.pending.reset();
    s.tx.reset();
    s.next_tx.reset();
    s.rx.reset();
    s.bucket.reset();
    s.open = false;
  }
  // From here the worker holds no pointer into the region: the main lcore may unmap it.
  s.closed.fetch_add(1, std::memory_order_release);
}

void PipeEngine::Resize(const EngineCommand& c) {
  // Closed meanwhile, or a resize still under way (the daemon waits for one to finish).
  if (c.slot >= options_.max_pipes || !slots_[c.slot].open || slots_[c.slot].next_tx) return;
  Slot& s = slots_[c.slot];
  absl::StatusOr<MessageRingConsumer> tx = MessageRingConsumer::Attach(c.region.tx, c.region.tx_bytes);
  absl::StatusOr<MessageRingProducer> rx = MessageRingProducer::Attach(c.region.rx, c.region.rx_bytes);
  if (!tx.ok() || !rx.ok()) {
    // The daemon initialised them; only the application can have spoilt them since. It
    // stays on its old rings (and its messages in the new tx ring are never read).
    counters_.resize_failed.Add();
    return;
  }
  // Everything delivered so far is in the old rx ring; the application reads it to the end
  // before it follows, so deliveries go to the new ring from now on, in order.
  if (s.rx->Finish()) ring_app_(c.slot);
  s.rx = *std::move(rx);
  s.next_tx = *std::move(tx);
  s.config.buffer_bytes = c.config.buffer_bytes;
  FollowResize(c.slot);
}

void PipeEngine::FollowResize(uint32_t slot) {
  Slot& s = slots_[slot];
  // A message held for credit lives in the old ring: it goes first.
  if (s.pending || !s.tx->Drained()) return;
  s.tx = *std::move(s.next_tx);
  s.next_tx.reset();
  counters_.resizes.Add();
  // From here the worker holds no pointer into the old region.
  s.resized.fetch_add(1, std::memory_order_release);
}

// --- sending -----------------------------------------------------------------------------

uint32_t PipeEngine::PollTx(uint64_t now_ns) {
  up_ports_.clear();
  for (size_t p = 0; p < ports_.port_count(); ++p) {
    port_starved_[p] = 0;
    const bool up = ports_.up(p);
    if (up) up_ports_.push_back(p);
    if (port_up_[p] && !up) {  // what it held is lost: no credit will settle it
      for (auto& [node, peer] : peers_) {
        counters_.frames_written_off.Add(peer.window.WriteOffPort(static_cast<uint16_t>(p)));
      }
    }
    port_up_[p] = up;
  }
  chooser_->Poll();
  RefreshYield(now_ns);
  FlushCredits(now_ns);
  for (uint32_t i = 0; i < options_.max_pipes; ++i) {
    Slot& s = slots_[i];
    if (s.next_tx) [[unlikely]] FollowResize(i);
    if (s.open && now_ns >= s.held_until_ns && s.tx->FillBytes() > 0) scheduler_.MarkReady(i, now_ns);
  }
  uint32_t taken = 0;
  // picks_per_poll drains; a pick that found no room toward its destination does not count
  // (each pipe is picked once a poll at most, so this ends), or pipes blocked on a node
  // that takes nothing would use up every pick and shut out the pipes to other nodes.
  for (uint32_t served = 0; served < options_.picks_per_poll;) {
    const uint32_t slot = scheduler_.Pick(now_ns);
    if (slot == PriorityScheduler::kNone) break;
    const uint32_t n = DrainPipe(slot, now_ns);
    taken += n;
    if (n == 0 && slots_[slot].pending) {
      no_room_.push_back(slot);
    } else {
      ++served;
    }
  }
  // Those keep their turn, in pick order: the next room goes to them, not again to the
  // pipe that took the last (REL-2).
  for (auto it = no_room_.rbegin(); it != no_room_.rend(); ++it) scheduler_.PutBack(*it, now_ns);
  no_room_.clear();
  return taken;
}

uint32_t PipeEngine::DrainPipe(uint32_t slot, uint64_t now_ns) {
  Slot& s = slots_[slot];
  uint32_t taken = 0;
  if (s.pending) {  // the message held for credit goes first, or nothing does
    if (!SendMessage(slot, *s.pending, now_ns)) return 0;
    if (auto p = peers_.find(s.pending->meta.node); p != peers_.end()) {
      p->second.window.DoneWaiting(slot);  // if dropped, not sent: it waits no more
    }
    s.pending.reset();
    ++taken;
  }
  MessageView m;
  while (taken < options_.burst) {
    const ReadStatus st = s.tx->TryRead(&m);
    if (st == ReadStatus::kCorrupt) counters_.tx_corrupt_ring.Add();
    if (st != ReadStatus::kOk) break;
    if (s.bucket && !s.bucket->TryConsume(m.payload.size(), now_ns)) {
      // Over its threshold: the message waits in the ring (read but not released is not
      // possible, so it is sent on the debt and the ring held back until it is paid).
      s.bucket->ForceConsume(m.payload.size(), now_ns);
      const uint64_t wait = s.bucket->NanosUntil(1, now_ns);
      s.held_until_ns = wait == UINT64_MAX ? now_ns : now_ns + wait;
      s.counters.rate_limited_ns.Add(wait == UINT64_MAX ? 0 : wait);
      if (!SendMessage(slot, m, now_ns)) s.pending = m;
      ++taken;
      break;
    }
    if (!SendMessage(slot, m, now_ns)) {
      s.pending = m;  // held for credit, unreleased
      // (yield_stalls counts the waits for a higher priority)
      if (!Yields(s.config.priority)) counters_.window_stalls.Add();
      break;
    }
    ++taken;
  }
  // Released only with nothing held: the held message lives in the ring.
  if (taken > 0 && !s.pending && s.tx->Release()) ring_app_(slot);
  return taken;
}

bool PipeEngine::SendMessage(uint32_t slot, const MessageView& m, uint64_t now_ns) {
  Slot& s = slots_[slot];
  if (m.meta.type > 0xFF || m.payload.size() > max_message() || m.payload.empty()) {
    ++s.next_sequence;
    s.counters.dropped_too_large.Add();
    return true;
  }
  auto route = routes_.find(m.meta.node);
  if (route == routes_.end()) {
    ++s.next_sequence;
    s.counters.dropped_no_route.Add();
    return true;
  }
  DataHeader h;
  h.src_node = options_.node;
  h.dst_node = m.meta.node;
  h.src_pipe = s.config.pipe;
  h.dst_pipe = m.meta.pipe;
  h.type = static_cast<uint8_t>(m.meta.type);
  h.flags = s.config.copies > 1 ? DMPD_DATA_F_MULTI_SEND : 0;
  h.epoch = s.epoch;
  const lb::BalanceKey key{h.src_node, h.dst_node, h.src_pipe, h.dst_pipe, h.type};
  std::array<PortChoice, kMaxCopies> choices;
  // The window first, for as many copies as there can be ports: the port choice counts
  // each message it is asked about as sent (the balancer's per-key traffic), so it must
  // not be asked again and again for a message that waits for credit.
  const size_t expected = std::min({size_t{s.config.copies}, up_ports_.size(), choices.size()});
  if (expected == 0 || route->second.count == 0) {
    ++s.next_sequence;
    s.counters.dropped_no_route.Add();
    return true;
  }
  const size_t chunk = options_.mtu - kSegmentOverhead;
  const bool one_frame = kFrameHeaderLen + kDataHeaderLen + m.payload.size() <= options_.mtu;
  const uint64_t per_copy = one_frame ? 1 : (m.payload.size() + chunk - 1) / chunk;
  const uint64_t header_bytes = kDataHeaderLen + (one_frame ? 0 : kSegmentHeaderLen);
  const FlowVolume copy{per_copy, m.payload.size() + per_copy * header_bytes};
  const FlowVolume need{expected * copy.frames, expected * copy.bytes};
  Peer& peer = PeerFor(m.meta.node);
  if (!WindowAllows(peer, slot, need, now_ns, Yields(s.config.priority))) return false;
  const size_t n = chooser_->Choose(key, m.payload.size(), route->second, up_ports_,
                                    s.config.copies, choices);
  if (n == 0) {
    ++s.next_sequence;
    s.counters.dropped_no_route.Add();
    return true;
  }
  const uint64_t sequence = s.next_sequence++;
  h.sequence = static_cast<uint32_t>(sequence);
  if (n < s.config.copies) s.counters.degraded_copies.Add();
  const std::span<const uint8_t> payload(reinterpret_cast<const uint8_t*>(m.payload.data()),
                                         m.payload.size());
  const uint32_t message_id = ++message_id_;
  size_t sent = 0;
  for (size_t i = 0; i < n; ++i) {
    const size_t frames = SendCopy(choices[i], h, payload, message_id);
    s.counters.sent_frames.Add(frames);
    if (frames > 0 && options_.window_frames != 0) {
      const size_t port = choices[i].port;
      peer.window.OnSent(slot, static_cast<uint16_t>(port), choices[i].dst, sequence_[port] - 1,
                         copy, now_ns);
    }
    sent += frames > 0 ? 1 : 0;
  }
  if (sent == 0) {
    s.counters.dropped_no_buffer.Add();
    return true;
  }
  s.counters.sent_messages.Add();
  s.counters.sent_bytes.Add(payload.size());
  const uint8_t priority = std::min<uint8_t>(s.config.priority, kMaxPriority);
  last_sent_ns_[priority] = now_ns;
  // A higher priority starting to send makes the lower ones yield at once, not next poll.
  if (options_.yield_window_frames != 0) yield_below_ = std::max(yield_below_, priority);
  return true;
}

void PipeEngine::RefreshYield(uint64_t now_ns) {
  yield_below_ = 0;
  if (options_.yield_window_frames == 0) return;
  for (uint8_t q = kMaxPriority; q > 0; --q) {
    if (last_sent_ns_[q] != 0 && now_ns - last_sent_ns_[q] < options_.yield_active_ns) {
      yield_below_ = q;
      return;
    }
  }
}

// --- flow control --------------------------------------------------------------------------

PipeEngine::Peer& PipeEngine::PeerFor(uint16_t node) {
  // A window admits its frame limit of copies, or the copies of one larger message.
  return peers_.try_emplace(node, options_.window_frames + kMaxCopies, options_.max_pipes)
      .first->second;
}

bool PipeEngine::WindowAllows(Peer& p, uint32_t slot, const FlowVolume& next, uint64_t now_ns,
                              bool yielding) {
  if (options_.window_frames == 0) return true;
  // Yielding to a higher priority: a smaller share of the window.
  const uint64_t max_frames = yielding ? std::min<uint64_t>(options_.yield_window_frames,
                                                            options_.window_frames)
                                       : options_.window_frames;
  const uint64_t max_bytes =
      yielding ? std::min(options_.yield_window_bytes, options_.window_bytes) : options_.window_bytes;
  auto fits = [&] {
    // A message larger than the whole window goes when nothing else is in flight.
    const FlowVolume& f = p.window.in_flight();
    return (f.frames == 0 ||
            (f.frames + next.frames <= max_frames && f.bytes + next.bytes <= max_bytes)) &&
           p.window.WithinShare(slot, next.frames, options_.window_frames);
  };
  if (fits()) return true;
  // Credits settle what arrived and what was lost among it; what is still unsettled after
  // the timeout, or overtaken by later frames on other paths, went down a path that died
  // (or the credits did): lost, not in flight.
  const uint64_t cutoff =
      std::max(now_ns > options_.credit_timeout_ns ? now_ns - options_.credit_timeout_ns : 0,
               p.window.settled_sent_ns() > options_.credit_overtaken_ns
                   ? p.window.settled_sent_ns() - options_.credit_overtaken_ns
                   : 0);
  if (cutoff > 0) {
    const uint64_t lost = p.window.WriteOffSentBefore(cutoff);
    if (lost > 0) {
      counters_.credit_timeouts.Add();
      counters_.frames_written_off.Add(lost);
      if (fits()) return true;
    }
  }
  if (yielding) {
    counters_.yield_stalls.Add();  // it waits for the higher pipe, not for a share
  } else {
    p.window.Waiting(slot);
  }
  return false;
}

void PipeEngine::FlushCredits(uint64_t now_ns) {
  if (up_ports_.empty()) return;
  // As many entries as one frame holds (a credit is never segmented).
  const size_t room = (options_.mtu - kFrameHeaderLen - kDataHeaderLen) / kCreditEntryLen;
  std::array<CreditEntry, kMaxCreditEntries> entries;
  const std::span<CreditEntry> out(entries.data(), std::min(room, entries.size()));
  for (auto& [node, p] : peers_) {
    // Every credit_every_frames, or credit_every_ns for the tail of a transfer: a sender
    // that waits has a window (1024) in flight, so the frame rule fires long before.
    if (!p.ledger.Due(now_ns, options_.credit_every_frames, options_.credit_every_ns)) continue;
    auto route = routes_.find(node);
    if (route == routes_.end() || route->second.count == 0) continue;
    // Credit only what the destination pipe has room for: a window more must fit its ring,
    // or a slow application would lose what the window lets through.
    if (p.last_slot >= 0 && slots_[p.last_slot].open) {
      const MessageRingProducer& rx = *slots_[p.last_slot].rx;
      if (rx.FreeBytes() < std::min<uint64_t>(2 * options_.window_bytes, rx.capacity() / 2)) {
        counters_.credits_deferred.Add();
        continue;
      }
    }
    const size_t n = p.ledger.Entries(now_ns, options_.credit_timeout_ns, out);
    if (n == 0) {  // deferred so long that every path went quiet: nothing left to settle
      p.ledger.Credited(now_ns);
      continue;
    }
    uint8_t payload[kMaxCreditEntries * kCreditEntryLen];
    const absl::StatusOr<size_t> len = WriteCreditEntries(out.first(n), payload);
    if (!len.ok()) continue;  // cannot happen: n entries fit the buffer
    DataHeader h;
    h.src_node = options_.node;
    h.dst_node = node;
    h.flags = DMPD_DATA_F_CREDIT;
    const PortChoice to{up_ports_[node % up_ports_.size()], route->second.macs[0]};
    if (SendCopy(to, h, std::span(payload, *len), 0) == 0) continue;  // no buffer: next poll
    counters_.credits_sent.Add();
    p.ledger.Credited(now_ns);
  }
}

void PipeEngine::OnCredit(const DataHeader& h, std::span<const uint8_t> payload) {
  std::array<CreditEntry, kMaxCreditEntries> entries;
  const absl::StatusOr<size_t> n = ReadCreditEntries(payload, entries);
  if (!n.ok() || h.dst_node != options_.node) {
    counters_.bad_data.Add();
    return;
  }
  counters_.credits_received.Add();
  auto p = peers_.find(h.src_node);
  if (p == peers_.end()) return;  // we never sent to it: nothing to settle
  for (size_t i = 0; i < *n; ++i) p->second.window.Settle(entries[i]);
}

size_t PipeEngine::SendCopy(const PortChoice& to, const DataHeader& h,
                            std::span<const uint8_t> payload, uint32_t message_id) {
  if (port_starved_[to.port]) return 0;
  const size_t whole = kFrameHeaderLen + kDataHeaderLen + payload.size();
  const bool segmented = whole > options_.mtu;
  const size_t chunk = options_.mtu - kSegmentOverhead;
  const size_t count = segmented ? (payload.size() + chunk - 1) / chunk : 1;
  FrameHeader fh;
  fh.kind = DMPD_KIND_DATA;
  fh.cluster_id = options_.cluster_id;
  fh.sender_node = options_.node;
  fh.sender_port = static_cast<uint16_t>(to.port);
  const MacAddress src = ports_.mac(to.port);
  DataHeader dh = h;
  if (segmented) dh.flags |= DMPD_DATA_F_SEGMENT;
  for (size_t i = 0; i < count; ++i) {
    const std::span<const uint8_t> piece =
        segmented ? payload.subspan(i * chunk, std::min(chunk, payload.size() - i * chunk)) : payload;
    const size_t dmpd_payload = kDataHeaderLen + (segmented ? kSegmentHeaderLen : 0) + piece.size();
    const size_t len = std::max<size_t>(kEthLen + kFrameHeaderLen + dmpd_payload, 60);
    std::span<uint8_t> f = ports_.Begin(to.port, len);
    if (f.empty()) {
      port_starved_[to.port] = 1;
      return 0;  // a partial message: the receiver's reassembly times out
    }
    std::memset(f.data(), 0, len);  // padding included
    std::copy(to.dst.begin(), to.dst.end(), f.begin());
    std::copy(src.begin(), src.end(), f.begin() + 6);
    StoreBe16(f.data() + 12, options_.ethertype);
    fh.payload_len = static_cast<uint16_t>(dmpd_payload);
    fh.sequence = sequence_[to.port]++;
    (void)EncodeFrameHeader(fh, f.subspan(kEthLen));
    uint8_t* p = f.data() + kEthLen + kFrameHeaderLen;
    (void)WriteDataPayload(dh, {}, std::span(p, kDataHeaderLen));
    p += kDataHeaderLen;
    if (segmented) {
      StoreBe32(p, message_id);
      StoreBe16(p + 4, static_cast<uint16_t>(i));
      StoreBe16(p + 6, static_cast<uint16_t>(count));
      p += kSegmentHeaderLen;
    }
    std::memcpy(p, piece.data(), piece.size());
    ports_.Commit(to.port);
  }
  return count;
}

// --- receiving ---------------------------------------------------------------------------

void PipeEngine::OnDataFrame(size_t port, const FrameHeader& header,
                             std::span<const uint8_t> payload, uint64_t now_ns) {
  const absl::StatusOr<DataFrameView> v = ReadDataPayload(payload);
  if (!v.ok()) {
    counters_.bad_data.Add();
    return;
  }
  if (v->header.flags & DMPD_DATA_F_CREDIT) {
    OnCredit(v->header, v->payload);
    return;
  }
  // What we credit it with, whatever becomes of the frame. Only nodes we have a route to
  // (data frames are not signed: a forged src_node must not grow the table).
  if (routes_.contains(v->header.src_node)) {
    PeerFor(v->header.src_node)
        .ledger.OnFrame(header.sender_port, static_cast<uint16_t>(port), ports_.mac(port),
                        header.sequence, now_ns);
  }
  if (!(v->header.flags & DMPD_DATA_F_SEGMENT)) {
    Deliver(v->header, v->payload, now_ns);
    return;
  }
  // A piece of a larger message: the reassembler keys pieces by (sender node, kind,
  // message id) and keeps each message's first complete copy only.
  FrameHeader key = header;
  key.sender_node = v->header.src_node;
  absl::StatusOr<ReassemblyResult> r = reassembler_.Add(key, v->payload, now_ns);
  if (!r.ok()) {
    counters_.reassembly_dropped.Add();
    return;
  }
  if (r->state != ReassemblyResult::State::kComplete) return;
  counters_.messages_reassembled.Add();
  Deliver(v->header, r->body, now_ns);
}

void PipeEngine::Deliver(const DataHeader& h, std::span<const uint8_t> payload, uint64_t now_ns) {
  const int32_t slot = slot_of_pipe_[h.dst_pipe];
  if (slot < 0 || h.dst_node != options_.node) {
    counters_.no_pipe.Add();  // PIPE-4: never delivered elsewhere
    return;
  }
  Slot& s = slots_[slot];
  if (auto p = peers_.find(h.src_node); p != peers_.end()) p->second.last_slot = slot;
  const DedupKey key{h.src_node, h.src_pipe};
  const uint64_t sequence = Widen(dedup_.Top(key, h.epoch), h.sequence);
  const DedupVerdict verdict = dedup_.Accept(key, h.epoch, sequence, now_ns);
  if (!IsNew(verdict)) {
    if (verdict == DedupVerdict::kStale) {
      counters_.stale_incarnation.Add();
    } else {
      s.counters.duplicates.Add();
    }
    return;
  }
  if (verdict == DedupVerdict::kNewLate) s.counters.out_of_order.Add();
  MessageMeta meta;
  meta.type = h.type;
  meta.node = h.src_node;
  meta.pipe = h.src_pipe;
  meta.sequence = sequence;
  bool doorbell = false;
  const PushStatus st =
      s.rx->TryPush(meta, std::as_bytes(std::span(payload.data(), payload.size())), &doorbell);
  if (st != PushStatus::kOk) {
    s.counters.dropped_rx_full.Add();
    return;
  }
  s.counters.received_messages.Add();
  s.counters.received_bytes.Add(payload.size());
  if (doorbell) ring_app_(static_cast<uint32_t>(slot));
}

// --- sleeping ----------------------------------------------------------------------------

bool PipeEngine::PrepareToSleep() {
  for (uint32_t i = 0; i < options_.max_pipes; ++i) {
    Slot& s = slots_[i];
    if (!s.open) continue;
    // Resizing: the application may finish the old ring or write to the new one; either
    // wakes us.
    if (!s.tx->PrepareToSleep() || (s.next_tx && !s.next_tx->PrepareToSleep())) {
      StopSleeping();
      return false;
    }
    // After our flag, the application's finish: move on now rather than at the next wake.
    if (s.next_tx && !s.pending && s.tx->Drained()) {
      StopSleeping();
      return false;
    }
  }
  return true;
}

void PipeEngine::StopSleeping() {
  for (uint32_t i = 0; i < options_.max_pipes; ++i) {
    if (!slots_[i].open) continue;
    slots_[i].tx->StopSleeping();
    if (slots_[i].next_tx) slots_[i].next_tx->StopSleeping();
  }
}

}  // namespace dmpd::pipe
