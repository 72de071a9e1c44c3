//===- InProcessCommunicatorTest.cpp - collectives among thread-ranks -----===//
//
// This file implements tests of InProcessCommunicator on 2, 4 and 8 threads:
// every collective kind on f32, bf16, f16, i32 and i64 with 1, 7 and 4099
// elements per block, checked bit for bit against a local oracle
// (CollectiveCases.h); sub-groups from split() on a 2x4 mesh; argument
// errors; and a rank that never arrives, which the others name within the
// short timeout.
//
//===----------------------------------------------------------------------===//

#include "CollectiveCases.h"
#include "InProcessTestUtil.h"
#include "runtime/comm/MeshShape.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

using namespace weft::rt;
using namespace weft::rt::testing;
namespace proto = weft::proto;

namespace {

class InProcessCollectives : public ::testing::TestWithParam<int> {};

TEST_P(InProcessCollectives, EveryKindEveryDtypeUnevenCounts) {
  const int n = GetParam();
  for (proto::DType dtype : {proto::F32, proto::BF16, proto::I64, proto::F16, proto::I32})
    for (size_t count : {size_t(1), size_t(7), size_t(4099)})
      runOnRanks(n, [&](const std::shared_ptr<Communicator> &comm) {
        checkEveryCollective(*comm, dtype, count);
      });
}

INSTANTIATE_TEST_SUITE_P(Ranks, InProcessCollectives, ::testing::Values(2, 4, 8));

TEST(InProcessCommunicator, SplitFormsMeshGroups) {
  // dp=2, tp=4: tp groups are {0..3} and {4..7}; dp groups {r, r+4}.
  MeshShape mesh = MeshShape::parse("dp=2,tp=4").value();
  runOnRanks(8, [&](const std::shared_ptr<Communicator> &worldComm) {
    Communicator &world = *worldComm;
    const int r = world.rank();
    for (int axis : {0, 1}) {
      std::vector<int> axes{axis};
      StatusOr<std::shared_ptr<Communicator>> group =
          world.split(int(mesh.groupColor(r, axes)), int(mesh.indexInGroup(r, axes)),
                      mesh.axes()[size_t(axis)].name);
      ASSERT_TRUE(group.isOk()) << group.status().toString();
      Communicator &g = *group.value();
      EXPECT_EQ(g.size(), mesh.groupSize(axes));
      EXPECT_EQ(g.rank(), mesh.indexInGroup(r, axes));
      EXPECT_EQ(g.groupName(), mesh.groupName(r, axes));
      // all_gather of world ranks shows the group's members in order.
      int64_t me = r;
      std::vector<int64_t> members(size_t(g.size()));
      ASSERT_TRUE(g.allGather(&me, members.data(), 1, proto::I64).isOk());
      EXPECT_EQ(members, mesh.groupOf(r, axes));
      checkEveryCollective(g, proto::F32, 7);
    }
  });
}

TEST(InProcessCommunicator, SplitOrdersByKey) {
  runOnRanks(4, [](const std::shared_ptr<Communicator> &world) {
    // one group, keys reversed: new rank = 3 - old rank
    auto group = world->split(0, 3 - world->rank(), "reversed");
    ASSERT_TRUE(group.isOk()) << group.status().toString();
    EXPECT_EQ(group.value()->rank(), 3 - world->rank());
    EXPECT_EQ(group.value()->groupName(), "reversed: ranks 3,2,1,0");
  });
}

TEST(InProcessCommunicator, BadPermutePairsAreRejected) {
  runOnRanks(2, [](const std::shared_ptr<Communicator> &c) {
    Communicator &comm = *c;
    float x = 1, y = 0;
    Status st = comm.permute(&x, &y, 1, proto::F32, {{0, 2}}, "bad");
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(st.message().find("permute 'bad' (group world: ranks 0,1) on f32: pair 0 (0 -> 2) "
                                "names a rank outside the group of 2"),
              std::string::npos)
        << st.message();
    st = comm.permute(&x, &y, 1, proto::F32, {{0, 1}, {1, 1}}, "twice");
    EXPECT_NE(st.message().find("targets rank 1, which another pair targets too"),
              std::string::npos)
        << st.message();
    st = comm.allReduce(&x, &y, 1, proto::DTYPE_INVALID, ReduceOp::kSum);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  });
}

TEST(InProcessCommunicator, MissingRankIsNamedWithinTheTimeout) {
  auto comms = InProcessCommunicator::createGroup(4);
  std::vector<Status> results(4);
  std::vector<double> seconds(4, 0);
  std::vector<std::thread> threads;
  for (int r = 0; r < 4; ++r) {
    if (r == 2)
      continue; // rank 2 never arrives
    comms[size_t(r)]->setTimeout(std::chrono::milliseconds(300));
    threads.emplace_back([&, r] {
      auto start = std::chrono::steady_clock::now();
      float x = 1, y = 0;
      results[size_t(r)] =
          comms[size_t(r)]->allReduce(&x, &y, 1, proto::F32, ReduceOp::kSum, "step 12 'loss'");
      seconds[size_t(r)] =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    });
  }
  for (std::thread &t : threads)
    t.join();
  for (int r : {0, 1, 3}) {
    const Status &st = results[size_t(r)];
    EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st.toString();
    EXPECT_NE(st.message().find("rank 2 did not reach all_reduce 'step 12 'loss'' (group world: "
                                "ranks 0,1,2,3) on f32 within 0.3 s: it died or hangs"),
              std::string::npos)
        << st.message();
    EXPECT_LT(seconds[size_t(r)], 2.0);
  }
  // The group is broken: a later collective fails at once with the same cause.
  float x = 1, y = 0;
  Status later = comms[0]->allReduce(&x, &y, 1, proto::F32, ReduceOp::kSum, "next");
  EXPECT_EQ(later.code(), StatusCode::kUnavailable);
  EXPECT_NE(later.message().find("rank 2 did not reach"), std::string::npos) << later.message();
}

TEST(InProcessCommunicator, AbortFailsTheWaitingRanks) {
  auto comms = InProcessCommunicator::createGroup(2);
  Status waited;
  std::thread t([&] { waited = comms[0]->barrier("waits"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  comms[1]->abort("loss is NaN");
  t.join();
  EXPECT_EQ(waited.code(), StatusCode::kUnavailable);
  EXPECT_NE(waited.message().find("aborted by rank 1: loss is NaN"), std::string::npos)
      << waited.message();
}

TEST(InProcessCommunicator, DefaultTimeoutFromEnvironment) {
  setenv("WEFT_COLLECTIVE_TIMEOUT_S", "2.5", 1);
  EXPECT_EQ(Communicator::defaultCollectiveTimeout(), std::chrono::milliseconds(2500));
  setenv("WEFT_COLLECTIVE_TIMEOUT_S", "abc", 1);
  EXPECT_EQ(Communicator::defaultCollectiveTimeout(), std::chrono::seconds(30));
  unsetenv("WEFT_COLLECTIVE_TIMEOUT_S");
  EXPECT_EQ(Communicator::defaultCollectiveTimeout(), std::chrono::seconds(30));
}

} // namespace
