//===- MpiCommunicatorTest.cpp - collectives across mpirun ranks ----------===//
//
// This file implements the MPI tests, run by ctest as `mpirun -np N` for
// N = 2, 4, 8: every collective kind on f32, bf16 and i64 with 1, 7 and 4099
// elements per block, checked on every rank bit for bit against the local
// oracle (CollectiveCases.h); and the groups of a dp x tp mesh from split().
// Its main() initializes MPI; only rank 0 prints gtest's output, every
// rank's failures make mpirun fail.
//
//===----------------------------------------------------------------------===//

#include "CollectiveCases.h"
#include "runtime/comm/MeshShape.h"
#include "runtime/comm/MpiCommunicator.h"
#include "runtime/comm/MpiEnvironment.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

using namespace weft::rt;
using namespace weft::rt::testing;
namespace proto = weft::proto;

namespace {

std::shared_ptr<MpiCommunicator> world() {
  static std::shared_ptr<MpiCommunicator> w = MpiCommunicator::world().value();
  return w;
}

TEST(MpiCommunicator, WorldMatchesMpirun) {
  EXPECT_TRUE(MpiEnvironment::underMpirun());
  EXPECT_EQ(world()->size(), std::atoi(std::getenv("OMPI_COMM_WORLD_SIZE")));
  EXPECT_EQ(world()->rank(), std::atoi(std::getenv("OMPI_COMM_WORLD_RANK")));
}

// Which GPU a rank takes: its index on its node, from the launcher. The test's
// ranks all run on this one node, so that index is the world rank; a value
// that is not a whole number is not taken.
TEST(MpiCommunicator, LocalRankIsTheIndexOnTheNode) {
  EXPECT_EQ(MpiEnvironment::localRankFromEnvironment(), world()->rank());
  ASSERT_NE(std::getenv("OMPI_COMM_WORLD_LOCAL_RANK"), nullptr) << "OpenMPI's mpirun sets it";
  std::string saved = std::getenv("OMPI_COMM_WORLD_LOCAL_RANK");
  ::setenv("OMPI_COMM_WORLD_LOCAL_RANK", "1x", 1);
  if (!std::getenv("MPI_LOCALRANKID") && !std::getenv("SLURM_LOCALID"))
    EXPECT_EQ(MpiEnvironment::localRankFromEnvironment(), -1);
  ::setenv("OMPI_COMM_WORLD_LOCAL_RANK", saved.c_str(), 1);
  EXPECT_EQ(MpiEnvironment::localRankFromEnvironment(), world()->rank());
}

TEST(MpiCommunicator, EveryKindF32Bf16I64UnevenCounts) {
  for (proto::DType dtype : {proto::F32, proto::BF16, proto::I64})
    for (size_t count : {size_t(1), size_t(7), size_t(4099)})
      checkEveryCollective(*world(), dtype, count);
}

TEST(MpiCommunicator, SubGroupsOfAMesh) {
  // 2 ranks: dp=1,tp=2; 4: dp=2,tp=2; 8: dp=2,tp=4.
  const int n = world()->size();
  MeshShape mesh = MeshShape::parse(n == 2 ? "dp=1,tp=2" : n == 4 ? "dp=2,tp=2" : "dp=2,tp=4").value();
  ASSERT_EQ(mesh.numRanks(), n);
  const int r = world()->rank();
  for (std::vector<int> axes : {std::vector<int>{0}, {1}, {1, 0}}) {
    StatusOr<std::shared_ptr<Communicator>> group = world()->split(
        int(mesh.groupColor(r, axes)), int(mesh.indexInGroup(r, axes)), "g");
    ASSERT_TRUE(group.isOk()) << group.status().toString();
    Communicator &g = *group.value();
    EXPECT_EQ(g.rank(), mesh.indexInGroup(r, axes));
    EXPECT_EQ(g.groupName(), "g: ranks " + rankList(mesh.groupOf(r, axes)));
    int64_t me = r;
    std::vector<int64_t> members(size_t(g.size()));
    ASSERT_TRUE(g.allGather(&me, members.data(), 1, proto::I64).isOk());
    EXPECT_EQ(members, mesh.groupOf(r, axes));
    checkEveryCollective(g, proto::BF16, 7);
    checkEveryCollective(g, proto::F32, 4099);
  }
}

} // namespace

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (Status st = MpiEnvironment::initialize(); !st.isOk()) {
    std::fprintf(stderr, "%s\n", st.toString().c_str());
    return 1;
  }
  if (world()->rank() != 0) {
    auto &listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  int result = RUN_ALL_TESTS();
  return result;
}
