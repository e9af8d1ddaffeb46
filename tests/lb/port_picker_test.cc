// SPDX-License-Identifier: BSD-3-Clause
// The ordered available ports (the paper's min-heap), steps 2–5, and the adapter from the
// cluster view.
#include "userspace/lb/port_picker.h"

#include <gtest/gtest.h>

#include <vector>

#include "common/field_group.h"
#include "userspace/lb/port_input.h"
#include "userspace/lb/port_table.h"

namespace dmpd::lb {
namespace {

MacAddress Mac(uint8_t last) { return {0x02, 0, 0, 0, 0, last}; }

PortInput Port(uint16_t id, double load, bool available = true) {
  return PortInput{id, Mac(static_cast<uint8_t>(id)), available, load, id};
}

PortTable Table(const std::vector<PortInput>& ports, double tie_margin = 0.0) {
  absl::StatusOr<PortTable> t = PortTable::Build(ports, BalanceCriterionConfig{}, tie_margin);
  EXPECT_TRUE(t.ok()) << t.status();
  return *t;
}

// The period's ledger with the table's measured loads (no moves yet).
LoadLedger Ledger(const PortTable& t) {
  LoadLedger l;
  l.Reset(t);
  return l;
}

TEST(PortTable, LeastLoadedAvailableNeverADownPort) {
  // Port 1 is the lightest but down.
  const PortTable t = Table({Port(0, 0.5), Port(1, 0.0, false), Port(2, 0.2), Port(3, 0.7)});
  EXPECT_EQ(std::vector<uint8_t>(t.available_by_load().begin(), t.available_by_load().end()),
            (std::vector<uint8_t>{2, 0, 3}));
  for (uint32_t hash = 0; hash < 64; ++hash) EXPECT_EQ(Ledger(t).LeastLoadedSpread(t, hash), 2);
}

TEST(PortTable, AllDownGivesNone) {
  const PortTable t = Table({Port(0, 0.1, false), Port(1, 0.2, false)});
  EXPECT_EQ(Ledger(t).LeastLoadedSpread(t, 7), kNoPort);
  EXPECT_EQ(PickSendPort(t, Ledger(t), 7), kNoPort);
  EXPECT_EQ(PickReceivePort(t, Ledger(t), 7), kNoPort);
  const PortTable empty = Table({});
  EXPECT_EQ(PickSendPort(empty, Ledger(empty), 7), kNoPort);
  EXPECT_EQ(PickReceivePort(empty, Ledger(empty), 7), kNoPort);
}

TEST(PortTable, TiesAreSpreadByHash) {
  const PortTable t = Table({Port(0, 0.0), Port(1, 0.005), Port(2, 0.0), Port(3, 0.5)}, 0.01);
  std::vector<int> chosen(4, 0);
  for (uint32_t hash = 0; hash < 300; ++hash) ++chosen[Ledger(t).LeastLoadedSpread(t, hash)];
  EXPECT_EQ(chosen, (std::vector<int>{100, 100, 100, 0}));
}

TEST(PortTable, RefusesTooManyPortsAndBadLoads) {
  std::vector<PortInput> many(kMaxNodePorts + 1);
  EXPECT_FALSE(PortTable::Build(many, {}, 0).ok());
  EXPECT_FALSE(PortTable::Build(std::vector<PortInput>{Port(0, -1)}, {}, 0).ok());
}

TEST(PickSendPort, HashPortWhenUpAndNotOverloaded) {
  const PortTable t = Table({Port(0, 0.4), Port(1, 0.5), Port(2, 0.45), Port(3, 0.5)});
  for (uint32_t hash = 0; hash < 16; ++hash) EXPECT_EQ(PickSendPort(t, Ledger(t), hash), hash % 4);
}

TEST(PickSendPort, HashPortDownOrOverloadedGivesLeastLoaded) {
  // mean over available {0.9, 0.1, 0.1} ≈ 0.367: port 0 is overloaded; port 1 is down.
  const PortTable t = Table({Port(0, 0.9), Port(1, 0.0, false), Port(2, 0.1), Port(3, 0.12)});
  EXPECT_TRUE(t.port(0).overloaded);
  EXPECT_EQ(PickSendPort(t, Ledger(t), 0), 2);  // hash → 0, overloaded
  EXPECT_EQ(PickSendPort(t, Ledger(t), 1), 2);  // hash → 1, down
  EXPECT_EQ(PickSendPort(t, Ledger(t), 2), 2);
  EXPECT_EQ(PickSendPort(t, Ledger(t), 3), 3);  // hash → 3, fine as it is
}

TEST(PickReceivePort, TheDestinationsLeastLoadedUpPort) {
  const PortTable t = Table({Port(0, 0.3), Port(1, 0.05, false), Port(2, 0.2), Port(3, 0.1)});
  for (uint32_t hash = 0; hash < 16; ++hash) EXPECT_EQ(PickReceivePort(t, Ledger(t), hash), 3);
}

PortInfo Info(uint16_t id, PortState state, std::optional<uint32_t> load_ppm,
              std::optional<uint32_t> util_ppm = std::nullopt) {
  PortInfo p;
  p.id = id;
  p.mac = Mac(static_cast<uint8_t>(0x10 + id));
  p.state = state;
  p.load_ppm = load_ppm;
  p.util_ppm = util_ppm;
  return p;
}

TEST(PortInputsFromNodeView, ReceivingPortFromTheView) {
  absl::StatusOr<monitor::PortLoadModel> model = monitor::PortLoadModel::Create();
  ASSERT_TRUE(model.ok());
  NodeView v;
  v.info.id = 7;
  v.ports = {Info(0, kPortUp, 400'000), Info(1, kPortDown, 0), Info(2, kPortUp, 150'000),
             Info(3, kPortUnheard, 10'000), Info(4, kPortUp, 300'000)};
  const DestinationPorts d = DestinationPortsFromNodeView(v, *model);
  EXPECT_EQ(d.node, 7);
  ASSERT_EQ(d.ports.size(), 5u);
  EXPECT_TRUE(d.ports[0].available);
  EXPECT_FALSE(d.ports[1].available);
  EXPECT_FALSE(d.ports[3].available);  // link up but not heard by the cluster
  EXPECT_DOUBLE_EQ(d.ports[2].load, 0.15);
  EXPECT_EQ(d.ports[2].mac, Mac(0x12));

  const PortTable t = Table(d.ports);
  const uint8_t chosen = PickReceivePort(t, Ledger(t), 12345);
  EXPECT_EQ(t.port(chosen).port_id, 2);
  EXPECT_EQ(t.port(chosen).mac, Mac(0x12));
}

TEST(PortLoadFromInfo, FallsBackToEq5OverTheViewsFactors) {
  absl::StatusOr<monitor::PortLoadModel> model = monitor::PortLoadModel::Create();
  ASSERT_TRUE(model.ok());
  // No load_ppm: eq. (5) with utilisation 0.5 and loss 0.1: 0.84·0.5 + 0.09·0.1 = 0.429.
  PortInfo p = Info(0, kPortUp, std::nullopt, 500'000);
  p.loss_ppm = 100'000;
  EXPECT_NEAR(PortLoadFromInfo(p, *model), 0.429, 1e-12);
  // Nothing known: no evidence of load.
  EXPECT_EQ(PortLoadFromInfo(Info(0, kPortUp, std::nullopt), *model), 0.0);
  // No MAC: not addressable, so not available.
  PortInfo no_mac = Info(0, kPortUp, 0);
  no_mac.mac.reset();
  EXPECT_FALSE(PortAvailableFromInfo(no_mac));
}

}  // namespace
}  // namespace dmpd::lb
