// SPDX-License-Identifier: BSD-3-Clause
#include "userspace/cluster/cluster_node.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "common/leave.h"
#include "common/node_info.h"
#include "common/node_view.h"
#include "common/port_info.h"
#include "common/protocol_limits.h"
#include "common/tlv_codec.h"
#include "absl/strings/str_cat.h"

namespace dmpd::cluster {
namespace {

std::optional<uint32_t> LossPpm(std::optional<double> ratio) {
  if (!ratio) return std::nullopt;
  return static_cast<uint32_t>(*ratio * 1e6 + 0.5);
}

constexpr uint64_t kUsPerNs = 1000;

}  // namespace

std::string_view RoleName(Role r) {
  switch (r) {
    case Role::kJoining: return "joining";
    case Role::kFollower: return "follower";
    case Role::kCandidate: return "candidate";
    case Role::kMaster: return "master";
    case Role::kLeft: return "left";
    case Role::kConflict: return "conflict";
  }
  return "?";
}

std::string_view MemberStateName(MemberState s) {
  switch (s) {
    case MemberState::kAlive: return "alive";
    case MemberState::kSuspect: return "suspect";
    case MemberState::kFailed: return "failed";
    case MemberState::kLeft: return "left";
    case MemberState::kConflict: return "conflict";
  }
  return "?";
}

std::optional<uint8_t> VouchedPortState(const Member& m, const PortInfo& p) {
  switch (m.state) {
    case MemberState::kFailed: return kPortDown;
    case MemberState::kLeft: return std::nullopt;
    default: return p.state;
  }
}

bool ClusterNode::Rank::operator>(const Rank& o) const {
  // Higher priority, then the fresher view, then the lower node number.
  return std::make_tuple(priority, view_cycle, static_cast<uint16_t>(~node)) >
         std::make_tuple(o.priority, o.view_cycle, static_cast<uint16_t>(~o.node));
}

ClusterNode::ClusterNode(const ClusterConfig& config, ControlChannel& channel,
                         TimerQueue& timers, LocalInputs local)
    : config_(config), channel_(channel), timers_(timers), local_(std::move(local)) {
  if (config_.reply_delay_ns == 0) config_.reply_delay_ns = config_.interval_ns / 2;
  if (config_.election_window_ns == 0) config_.election_window_ns = config_.interval_ns;
  const size_t ports = channel_.port_count();
  port_heard_ns_.assign(ports, 0);
  port_heard_cycle_.assign(ports, 0);
  master_mac_on_port_.assign(ports, MacAddress{});
  heartbeats_on_port_.assign(ports, 0);
  own_loss_ppm_.assign(ports, std::nullopt);
  auto on = [this](uint8_t kind, void (ClusterNode::*fn)(const Message&, const ReceivedOn&)) {
    channel_.On(kind, [this, fn](const Message& m, const ReceivedOn& from) { (this->*fn)(m, from); });
  };
  on(DMPD_KIND_TIME_SYNC, &ClusterNode::OnTimeSync);
  on(DMPD_KIND_HEARTBEAT, &ClusterNode::OnHeartbeat);
  on(DMPD_KIND_HEARTBEAT_RESPONSE, &ClusterNode::OnResponse);
  on(DMPD_KIND_CANDIDACY, &ClusterNode::OnCandidacy);
  on(DMPD_KIND_ANNOUNCE, &ClusterNode::OnAnnounce);
  on(DMPD_KIND_LEAVE, &ClusterNode::OnLeave);
  on(DMPD_KIND_VOTE, &ClusterNode::OnVote);
  // A new node listens for a master for as long as a follower would wait for a missing
  // one, then stands for election (Tick).
  master_heard_ns_ = timers_.NowNs();
  RefreshOwnEntry();
  tick_timer_ = timers_.Every(config_.interval_ns, config_.interval_ns, [this] { Tick(); });
  // The master's absence is checked four times an interval, so an election starts within
  // a quarter interval of the patience running out (detection in about k intervals).
  watch_timer_ = timers_.Every(config_.interval_ns / 4 + 1, config_.interval_ns / 4 + 1,
                               [this] { WatchMaster(); });
}

ClusterNode::~ClusterNode() {
  for (uint8_t kind : {DMPD_KIND_TIME_SYNC, DMPD_KIND_HEARTBEAT, DMPD_KIND_HEARTBEAT_RESPONSE,
                       DMPD_KIND_CANDIDACY, DMPD_KIND_ANNOUNCE, DMPD_KIND_LEAVE,
                       DMPD_KIND_VOTE}) {
    channel_.On(kind, nullptr);
  }
  timers_.Cancel(tick_timer_);
  timers_.Cancel(watch_timer_);
  timers_.Cancel(cycle_timer_);
  timers_.Cancel(election_timer_);
}

void ClusterNode::Later(uint64_t delay_ns, std::function<void()> fn) {
  // One-shot work for later (the answer, the heartbeat) that must not run once this node
  // is gone (a crash in the simulator), without keeping a list of timers to cancel.
  timers_.After(delay_ns, [alive = std::weak_ptr<const bool>(alive_), fn = std::move(fn)] {
    if (!alive.expired()) fn();
  });
}

// --- terms and roles -------------------------------------------------------------------

bool ClusterNode::ObserveTerm(uint32_t term) {
  if (term < term_) {
    ++stats_.stale_term;
    return false;
  }
  if (term > term_) {
    term_ = term;
    ++stats_.terms_adopted;
    if (role_ == Role::kMaster) StepDown();
    if (role_ == Role::kCandidate) role_ = Role::kJoining;
    master_.reset();
    master_priority_.reset();
  }
  return true;
}

void ClusterNode::StepDown() {
  ++stats_.stepped_down;
  timers_.Cancel(cycle_timer_);
  cycle_timer_ = 0;
  role_ = Role::kJoining;
  master_.reset();
  master_heard_ns_ = timers_.NowNs();
}

void ClusterNode::Follow(uint16_t master) {
  if (role_ == Role::kLeft || role_ == Role::kConflict) {
    master_ = master;  // still listening, for the view; not a member
    return;
  }
  if (role_ == Role::kCandidate) {
    timers_.Cancel(election_timer_);
    election_timer_ = 0;
  }
  role_ = Role::kFollower;
  master_ = master;
}

void ClusterNode::HeardMaster(size_t port, const ReceivedOn& from, uint32_t cycle) {
  master_heard_ns_ = timers_.NowNs();
  if (port < port_heard_ns_.size()) {
    port_heard_ns_[port] = timers_.NowNs();
    port_heard_cycle_[port] = cycle;
    master_mac_on_port_[port] = from.src_mac;
    ++heartbeats_on_port_[port];
  }
}

// --- election ----------------------------------------------------------------------------
//
// A proposal does not raise the term by itself (as Raft's pre-vote): a node that merely
// cannot hear the master (a pulled cable, a partition of one) must not depose it when it
// comes back. The term is raised when another node agrees (it lost the master too and
// answers with its own candidacy for the same term), or at once when no other member is
// left to agree (a two-node cluster whose master died, a cold start alone).

bool ClusterNode::MasterHeardRecently() const {
  return master_.has_value() &&
         timers_.NowNs() - master_heard_ns_ <=
             uint64_t{config_.master_failed_after} * config_.interval_ns;
}

bool ClusterNode::OthersToAgree() const {
  for (const auto& [node, m] : members_) {
    if (node == config_.node || node == master_.value_or(config_.node)) continue;
    if (m.state == MemberState::kAlive || m.state == MemberState::kSuspect) return true;
  }
  return false;
}

void ClusterNode::Propose() {
  ++stats_.elections_started;
  const uint32_t term = term_ + 1;
  const bool alone = !OthersToAgree();
  role_ = Role::kCandidate;
  election_term_ = term;
  election_agreed_ = alone;
  if (alone) term_ = term;
  best_candidate_ = OwnRank();
  SendCandidacy(term);
  ArmElection(term);
}

void ClusterNode::SendCandidacy(uint32_t term) {
  Candidacy c;
  c.term = term;
  c.node = config_.node;
  c.priority = config_.priority;
  c.view_cycle = cycle_;
  (void)channel_.SendOnAllPorts(c);
}

void ClusterNode::ArmElection(uint32_t term) {
  timers_.Cancel(election_timer_);
  election_timer_ = timers_.After(config_.election_window_ns, [this, term] { CloseElection(term); });
}

void ClusterNode::OnCandidacy(const Message& m, const ReceivedOn&) {
  const auto& c = std::get<Candidacy>(m.body);
  if (c.node != m.header.sender_node || c.node == config_.node) return;  // speaks for itself
  if (role_ == Role::kLeft || role_ == Role::kConflict) return;         // not a member now
  const Rank theirs{c.priority, c.view_cycle, c.node};
  if (role_ == Role::kMaster) {
    if (c.term > term_ && config_.preempt && c.priority > config_.priority) {
      // preempt: a better node asks for the cluster; hand it over.
      StepDown();
      JoinElection(c.term, theirs);
      return;
    }
    // A healthy master stays: tell the proposer who leads. A proposal for a higher term
    // (a node that agreed on it with another while cut off) raises our term, so that
    // terms stay ordered and the proposer can follow us.
    if (c.term > term_) {
      term_ = c.term;
      ++stats_.terms_adopted;
    }
    AnnounceSelf();
    return;
  }
  if (c.term < term_) {
    ++stats_.stale_term;
    return;
  }
  if (role_ == Role::kFollower && MasterHeardRecently()) return;  // our master is fine
  if (role_ == Role::kCandidate && c.term == election_term_) {
    // Someone else lost the master too: the election is on.
    AgreeOn(c.term);
    if (theirs > *best_candidate_) {
      best_candidate_ = theirs;
      SendVote(c.term, c.node);  // it may have proposed alone: tell it we agree
    }
    return;
  }
  if (c.term > term_ || (c.term == term_ && role_ != Role::kCandidate)) {
    JoinElection(c.term, theirs);
  }
}

void ClusterNode::JoinElection(uint32_t term, const Rank& proposer) {
  if (term > term_) ++stats_.terms_adopted;
  term_ = term;
  master_.reset();
  role_ = Role::kCandidate;
  election_term_ = term;
  election_agreed_ = true;
  best_candidate_ = proposer;
  // Stand only if we would beat the best so far: fewer candidacies on a large LAN. Else
  // say that we agree, so that the proposer (which has not raised its term yet) knows it
  // is not cut off.
  if (OwnRank() > proposer) {
    best_candidate_ = OwnRank();
    SendCandidacy(term);
  } else {
    SendVote(term, proposer.node);
  }
  ArmElection(term);
}

void ClusterNode::AgreeOn(uint32_t term) {
  if (election_agreed_) return;
  election_agreed_ = true;
  if (term_ < term) {
    term_ = term;
    ++stats_.terms_adopted;
  }
}

void ClusterNode::SendVote(uint32_t term, uint16_t candidate) {
  Vote v;
  v.term = term;
  v.node = candidate;
  v.priority = config_.priority;
  v.view_cycle = cycle_;
  (void)channel_.SendOnAllPorts(v);
}

void ClusterNode::OnVote(const Message& m, const ReceivedOn&) {
  const auto& v = std::get<Vote>(m.body);
  if (m.header.sender_node == config_.node) return;
  // Another node lost the master too and takes part in this election.
  if (role_ == Role::kCandidate && v.term == election_term_) AgreeOn(v.term);
}

void ClusterNode::CloseElection(uint32_t term) {
  election_timer_ = 0;
  if (role_ != Role::kCandidate || term != election_term_) return;
  if (!election_agreed_) {
    // Nobody answered although others should be there: we are cut off. Keep the term and
    // try again later; whoever leads will be heard when the link comes back.
    ++stats_.isolated;
    role_ = Role::kJoining;
    master_heard_ns_ = timers_.NowNs();
    return;
  }
  if (best_candidate_ && best_candidate_->node == config_.node) {
    BecomeMaster();
    return;
  }
  // Wait for the winner's announce; if it never comes, the master-failure timeout starts
  // a new election (Tick).
  role_ = Role::kJoining;
  master_heard_ns_ = timers_.NowNs();
}

void ClusterNode::AnnounceSelf() {
  Announce a;
  a.term = term_;
  a.node = config_.node;
  a.priority = config_.priority;
  a.view_cycle = cycle_;
  (void)channel_.SendOnAllPorts(a);
}

void ClusterNode::BecomeMaster() {
  // Cycles go on from the highest any member reached, so that they never step back
  // across masters and "missed cycles" stay meaningful.
  for (const auto& [node, m] : members_) cycle_ = std::max(cycle_, m.last_cycle);
  role_ = Role::kMaster;
  master_ = config_.node;
  master_priority_ = config_.priority;
  ++stats_.became_master;
  AnnounceSelf();
  timers_.Cancel(cycle_timer_);
  cycle_timer_ = timers_.Every(config_.interval_ns, 0, [this] { RunCycle(); });
}

void ClusterNode::OnAnnounce(const Message& m, const ReceivedOn& from) {
  const auto& a = std::get<Announce>(m.body);
  if (a.node == config_.node) return;
  if (a.node != m.header.sender_node) {
    // Relayed by a follower of a newer master we may not hear: take the newer term (a
    // master steps down), and follow that master once we hear it ourselves.
    ObserveTerm(a.term);
    return;
  }
  if (!ObserveTerm(a.term)) return;
  if (role_ == Role::kMaster) {
    // Two masters in one term (a healed partition): the better rank stays.
    const Rank mine{config_.priority, 0, config_.node};
    const Rank theirs{a.priority, 0, a.node};
    if (mine > theirs) return;
    StepDown();
  }
  master_priority_ = a.priority;
  Follow(a.node);
  HeardMaster(from.port, from, cycle_);
}

// --- the cycle ---------------------------------------------------------------------------

void ClusterNode::RunCycle() {
  if (role_ != Role::kMaster) return;
  ++cycle_;
  ++stats_.cycles;
  TimeSync t;
  t.term = term_;
  t.cycle = cycle_;
  t.master_time_ns = static_cast<uint64_t>(absl::ToUnixNanos(timers_.clock().Wall()));
  t.interval_us = static_cast<uint32_t>(config_.interval_ns / kUsPerNs);
  t.reply_delay_us = static_cast<uint32_t>(config_.reply_delay_ns / kUsPerNs);
  (void)channel_.SendOnAllPorts(t);
  // The master hears itself on every port whose link is up.
  for (size_t p = 0; p < port_heard_ns_.size(); ++p) {
    if (!local_.link_up || local_.link_up(p)) {
      port_heard_ns_[p] = timers_.NowNs();
      port_heard_cycle_[p] = cycle_;
    }
  }
  const uint32_t cycle = cycle_;
  Later(config_.reply_delay_ns, [this, cycle] { SendHeartbeat(cycle); });
}

void ClusterNode::SendHeartbeat(uint32_t cycle) {
  if (role_ != Role::kMaster || cycle != cycle_) return;
  if (config_.loss_window_cycles > 0 && cycle % config_.loss_window_cycles == 0) MeasureLoss();
  RefreshOwnEntry();
  EvaluateMembers();
  // A view that fits one frame goes on every port; a larger one on one port a cycle, in
  // turn (the time-sync, on every port, is the other ports' beacon).
  const size_t ports = channel_.port_count();
  size_t view_port = SIZE_MAX;
  for (size_t i = 1; i <= ports && view_port == SIZE_MAX; ++i) {
    const size_t p = (last_view_port_ + i) % ports;
    if (!local_.link_up || local_.link_up(p)) view_port = p;
  }
  if (view_port == SIZE_MAX) return;  // every link down: nobody to tell
  // Too large for the segment limit is the one way this fails: counted, never silent.
  const absl::Status sent =
      channel_.SendOnPorts(BuildHeartbeat(cycle), [&](size_t port, size_t frames) {
        return frames == 1 || port == view_port;
      });
  last_view_port_ = view_port;
  if (!sent.ok()) ++stats_.heartbeats_unsent;
  ReportChanges();
}

// eq. (2) at the end of a window: the members' ports from what this node received of them,
// its own ports from what the members reported receiving (OnResponse).
void ClusterNode::MeasureLoss() {
  for (const auto& [node, m] : members_) {
    if (node == config_.node) continue;
    for (const PortInfo& p : m.view.ports) {
      if (const Receipt* r = channel_.receipts().Find(node, p.id)) {
        loss_meter_.Observe(node, p.id, config_.node, *r);
      }
    }
  }
  loss_meter_.CloseWindow();
  for (auto& [node, m] : members_) ApplyMeasuredLoss(m);
}

void ClusterNode::ApplyMeasuredLoss(Member& member) const {
  for (PortInfo& p : member.view.ports) {
    p.loss_ppm = LossPpm(loss_meter_.Loss(member.node, p.id));
  }
}

std::optional<double> ClusterNode::PortLossRatio(size_t port) const {
  if (role_ == Role::kMaster) return loss_meter_.Loss(config_.node, static_cast<uint16_t>(port));
  if (port >= own_loss_ppm_.size() || !own_loss_ppm_[port]) return std::nullopt;
  return *own_loss_ppm_[port] / 1e6;
}

void ClusterNode::EvaluateMembers() {
  for (auto& [node, m] : members_) {
    if (node == config_.node) continue;
    if (m.state == MemberState::kLeft) continue;  // until it answers again
    if (m.state == MemberState::kConflict && cycle_ - m.conflict_cycle < config_.node_failed_after) {
      continue;  // the other daemon still answers
    }
    const uint32_t missed = m.last_cycle >= cycle_ ? 0 : cycle_ - m.last_cycle;
    m.state = missed == 0                          ? MemberState::kAlive
              : missed >= config_.node_failed_after ? MemberState::kFailed
                                                    : MemberState::kSuspect;
  }
}

// CLU-6: every member's state and its ports that are not up go out every cycle (a few
// bytes a node); the full monitoring data of as many members as `view_data_budget_bytes`
// allows, round robin, so a large cluster's data refreshes over several cycles (its age
// says how old it is) while a small one's goes out whole every cycle.
Heartbeat ClusterNode::BuildHeartbeat(uint32_t cycle) {
  Heartbeat h;
  h.term = term_;
  h.cycle = cycle;
  h.master_time_ns = static_cast<uint64_t>(absl::ToUnixNanos(timers_.clock().Wall()));
  std::set<uint16_t> full;
  size_t used = 0;
  auto start = members_.upper_bound(full_cursor_);
  for (size_t i = 0; i < members_.size(); ++i, ++start) {
    if (start == members_.end()) start = members_.begin();
    std::vector<uint8_t> scratch;
    TlvWriter w(&scratch);
    EncodeNodeView(start->second.view, &w);
    if (!full.empty() && used + scratch.size() > config_.view_data_budget_bytes) break;
    used += scratch.size();
    full.insert(start->first);
    full_cursor_ = start->first;
  }
  for (const auto& [node, m] : members_) {
    NodeView v;
    if (full.count(node) > 0) {
      v = m.view;
    } else {
      // Only the ports that are not up or lose frames; a member entry without data means
      // "absent: up, no loss".
      for (const PortInfo& p : m.view.ports) {
        if (p.state != kPortUp || m.state == MemberState::kFailed || p.loss_ppm.value_or(0) > 0) {
          PortInfo& q = v.ports.emplace_back();
          q.id = p.id;
          q.state = p.state;
          q.loss_ppm = p.loss_ppm;
        }
      }
    }
    v.info.id = node;
    v.info.member_state = static_cast<uint8_t>(
        m.state == MemberState::kAlive     ? kMemberAlive
        : m.state == MemberState::kSuspect ? kMemberSuspect
        : m.state == MemberState::kFailed  ? kMemberFailed
        : m.state == MemberState::kLeft    ? kMemberLeft
                                           : kMemberConflict);
    v.info.last_seen_cycle = m.last_cycle;
    if (m.state == MemberState::kLeft) v.info.health = kNodeLeaving;
    if (m.state == MemberState::kFailed) {
      for (PortInfo& p : v.ports) p.state = kPortDown;  // nothing heard from it lately
    }
    h.nodes.push_back(std::move(v));
  }
  return h;
}

void ClusterNode::OnTimeSync(const Message& m, const ReceivedOn& from) {
  const auto& t = std::get<TimeSync>(m.body);
  const uint16_t sender = m.header.sender_node;
  if (sender == config_.node) return;
  if (!ObserveTerm(t.term)) {
    // A master of an older term that cannot hear the newer one (port failures on
    // different LANs): tell it whom we follow, so that it steps down instead of counting
    // us failed.
    if (master_.has_value() && *master_ != sender) {
      Announce a;
      a.term = term_;
      a.node = *master_;
      a.priority = master_priority_.value_or(0);
      a.view_cycle = cycle_;
      (void)channel_.Send(from.port, a, from.src_mac);
    }
    return;
  }
  if (role_ == Role::kMaster) {
    // Another master of our term (a healed partition). Its priority is not in a
    // time-sync: announce ourselves, and each of us settles it on the other's announce.
    AnnounceSelf();
    return;
  }
  if (master_ != sender) master_priority_.reset();
  Follow(sender);
  cycle_ = t.cycle;  // the master's numbering, even if ours ran ahead under another
  HeardMaster(from.port, from, t.cycle);
  // A node that left does not answer; one in conflict does, so that the master keeps
  // seeing the clash (it never takes that node's data).
  if (role_ != Role::kFollower && role_ != Role::kConflict) return;
  if (responded_cycle_ == t.cycle) return;
  responded_cycle_ = t.cycle;
  // Answer once per cycle, a little later, so that the time-syncs of every port have
  // arrived and the observations cover them all.
  const uint32_t cycle = t.cycle;
  Later(config_.reply_delay_ns / 4, [this, cycle] { SendResponse(cycle); });
}

void ClusterNode::SendResponse(uint32_t cycle) {
  if ((role_ != Role::kFollower && role_ != Role::kConflict) || !master_.has_value()) return;
  // CLU-6: our whole data once every R cycles, R chosen so that all members' data together
  // stays within the view budget at the master; in the other cycles a short answer (our
  // number and the ports that are not up). It goes to the master's MAC on the first port
  // that heard this cycle, and a short copy on a second one, so one lost frame is not a
  // missed cycle.
  const NodeView self = LocalView();
  std::vector<uint8_t> scratch;
  TlvWriter w(&scratch);
  EncodeNodeView(self, &w);
  const size_t total = scratch.size() * std::max<size_t>(members_.size(), 1);
  const uint32_t every = static_cast<uint32_t>(
      std::max<size_t>(1, (total + config_.view_data_budget_bytes - 1) / config_.view_data_budget_bytes));
  const bool full_due = (cycle + config_.node) % every == 0 || master_ != answered_master_;
  HeartbeatResponse shortened;
  shortened.term = term_;
  shortened.cycle = cycle;
  shortened.node_time_ns = static_cast<uint64_t>(absl::ToUnixNanos(timers_.clock().Wall()));
  shortened.self.info.id = config_.node;
  for (const PortInfo& p : self.ports) {
    if (p.state != kPortUp) {
      PortInfo& q = shortened.self.ports.emplace_back();
      q.id = p.id;
      q.state = p.state;
    }
  }
  size_t sent = 0;
  for (size_t port = 0; port < port_heard_cycle_.size() && sent < 2; ++port) {
    if (port_heard_cycle_[port] != cycle || port_heard_ns_[port] == 0) continue;
    HeartbeatResponse r = shortened;
    if (sent == 0 && (full_due || (config_.loss_window_cycles > 0 &&
                                   (cycle + config_.node) % config_.loss_window_cycles == 0))) {
      // eq. (2): what we received of the master's ports, at least once a loss window.
      channel_.receipts().ForNode(*master_, [&](uint16_t port, const Receipt& got) {
        PeerReceipt& receipt = r.receipts.emplace_back();
        receipt.id = port;
        receipt.sender_node = *master_;
        receipt.received = got.received;
        receipt.numbered = got.numbered;
      });
    }
    if (sent == 0 && full_due) {
      r.self = self;
      for (size_t p = 0; p < port_heard_ns_.size(); ++p) {
        MasterObservation o;
        o.id = static_cast<uint16_t>(p);
        o.heartbeats_received = heartbeats_on_port_[p];
        r.observations.push_back(o);
      }
    }
    if (channel_.Send(port, r, master_mac_on_port_[port]).ok()) {
      ++stats_.responses_sent;
      if (sent == 0 && full_due) answered_master_ = master_;
      ++sent;
    }
  }
}

void ClusterNode::OnResponse(const Message& m, const ReceivedOn& from) {
  if (role_ != Role::kMaster) return;
  const auto& r = std::get<HeartbeatResponse>(m.body);
  if (!ObserveTerm(r.term) || r.term != term_ || role_ != Role::kMaster) return;
  const uint16_t node = m.header.sender_node;  // == r.self.info.id (FrameReceiver checks)
  if (node == config_.node) return;
  ++stats_.responses_received;
  if (members_.count(node) == 0 && members_.size() >= kMaxViewNodes) {
    ++stats_.members_refused;  // a view larger than a heartbeat may carry (REL-5)
    return;
  }
  for (const PeerReceipt& got : r.receipts) {
    if (got.sender_node == config_.node && got.received && got.numbered) {
      loss_meter_.Observe(config_.node, got.id, node, Receipt{*got.received, *got.numbered});
    }
  }
  Member& member = members_[node];
  member.node = node;
  auto known = member_macs_.find(node);
  const bool owned = known != member_macs_.end() && member.state != MemberState::kFailed &&
                     member.state != MemberState::kLeft;
  if (MacsOf(r.self).empty()) {
    // A short answer: alive, and the ports it lists are not up (the others are), if it
    // comes from the daemon we know by that number.
    if (!owned) return;  // the full answer decides who owns the number
    if (std::find(known->second.begin(), known->second.end(), from.src_mac) ==
        known->second.end()) {
      NoteConflict(member, r.cycle);
      return;
    }
    for (PortInfo& p : member.view.ports) {
      auto listed = std::find_if(r.self.ports.begin(), r.self.ports.end(),
                                 [&](const PortInfo& q) { return q.id == p.id; });
      p.state = listed != r.self.ports.end() ? listed->state : std::optional<uint8_t>(kPortUp);
    }
  } else {
    const std::vector<MacAddress> macs = MacsOf(r.self);
    if (!owned) {
      // New, or back after a failure or leave: whoever answers now owns the number.
      member_macs_[node] = macs;
    } else if (known->second != macs) {
      NoteConflict(member, r.cycle);  // keep the first one's data
      return;
    }
    member.view = r.self;
    ApplyMeasuredLoss(member);  // ours, not the member's echo of an older window
  }
  member.last_cycle = std::max(member.last_cycle, r.cycle);
  member.updated_ns = timers_.NowNs();
  if (member.state != MemberState::kConflict) member.state = MemberState::kAlive;
}

void ClusterNode::NoteConflict(Member& member, uint32_t cycle) {
  // One number, two daemons (CLU-7): flagged for as long as the other keeps answering.
  if (member.state != MemberState::kConflict) ++stats_.conflicts_seen;
  member.state = MemberState::kConflict;
  member.conflict_cycle = std::max(member.conflict_cycle, cycle);
}

void ClusterNode::OnHeartbeat(const Message& m, const ReceivedOn& from) {
  const auto& h = std::get<Heartbeat>(m.body);
  const uint16_t sender = m.header.sender_node;
  if (sender == config_.node) return;
  if (!ObserveTerm(h.term)) return;
  if (role_ == Role::kMaster) return;  // settled by time-sync and announce
  ++stats_.heartbeats_received;
  if (master_ != sender) Follow(sender);
  cycle_ = h.cycle;
  HeardMaster(from.port, from, h.cycle);
  // A small view comes on every port: apply each cycle's once.
  if (applied_view_ == std::make_pair(h.term, h.cycle)) return;
  applied_view_ = {h.term, h.cycle};
  // The master's view replaces ours: it is the one every node ends the cycle with.
  // The master's view replaces ours: it is the one every node ends the cycle with. An
  // entry with data (its ports carry MACs) replaces what we held; one without updates the
  // state and the ports it lists, and the ports it does not list are up.
  std::map<uint16_t, Member> next;
  const uint64_t now = timers_.NowNs();
  for (const NodeView& v : h.nodes) {
    Member mem;
    if (auto old = members_.find(v.info.id); old != members_.end()) mem = old->second;
    mem.node = v.info.id;
    const uint8_t s = v.info.member_state.value_or(kMemberAlive);
    mem.state = s == kMemberSuspect    ? MemberState::kSuspect
                : s == kMemberFailed   ? MemberState::kFailed
                : s == kMemberLeft     ? MemberState::kLeft
                : s == kMemberConflict ? MemberState::kConflict
                                       : MemberState::kAlive;
    if (mem.state != MemberState::kLeft) mem.left_reason = 0;
    mem.last_cycle = v.info.last_seen_cycle.value_or(h.cycle);
    const bool has_data = !MacsOf(v).empty();
    if (has_data) {
      mem.view = v;
      mem.updated_ns = now;
    } else {
      mem.view.info.id = v.info.id;
      mem.view.info.member_state = v.info.member_state;
      mem.view.info.last_seen_cycle = v.info.last_seen_cycle;
      if (v.info.health) mem.view.info.health = v.info.health;
      for (PortInfo& p : mem.view.ports) {
        auto listed = std::find_if(v.ports.begin(), v.ports.end(),
                                   [&](const PortInfo& q) { return q.id == p.id; });
        const bool is_listed = listed != v.ports.end();
        p.state = is_listed ? listed->state : std::optional<uint8_t>(kPortUp);
        if (is_listed) {
          p.loss_ppm = listed->loss_ppm;
        } else if (p.loss_ppm) {
          p.loss_ppm = 0;  // unlisted: no loss
        }
      }
      for (const PortInfo& q : v.ports) {  // ports we had no data for yet
        if (std::none_of(mem.view.ports.begin(), mem.view.ports.end(),
                         [&](const PortInfo& p) { return p.id == q.id; })) {
          mem.view.ports.push_back(q);
        }
      }
    }
    if (v.info.id == config_.node) {
      for (const PortInfo& p : mem.view.ports) {
        if (p.id < own_loss_ppm_.size()) own_loss_ppm_[p.id] = p.loss_ppm;
      }
    }
    if (v.info.id == config_.node && has_data) {
      // Our number flagged by the master: another daemon uses it. The one whose MACs the
      // master kept stays a member (and says so); the other stays out until the number
      // is free again.
      const bool ours = MacsOf(v) == MacsOf(LocalView());
      number_in_conflict_ = mem.state == MemberState::kConflict || !ours;
      if (!ours && role_ == Role::kFollower) role_ = Role::kConflict;
      if (ours && role_ == Role::kConflict) role_ = Role::kFollower;
    } else if (v.info.id == config_.node && mem.state != MemberState::kConflict) {
      number_in_conflict_ = false;
    }
    next.emplace(mem.node, std::move(mem));
  }
  members_ = std::move(next);
  RefreshOwnEntry();
  ReportChanges();  // once a cycle: short-lived states are logged too
}

void ClusterNode::OnLeave(const Message& m, const ReceivedOn& from) {
  const auto& l = std::get<dmpd::Leave>(m.body);
  const uint16_t node = m.header.sender_node;
  if (node == config_.node) return;
  auto it = members_.find(node);
  if (it == members_.end()) {
    return;  // a node we never knew: nothing to mark (and no entry made for it)
  } else if (const std::vector<MacAddress> macs = MacsOf(it->second.view);
             !macs.empty() && std::find(macs.begin(), macs.end(), from.src_mac) == macs.end()) {
    return;  // not from the daemon we know by that number (CLU-7)
  }
  it->second.state = MemberState::kLeft;
  it->second.left_reason = l.reason;
  it->second.updated_ns = timers_.NowNs();
  if (master_ == node && role_ != Role::kMaster) {
    // Our master left: elect at once rather than wait for its heartbeats to stop. (Its
    // leave is repeated every interval; only the first one matters here.)
    master_.reset();
    master_heard_ns_ = 0;
  }
}

// --- local state -------------------------------------------------------------------------

NodeView ClusterNode::LocalView() const {
  NodeView v = local_.view ? local_.view() : NodeView{};
  v.info.id = config_.node;
  const uint64_t now = timers_.NowNs();
  const uint64_t unheard_ns = uint64_t{config_.port_down_after} * config_.interval_ns;
  // Every port this node has, even if the monitor does not report it yet.
  for (size_t p = 0; p < channel_.port_count(); ++p) {
    auto it = std::find_if(v.ports.begin(), v.ports.end(),
                           [&](const PortInfo& pi) { return pi.id == p; });
    if (it == v.ports.end()) {
      v.ports.emplace_back().id = static_cast<uint16_t>(p);
      it = v.ports.end() - 1;
    }
    if (!it->mac) it->mac = channel_.transport().port_mac(p);
    const bool link = !local_.link_up || local_.link_up(p);
    const bool heard = port_heard_ns_[p] != 0 && now - port_heard_ns_[p] <= unheard_ns;
    it->state = !link ? kPortDown : heard || role_ == Role::kMaster ? kPortUp : kPortUnheard;
    if (role_ == Role::kMaster && link) it->state = kPortUp;
    it->loss_ppm = LossPpm(PortLossRatio(p));  // eq. (2) is the cluster's measurement
  }
  if (role_ == Role::kLeft) v.info.health = kNodeLeaving;
  return v;
}

void ClusterNode::RefreshOwnEntry() {
  Member& self = members_[config_.node];
  self.node = config_.node;
  self.view = LocalView();
  self.updated_ns = timers_.NowNs();
  if (role_ == Role::kLeft) {
    self.state = MemberState::kLeft;
    self.left_reason = left_reason_;
  } else if (role_ == Role::kMaster) {
    self.state = MemberState::kAlive;
    self.last_cycle = cycle_;
  }
}

std::vector<MacAddress> ClusterNode::MacsOf(const NodeView& v) {
  std::vector<MacAddress> macs;
  for (const PortInfo& p : v.ports) {
    if (p.mac) macs.push_back(*p.mac);
  }
  return macs;
}

void ClusterNode::ReportChanges() {
  if (!local_.event) return;
  if (role_ != reported_role_) {
    local_.event(absl::StrCat("role ", std::string(RoleName(reported_role_)), " -> ",
                              std::string(RoleName(role_)), " (term ", term_, ")"));
    reported_role_ = role_;
  }
  if (master_ != reported_master_) {
    local_.event(master_ ? absl::StrCat("master is node ", *master_, " (term ", term_, ")")
                         : std::string("no master"));
    reported_master_ = master_;
  }
  for (const auto& [node, m] : members_) {
    auto it = reported_states_.find(node);
    if (it != reported_states_.end() && it->second == m.state) continue;
    if (node != config_.node) {
      local_.event(absl::StrCat(
          "node ", node, " ", std::string(MemberStateName(m.state)),
          m.state == MemberState::kLeft
              ? absl::StrCat(" (", std::string(LeaveReasonName(m.left_reason)), ")")
              : ""));
    }
    reported_states_[node] = m.state;
  }
  if (number_in_conflict_ != reported_conflict_) {
    local_.event(number_in_conflict_
                     ? absl::StrCat("node number ", config_.node,
                                    " is used by another daemon as well (CLU-7): check the "
                                    "configuration of the nodes")
                     : absl::StrCat("node number ", config_.node, " is ours alone again"));
    reported_conflict_ = number_in_conflict_;
  }
}

void ClusterNode::WatchMaster() {
  if (role_ != Role::kJoining && role_ != Role::kFollower) return;
  const uint64_t patience = uint64_t{config_.master_failed_after} * config_.interval_ns;
  if (timers_.NowNs() - master_heard_ns_ > patience) {
    Propose();
    ReportChanges();
  }
}

void ClusterNode::Tick() {
  ReportChanges();
  const uint64_t now = timers_.NowNs();
  if (role_ == Role::kLeft && left_by_health_ && healthy_since_ns_ != 0 &&
      now - healthy_since_ns_ >= config_.rejoin_hold_ns) {
    Join();
  }
  if (role_ == Role::kJoining || role_ == Role::kFollower) {
    const uint64_t patience = uint64_t{config_.master_failed_after} * config_.interval_ns;
    // preempt (a cluster-wide setting): ask a master of lower (or not yet known) priority
    // for the cluster, at most once per patience period.
    if (role_ == Role::kFollower && config_.preempt &&
        (!master_priority_ || config_.priority > *master_priority_) &&
        now - last_preempt_ns_ > patience) {
      last_preempt_ns_ = now;
      SendCandidacy(term_ + 1);
    }
  }
  if (role_ == Role::kLeft) {
    // Said every interval, so that every node learns the reason despite loss.
    dmpd::Leave l;
    l.reason = left_reason_;
    l.term = term_;
    (void)channel_.SendOnAllPorts(l);
  }
  if (role_ == Role::kMaster) RefreshOwnEntry();
}

void ClusterNode::Leave(uint8_t reason, std::string note) {
  if (role_ == Role::kLeft) return;
  left_note_ = std::move(note);
  ++stats_.leaves;
  if (role_ == Role::kMaster) StepDown();
  timers_.Cancel(election_timer_);
  role_ = Role::kLeft;
  left_reason_ = reason;
  dmpd::Leave l;
  l.reason = reason;
  l.term = term_;
  (void)channel_.SendOnAllPorts(l);
  RefreshOwnEntry();
}

void ClusterNode::Join() {
  if (role_ != Role::kLeft) return;
  ++stats_.rejoins;
  left_reason_ = 0;
  left_note_.clear();
  left_by_health_ = false;
  role_ = master_.has_value() ? Role::kFollower : Role::kJoining;
  master_heard_ns_ = timers_.NowNs();
  RefreshOwnEntry();
}

void ClusterNode::OnHealth(bool healthy, uint8_t reason) {
  const uint64_t now = timers_.NowNs();
  if (!healthy) {
    healthy_since_ns_ = 0;
    if (role_ != Role::kLeft) {
      Leave(reason);
      left_by_health_ = true;
    }
    return;
  }
  if (healthy_since_ns_ == 0) healthy_since_ns_ = now;
}

}  // namespace dmpd::cluster
