// SPDX-License-Identifier: BSD-3-Clause
// ClusterNode: one node's part in the cluster (paper §1.4, §2.1–2.2; SPEC CLU-1..5, MON-7,
// CLU-7). Pure logic: it takes decoded messages from the ControlChannel (with the port
// they came in on), timer ticks from a TimerQueue and the node's monitoring data through
// callbacks, and sends through the ControlChannel. The daemon and the simulator run it the
// same way.
//
// The rules (docs/cluster.md has them in full):
// - Terms order everything. A node that hears a higher term adopts it at once; a master
//   that does steps down.
// - Election: a node that has heard no master for `master_failed_after` intervals (or at
//   start, for that long) proposes itself for term+1 (Candidacy). The term is raised only
//   when another node agrees (it lost the master too and joins with its own candidacy or
//   a vote for that term), or at once when no other live member is left to agree: a node
//   that is merely cut off never raises the term, so it cannot depose the master when it
//   comes back (Raft's pre-vote). A master, or a follower that still hears its master, answers a proposal
//   with the master's announce instead. After `election_window` the best candidate heard
//   wins: higher priority, then the fresher view (higher view cycle), then the lower node
//   number. The winner announces itself and starts the cycle; the others follow it.
// - A joining or restarted node follows the master it hears; it does not depose a healthy
//   master unless `preempt` is set (on the whole cluster) and its priority is higher.
// - Two masters of different terms that hear each other: the higher term wins.
// - The cycle (CLU-2): the master broadcasts a time-sync on every port; each node answers
//   on the first port that heard it and, shortened, on a second one: its whole monitoring
//   data every few cycles (as the view budget allows; every cycle in small clusters) and
//   otherwise its number and the ports that are not up; after `reply_delay` the master
//   broadcasts the view: every member's state and ports that are not up, and as many
//   members' whole data as the budget allows, in turn (on every port if it fits one
//   frame, else on one port a cycle). Cycle numbers go on across
//   masters; a follower takes its master's.
// - Two masters of one term that hear each other (a healed partition): each announces
//   itself, and on the other's announce the better rank (priority, then lower node
//   number) stays. A master that hears a proposal for a higher term while it is healthy
//   takes that term and announces itself: terms stay ordered, the proposer follows.
// - Failure detection (CLU-3): a port that has not heard the cluster for
//   `port_down_after` cycles (or whose link is down) is reported down; a node that missed
//   a response is suspect, after `node_failed_after` missed cycles failed.
// - Self-monitoring (MON-7): an unhealthy node announces a leave with its reason and stops
//   answering; after `rejoin_hold` healthy it answers again. Operators can do the same.
// - One node number, two daemons (CLU-7): the master keeps the first one's data and marks
//   the number `conflict`; the newcomer sees its number taken by other MACs and stays out.
#ifndef DMPD_USERSPACE_CLUSTER_CLUSTER_NODE_H_
#define DMPD_USERSPACE_CLUSTER_CLUSTER_NODE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/message.h"
#include "userspace/cluster/loss_meter.h"
#include "userspace/control/control_channel.h"
#include "userspace/runtime/timer_queue.h"

