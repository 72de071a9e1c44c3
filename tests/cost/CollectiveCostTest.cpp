//===- CollectiveCostTest.cpp - alpha-beta collectives on mesh axes -------===//
//
// This file implements tests of the collective formulas: the ring wire bytes,
// the latency terms, and which link a group of mesh axes uses (a tp axis of 8
// inside a node of 8, a dp axis across nodes); a link with measured step
// times prices those collectives piecewise (exact at the measured sizes, a
// measured all-reduce of any size predicted back, constant bandwidth beyond
// the largest) and the others by its latency and bandwidth.
//
//===----------------------------------------------------------------------===//

#include "cost/Calibration.h"
#include "cost/CollectiveCost.h"

#include <gtest/gtest.h>

using namespace weft::cost;

namespace {

Topology nodesOf(int perNode) {
  Topology t;
  t.devicesPerNode = perNode;
  t.intraNode = {100e9, 1e-6};
  t.interNode = {10e9, 10e-6};
  return t;
}

TEST(CollectiveCost, RingWireBytes) {
  EXPECT_DOUBLE_EQ(wireBytes(CollectiveKind::AllReduce, 4, 1000), 1500);
  EXPECT_DOUBLE_EQ(wireBytes(CollectiveKind::AllGather, 4, 1000), 750);
  EXPECT_DOUBLE_EQ(wireBytes(CollectiveKind::ReduceScatter, 2, 1000), 500);
  EXPECT_DOUBLE_EQ(wireBytes(CollectiveKind::AllToAll, 8, 800), 700);
  EXPECT_DOUBLE_EQ(wireBytes(CollectiveKind::Permute, 8, 800), 800);
  EXPECT_DOUBLE_EQ(wireBytes(CollectiveKind::AllReduce, 1, 1000), 0);
}

TEST(CollectiveCost, GroupsInsideAndAcrossNodes) {
  MeshAxes mesh{{"dp", "tp"}, {16, 8}}; // 128 devices, nodes of 8
  Topology t = nodesOf(8);
  EXPECT_TRUE(groupWithinNode(mesh, {"tp"}, t));
  EXPECT_FALSE(groupWithinNode(mesh, {"dp"}, t));
  EXPECT_FALSE(groupWithinNode(mesh, {"dp", "tp"}, t));
  EXPECT_TRUE(groupWithinNode(mesh, {}, t));
  MeshAxes small{{"dp", "tp"}, {2, 4}}; // one node holds both axes
  EXPECT_TRUE(groupWithinNode(small, {"dp"}, t));
  MeshAxes wide{{"dp", "tp"}, {4, 16}}; // tp of 16 spans two nodes
  EXPECT_FALSE(groupWithinNode(wide, {"tp"}, t));
  EXPECT_EQ(groupSize(mesh, {"dp", "tp"}), 128);
  EXPECT_EQ(groupSize(mesh, {"tp"}), 8);
}

TEST(CollectiveCost, SecondsUseTheGroupsLink) {
  MeshAxes mesh{{"dp", "tp"}, {16, 8}};
  Topology t = nodesOf(8);
  // tp: 8 devices on the intra-node link: 14 steps of 1 us + 2 * 7/8 * 8e9 B / 100e9 B/s.
  EXPECT_NEAR(collectiveSeconds(CollectiveKind::AllReduce, 8e9, mesh, {"tp"}, t), 14e-6 + 0.14, 1e-12);
  // dp: 16 devices across nodes: 15 steps of 10 us + 15/16 * 1.6e9 B / 10e9 B/s.
  EXPECT_NEAR(collectiveSeconds(CollectiveKind::AllGather, 1.6e9, mesh, {"dp"}, t), 150e-6 + 0.15, 1e-12);
  EXPECT_EQ(collectiveSeconds(CollectiveKind::AllReduce, 1e9, MeshAxes{{"dp"}, {1}}, {"dp"}, t), 0);
}

TEST(CollectiveCost, MeasuredStepTimesArePiecewise) {
  // A made-up link whose all-reduce is latency-bound when small and reaches
  // 2 GB/s per step only for large chunks: no single line fits it.
  auto measured = [](double bytes) { return 20e-6 + bytes / (bytes < 1e6 ? 0.2e9 : 2e9); };
  std::vector<CollectiveSample> samples;
  for (double bytes = 1024; bytes <= 512.0 * (1 << 20); bytes *= 4)
    samples.push_back({bytes, measured(bytes)});
  for (int ranks : {2, 4}) {
    auto curve = collectiveStepCurve(CollectiveKind::AllReduce, ranks, samples);
    ASSERT_TRUE(curve.isOk()) << curve.status().message();
    Link link{1e9, 1e-6, {}};
    link.stepSeconds[CollectiveKind::AllReduce] = *curve;
    for (const CollectiveSample &s : samples) // each sample back, up to rounding
      EXPECT_NEAR(linkSeconds(CollectiveKind::AllReduce, s.bytes, ranks, link), s.seconds, 1e-12 * s.seconds)
          << ranks << " ranks, " << s.bytes << " B";
    // Between samples: between their times; beyond the largest: its bandwidth.
    double between = linkSeconds(CollectiveKind::AllReduce, 2048, ranks, link);
    EXPECT_GT(between, measured(1024));
    EXPECT_LT(between, measured(4096));
    double last = samples.back().bytes;
    EXPECT_NEAR(linkSeconds(CollectiveKind::AllReduce, 2 * last, ranks, link), 2 * measured(last),
                1e-12 * measured(last));
    // Collectives without a curve: the link's latency and bandwidth.
    EXPECT_DOUBLE_EQ(linkSeconds(CollectiveKind::AllGather, 1e6, ranks, link),
                     (ranks - 1) * 1e-6 + wireBytes(CollectiveKind::AllGather, ranks, 1e6) / 1e9);
    EXPECT_DOUBLE_EQ(linkSeconds(CollectiveKind::Permute, 1e6, ranks, link), 1e-6 + 1e6 / 1e9);
    EXPECT_EQ(linkSeconds(CollectiveKind::AllReduce, 1e6, 1, link), 0);
  }
  EXPECT_EQ(collectiveSteps(CollectiveKind::AllReduce, 4), 6);
  EXPECT_EQ(collectiveSteps(CollectiveKind::AllToAll, 4), 3);
  EXPECT_EQ(collectiveSteps(CollectiveKind::Permute, 4), 1);
  EXPECT_EQ(collectiveSteps(CollectiveKind::AllGather, 1), 0);
}

} // namespace
