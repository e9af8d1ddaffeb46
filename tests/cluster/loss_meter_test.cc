// SPDX-License-Identifier: BSD-3-Clause
// The master's eq. (2) per window: receipts of several reporters summed, a window without
// numbers gives no value, a reporter whose counts went down sits the window out, and a
// silent reporter is forgotten.
#include "userspace/cluster/loss_meter.h"

#include <gtest/gtest.h>

namespace dmpd::cluster {
namespace {

TEST(LossMeter, OneReporterOverAWindow) {
  LossMeter m;
  m.Observe(3, 0, 1, Receipt{100, 100});  // the start of the first window
  m.CloseWindow();
  EXPECT_FALSE(m.Loss(3, 0).has_value());  // the first report only starts the count
  m.Observe(3, 0, 1, Receipt{190, 200});
  m.CloseWindow();
  ASSERT_TRUE(m.Loss(3, 0).has_value());
  EXPECT_DOUBLE_EQ(*m.Loss(3, 0), 0.1);  // 90 of 100
}

TEST(LossMeter, ReportersAreSummed) {
  LossMeter m;
  // The master's port 0 as three members received it.
  for (uint16_t r : {2, 3, 4}) m.Observe(1, 0, r, Receipt{0, 0});
  m.CloseWindow();
  m.Observe(1, 0, 2, Receipt{100, 100});
  m.Observe(1, 0, 3, Receipt{100, 100});
  m.Observe(1, 0, 4, Receipt{70, 100});
  m.CloseWindow();
  EXPECT_DOUBLE_EQ(*m.Loss(1, 0), 30.0 / 300.0);
  EXPECT_FALSE(m.Loss(1, 1).has_value());
}

TEST(LossMeter, AWindowWithoutNumbersHasNoValue) {
  LossMeter m;
  m.Observe(3, 0, 1, Receipt{10, 10});
  m.CloseWindow();
  m.CloseWindow();  // no report since
  EXPECT_FALSE(m.Loss(3, 0).has_value());
}

TEST(LossMeter, ARestartedSenderSitsTheWindowOut) {
  LossMeter m;
  m.Observe(3, 0, 1, Receipt{5000, 5000});
  m.Observe(3, 0, 2, Receipt{5000, 5000});
  m.CloseWindow();
  m.Observe(3, 0, 1, Receipt{20, 40});      // counts went down: started over
  m.Observe(3, 0, 2, Receipt{5100, 5100});  // this reporter's counts are fine
  m.CloseWindow();
  EXPECT_DOUBLE_EQ(*m.Loss(3, 0), 0.0);  // reporter 2 alone
  m.Observe(3, 0, 1, Receipt{60, 80});   // from the new start: 40 of 40
  m.Observe(3, 0, 2, Receipt{5100, 5100});
  m.CloseWindow();
  EXPECT_DOUBLE_EQ(*m.Loss(3, 0), 0.0);
}

TEST(LossMeter, ASilentReporterIsForgotten) {
  LossMeter m;
  m.Observe(3, 0, 1, Receipt{0, 0});
  m.Observe(3, 0, 2, Receipt{0, 0});
  EXPECT_EQ(m.reporters(), 2u);
  for (int w = 0; w < 3; ++w) {
    m.Observe(3, 0, 1, Receipt{uint64_t(w + 1) * 10, uint64_t(w + 1) * 10});
    m.CloseWindow();
  }
  EXPECT_EQ(m.reporters(), 1u);
}

}  // namespace
}  // namespace dmpd::cluster
