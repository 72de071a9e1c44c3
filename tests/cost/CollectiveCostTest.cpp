//===- CollectiveCostTest.cpp - alpha-beta collectives on mesh axes -------===//
//
// This file implements tests of the collective formulas: the ring wire bytes,
// the latency terms, and which link a group of mesh axes uses (a tp axis of 8
// inside a node of 8, a dp axis across nodes).
//
//===----------------------------------------------------------------------===//

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

} // namespace