namespace dmpd::cluster {

struct ClusterConfig {
  uint16_t node = 0;
  uint8_t priority = 100;  // higher wins elections
  uint64_t interval_ns = 100'000'000;
  uint64_t reply_delay_ns = 0;  // 0: half the interval
  uint32_t port_down_after = 3;       // cycles a port may not hear the cluster
  uint32_t node_failed_after = 3;     // missed responses before a node is failed
  uint32_t master_failed_after = 3;   // intervals without the master before an election
  uint64_t election_window_ns = 0;    // 0: one interval
  bool preempt = false;
  uint64_t rejoin_hold_ns = 3'000'000'000;  // healthy this long before rejoining
  // CLU-6: the members' full monitoring data in one heartbeat, at most this many bytes
  // (round robin over the members); states and ports that are not up go every cycle.
  size_t view_data_budget_bytes = 32 * 1024;
  // eq. (2): the master measures every port's loss over windows of this many cycles.
  uint32_t loss_window_cycles = 10;
};

enum class Role : uint8_t { kJoining, kFollower, kCandidate, kMaster, kLeft, kConflict };
std::string_view RoleName(Role r);

enum class MemberState : uint8_t { kAlive, kSuspect, kFailed, kLeft, kConflict };
std::string_view MemberStateName(MemberState s);

struct Member {
  uint16_t node = 0;
  MemberState state = MemberState::kAlive;
  uint8_t left_reason = 0;     // LeaveReason, with kLeft
  uint32_t last_cycle = 0;     // the last cycle the master heard it
  uint32_t conflict_cycle = 0;  // master: the last cycle another daemon answered for it
  uint64_t updated_ns = 0;     // when this node last got news of it (monotonic)
  NodeView view;               // its monitoring data: Table 3 node, Table 4 ports
};

// A member's port as the cluster can vouch for it. What a failed member last said of its
// ports is history: they are down as far as anyone can tell (the master sends them so).
// A member that left reports nothing any more: its ports are not known (nullopt).
std::optional<uint8_t> VouchedPortState(const Member& m, const PortInfo& p);

struct ClusterStats {
  uint64_t elections_started = 0;
  uint64_t terms_adopted = 0;
  uint64_t became_master = 0;
  uint64_t stepped_down = 0;
  uint64_t cycles = 0;             // as master
  uint64_t responses_sent = 0;
  uint64_t responses_received = 0;  // as master
  uint64_t heartbeats_received = 0;
  uint64_t stale_term = 0;         // messages of an older term, ignored
  uint64_t conflicts_seen = 0;
  uint64_t leaves = 0;
  uint64_t rejoins = 0;
  uint64_t isolated = 0;  // proposals nobody answered: cut off, the term kept
  uint64_t heartbeats_unsent = 0;
  uint64_t members_refused = 0;    // new members past kMaxViewNodes (a view's limit)  // views over the segment limit (see docs/cluster.md)
};

// What the cluster needs to know of its own node, asked once per cycle.
struct LocalInputs {
  // The node's monitoring data (Table 3 and 4 fields) without cluster verdicts.
  std::function<NodeView()> view;
  // Whether local port `i` has its link up.
  std::function<bool(size_t port)> link_up;
  // Told each change of role, master, member state or number conflict, once, within an
  // interval (the daemon logs them). Optional.
  std::function<void(const std::string& line)> event;
};

class ClusterNode {
 public:
  ClusterNode(const ClusterConfig& config, ControlChannel& channel, TimerQueue& timers,
              LocalInputs local);
  ~ClusterNode();
  ClusterNode(const ClusterNode&) = delete;
  ClusterNode& operator=(const ClusterNode&) = delete;

  // MON-7 and operators: leave with `reason` (LeaveReason; `note` is an operator's text,
  // shown on this node only) / rejoin.
  void Leave(uint8_t reason, std::string note = "");
  void Join();
  // The health verdict of each monitoring sample: leaves when unhealthy (with `reason`),
  // rejoins after `rejoin_hold` healthy if it left on its own.
  void OnHealth(bool healthy, uint8_t reason);

  Role role() const { return role_; }
  uint32_t term() const { return term_; }
  std::optional<uint16_t> master() const { return master_; }
  uint32_t cycle() const { return cycle_; }  // the last cycle seen (or run, as master)
  const std::map<uint16_t, Member>& members() const { return members_; }
  const ClusterStats& stats() const { return stats_; }
  const ClusterConfig& config() const { return config_; }
  // The reason of our own leave (0 when not left).
  uint8_t left_reason() const { return left_reason_; }
  const std::string& left_note() const { return left_note_; }
  uint64_t now_ns() const { return timers_.NowNs(); }
  // Another daemon uses our node number (seen in the master's view).
  bool number_in_conflict() const { return number_in_conflict_; }
  // R_loss of our port `port` (eq. 2) as the master last measured it; nullopt without
  // evidence. The monitor takes it as the port's loss ratio.
  std::optional<double> PortLossRatio(size_t port) const;

 private:
  struct Rank {
    uint8_t priority;
    uint32_t view_cycle;
    uint16_t node;
    bool operator>(const Rank& o) const;
  };
  Rank OwnRank() const { return {config_.priority, cycle_, config_.node}; }

  void OnTimeSync(const Message& m, const ReceivedOn& from);
  void OnHeartbeat(const Message& m, const ReceivedOn& from);
  void OnResponse(const Message& m, const ReceivedOn& from);
  void OnCandidacy(const Message& m, const ReceivedOn& from);
  void OnAnnounce(const Message& m, const ReceivedOn& from);
  void OnLeave(const Message& m, const ReceivedOn& from);
  void OnVote(const Message& m, const ReceivedOn& from);
  void AgreeOn(uint32_t term);
  void SendVote(uint32_t term, uint16_t candidate);

  // Adopts a higher term (stepping down if master); false if `term` is older than ours.
  bool ObserveTerm(uint32_t term);
  void Follow(uint16_t master);
  void Later(uint64_t delay_ns, std::function<void()> fn);
  void HeardMaster(size_t port, const ReceivedOn& from, uint32_t cycle);
  void NoteConflict(Member& member, uint32_t cycle);
  bool MasterHeardRecently() const;
  bool OthersToAgree() const;
  void Propose();
  void SendCandidacy(uint32_t term);
  void ArmElection(uint32_t term);
  void JoinElection(uint32_t term, const Rank& proposer);
  void CloseElection(uint32_t term);
  void BecomeMaster();
  void AnnounceSelf();
  void StepDown();
  void Tick();          // every interval: rejoin, preempt, repeated leave
  void WatchMaster();   // four times an interval: master-failure detection
  void ReportChanges();
  void RunCycle();      // master: time-sync
  void SendHeartbeat(uint32_t cycle);  // master: the view, after the reply delay
  void SendResponse(uint32_t cycle);
  NodeView LocalView() const;
  void RefreshOwnEntry();
  void EvaluateMembers();
  Heartbeat BuildHeartbeat(uint32_t cycle);
  void MeasureLoss();                   // master: the end of a loss window
  void ApplyMeasuredLoss(Member& member) const;
  static std::vector<MacAddress> MacsOf(const NodeView& v);

  ClusterConfig config_;
  ControlChannel& channel_;
  TimerQueue& timers_;
  LocalInputs local_;

  Role role_ = Role::kJoining;
  uint32_t term_ = 0;
  std::optional<uint16_t> master_;
  std::optional<uint8_t> master_priority_;
  uint64_t master_heard_ns_ = 0;
  uint32_t cycle_ = 0;
  std::map<uint16_t, Member> members_;
  std::map<uint16_t, std::vector<MacAddress>> member_macs_;  // master: the first MACs seen
  // Election of term `election_term_`: the best candidate heard.
  uint32_t election_term_ = 0;
  std::optional<Rank> best_candidate_;
  bool election_agreed_ = false;  // another node joined (or none is left to)
  uint64_t last_preempt_ns_ = 0;
  TimerQueue::TimerId election_timer_ = 0;
  // Per local port: the last time-sync heard (monotonic ns, 0: never) and the master's
  // MAC there, for the unicast response.
  std::vector<uint64_t> port_heard_ns_;
  std::vector<uint32_t> port_heard_cycle_;
  std::vector<MacAddress> master_mac_on_port_;
  std::vector<uint64_t> heartbeats_on_port_;
  uint32_t responded_cycle_ = UINT32_MAX;
  std::optional<uint16_t> answered_master_;  // the master our last full answer went to
  uint8_t left_reason_ = 0;
  std::string left_note_;
  bool left_by_health_ = false;
  uint64_t healthy_since_ns_ = 0;
  bool number_in_conflict_ = false;
  TimerQueue::TimerId tick_timer_ = 0;
  TimerQueue::TimerId watch_timer_ = 0;
  std::pair<uint32_t, uint32_t> applied_view_{0, 0};  // (term, cycle) of the last view applied
  Role reported_role_ = Role::kJoining;
  std::optional<uint16_t> reported_master_;
  std::map<uint16_t, MemberState> reported_states_;
  bool reported_conflict_ = false;
  TimerQueue::TimerId cycle_timer_ = 0;
  uint16_t full_cursor_ = 0;      // master: the last member whose data went out in full
  size_t last_view_port_ = SIZE_MAX;  // master: the port the last large view went on
  LossMeter loss_meter_;              // master: eq. (2) of every port
  std::vector<std::optional<uint32_t>> own_loss_ppm_;  // follower: from the master's view
  // Expires with this node: one-shot callbacks (Later) check it instead of being cancelled.
  std::shared_ptr<const bool> alive_ = std::make_shared<const bool>(true);
  ClusterStats stats_;
};

}  // namespace dmpd::cluster

#endif  // DMPD_USERSPACE_CLUSTER_CLUSTER_NODE_H_
