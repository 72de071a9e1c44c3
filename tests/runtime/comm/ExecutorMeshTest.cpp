//===- ExecutorMeshTest.cpp - an SPMD Executable on thread-ranks ----------===//
//
// This file implements tests of the Executor on hand-built format-4
// Executables with a mesh: two thread-ranks (InProcessCommunicator) run an
// all_reduce and an all_gather step and read their MESH_INDEX; a mesh of 2x2
// runs collectives over each axis; a mesh whose size differs from the world
// is refused with both sizes; and the bytes each step sends.
//
//===----------------------------------------------------------------------===//

#include "../RuntimeTestUtil.h"
#include "InProcessTestUtil.h"
#include "runtime/Executor.h"
#include "runtime/comm/CommBytes.h"

#include <gtest/gtest.h>

using namespace weft::rt;
using namespace weft::rt::testing;
namespace proto = weft::proto;

namespace {

void addAxis(proto::Executable &exe, const std::string &name, int64_t size) {
  proto::MeshAxis *a = exe.mutable_mesh()->add_axes();
  a->set_name(name);
  a->set_size(size);
}

uint32_t addMeshIndex(proto::Executable &exe, const std::string &name, std::vector<uint32_t> axes) {
  uint32_t id = addBuffer(exe, name, proto::MESH_INDEX, {}, proto::I64);
  for (uint32_t a : axes)
    exe.mutable_buffers(int(id))->add_mesh_axes(a);
  return id;
}

proto::Collective *addCollective(proto::Executable &exe, const std::string &label,
                                 proto::CollectiveKind kind, uint32_t in, uint32_t out,
                                 std::vector<uint32_t> axes, uint64_t count) {
  proto::Step *step = exe.add_steps();
  step->set_label(label);
  proto::Collective *c = step->mutable_collective();
  c->set_kind(kind);
  c->set_input(in);
  c->set_output(out);
  for (uint32_t a : axes)
    c->add_axes(a);
  c->set_dtype(proto::F32);
  c->set_reduction(proto::REDUCE_SUM);
  c->set_count(count);
  return c;
}

/// dp=2: x[5] → all_reduce → y[5], x → all_gather → g[2, 5]; outputs y, g, idx.
proto::Executable dataParallelExecutable() {
  proto::Executable exe = emptyExecutable("dp2");
  addAxis(exe, "dp", 2);
  uint32_t idx = addMeshIndex(exe, "dp_index", {0});
  uint32_t x = addBuffer(exe, "x", proto::INPUT, {5});
  uint32_t y = addBuffer(exe, "y", proto::OUTPUT, {5});
  uint32_t g = addBuffer(exe, "g", proto::OUTPUT, {2, 5});
  addCollective(exe, "all_reduce@m.cpp:7", proto::ALL_REDUCE, x, y, {0}, 5);
  addCollective(exe, "all_gather@m.cpp:8", proto::ALL_GATHER, x, g, {0}, 5);
  exe.add_outputs(y);
  exe.add_outputs(g);
  exe.add_outputs(idx);
  return exe;
}

HostTensor rankInput(int rank, int64_t n) {
  HostTensor t(proto::F32, {n});
  for (int64_t i = 0; i < n; ++i)
    t.data<float>()[i] = float(rank * 100 + i) + 0.5f;
  return t;
}

TEST(ExecutorMesh, AllReduceAllGatherAndMeshIndexOnTwoRanks) {
  Executable exe(dataParallelExecutable());
  ASSERT_TRUE(exe.validate().isOk()) << exe.validate().toString();
  runOnRanks(2, [&](const std::shared_ptr<Communicator> &comm) {
    ExecutorOptions options;
    options.communicator = comm;
    auto executor = Executor::create(exe, options);
    ASSERT_TRUE(executor.isOk()) << executor.status().toString();
    Executor &e = *executor.value();
    EXPECT_EQ(e.rank(), comm->rank());
    EXPECT_EQ(e.mesh().toString(), "dp=2");
    ASSERT_TRUE(e.setInput("x", rankInput(comm->rank(), 5)).isOk());
    for (int run = 0; run < 2; ++run) {
      Status st = e.run();
      ASSERT_TRUE(st.isOk()) << st.toString();
      HostTensor y = e.output("y").value(), g = e.output("g").value(), idx = e.output(2).value();
      for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(y.data<float>()[i], float(i) + 0.5f + float(100 + i) + 0.5f);
        EXPECT_EQ(g.data<float>()[i], float(i) + 0.5f);
        EXPECT_EQ(g.data<float>()[5 + i], float(100 + i) + 0.5f);
      }
      EXPECT_EQ(idx.data<int64_t>()[0], comm->rank());
    }
  });
}

TEST(ExecutorMesh, CollectivesOverEachAxisOfA2x2Mesh) {
  // dp=2, tp=2: s = all_reduce over tp, t = all_reduce over dp, both of x.
  proto::Executable p = emptyExecutable("2x2");
  addAxis(p, "dp", 2);
  addAxis(p, "tp", 2);
  uint32_t tpIndex = addMeshIndex(p, "tp_index", {1});
  uint32_t bothIndex = addMeshIndex(p, "tp_dp_index", {1, 0});
  uint32_t x = addBuffer(p, "x", proto::INPUT, {3});
  uint32_t s = addBuffer(p, "s", proto::OUTPUT, {3});
  uint32_t t = addBuffer(p, "t", proto::OUTPUT, {3});
  addCollective(p, "tp sum", proto::ALL_REDUCE, x, s, {1}, 3);
  addCollective(p, "dp sum", proto::ALL_REDUCE, x, t, {0}, 3);
  for (uint32_t o : {s, t, tpIndex, bothIndex})
    p.add_outputs(o);
  Executable exe(p);
  runOnRanks(4, [&](const std::shared_ptr<Communicator> &comm) {
    ExecutorOptions options;
    options.communicator = comm;
    auto executor = Executor::create(exe, options);
    ASSERT_TRUE(executor.isOk()) << executor.status().toString();
    Executor &e = *executor.value();
    const int r = comm->rank();
    ASSERT_TRUE(e.setInput("x", rankInput(r, 3)).isOk());
    ASSERT_TRUE(e.run().isOk());
    const int tpPeer = r ^ 1, dpPeer = r ^ 2; // rank = 2 dp + tp
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(e.output("s").value().data<float>()[i],
                rankInput(std::min(r, tpPeer), 3).data<float>()[i] +
                    rankInput(std::max(r, tpPeer), 3).data<float>()[i]);
      EXPECT_EQ(e.output("t").value().data<float>()[i],
                rankInput(std::min(r, dpPeer), 3).data<float>()[i] +
                    rankInput(std::max(r, dpPeer), 3).data<float>()[i]);
    }
    EXPECT_EQ(e.output(2).value().data<int64_t>()[0], r % 2);                 // tp
    EXPECT_EQ(e.output(3).value().data<int64_t>()[0], (r % 2) * 2 + r / 2);   // tp, then dp
  });
}

TEST(ExecutorMesh, MeshSizeMustMatchTheWorld) {
  proto::Executable p = dataParallelExecutable();
  p.mutable_mesh()->clear_axes();
  addAxis(p, "dp", 2);
  addAxis(p, "tp", 2);
  Executable exe(p);
  auto none = Executor::create(exe);
  ASSERT_FALSE(none.isOk());
  EXPECT_EQ(none.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(none.status().message().find(
                "the Executable was compiled for mesh dp=2,tp=2 (4 ranks) but runs on 1"),
            std::string::npos)
      << none.status().message();
  runOnRanks(2, [&](const std::shared_ptr<Communicator> &comm) {
    ExecutorOptions options;
    options.communicator = comm;
    auto e = Executor::create(exe, options);
    ASSERT_FALSE(e.isOk());
    EXPECT_NE(e.status().message().find("(4 ranks) but runs on 2 (communicator group world: "
                                        "ranks 0,1)"),
              std::string::npos)
        << e.status().message();
  });
}

TEST(ExecutorMesh, OneRankMeshRunsWithoutACommunicator) {
  proto::Executable p = dataParallelExecutable();
  p.mutable_mesh()->mutable_axes(0)->set_size(1);
  p.mutable_buffers(3)->set_shape(0, 1); // g is [1, 5]
  p.mutable_buffers(3)->set_byte_size(20);
  Executable exe(p);
  auto e = Executor::create(exe);
  ASSERT_TRUE(e.isOk()) << e.status().toString();
  ASSERT_TRUE(e.value()->setInput("x", rankInput(3, 5)).isOk());
  ASSERT_TRUE(e.value()->run().isOk());
  EXPECT_EQ(e.value()->output("y").value().data<float>()[4], 304.5f);
  EXPECT_EQ(e.value()->output("g").value().data<float>()[4], 304.5f);
}

TEST(ExecutorMesh, ProfiledStepsNameTheCollective) {
  Executable exe(dataParallelExecutable());
  runOnRanks(2, [&](const std::shared_ptr<Communicator> &comm) {
    ExecutorOptions options;
    options.communicator = comm;
    auto e = Executor::create(exe, options);
    ASSERT_TRUE(e.isOk());
    ASSERT_TRUE(e.value()->setInput("x", rankInput(0, 5)).isOk());
    e.value()->setProfiling(true);
    ASSERT_TRUE(e.value()->run().isOk());
    ASSERT_EQ(e.value()->stepTimes().size(), 2u);
    EXPECT_EQ(e.value()->stepTimes()[0].kind, "collective:all_reduce");
    EXPECT_EQ(e.value()->stepTimes()[1].kind, "collective:all_gather");
  });
}

TEST(CommBytes, RingFiguresPerStep) {
  proto::Executable p = emptyExecutable("bytes");
  addAxis(p, "dp", 4);
  addAxis(p, "tp", 2);
  uint32_t a = addBuffer(p, "a", proto::INPUT, {8});
  uint32_t b = addBuffer(p, "b", proto::TEMPORARY, {8});
  uint32_t wide = addBuffer(p, "wide", proto::TEMPORARY, {32});
  addCollective(p, "ar", proto::ALL_REDUCE, a, b, {0}, 8);        // n=4, S=32 B: 2*3/4*32 = 48
  addCollective(p, "ag", proto::ALL_GATHER, a, wide, {0}, 8);     // S_full = 128 B: 3/4 → 96
  addCollective(p, "rs", proto::REDUCE_SCATTER, wide, a, {0}, 8); // 96
  addCollective(p, "a2a", proto::ALL_TO_ALL, wide, wide, {0}, 8); // 96 (validate would refuse in place)
  proto::Collective *perm = addCollective(p, "perm", proto::PERMUTE, a, b, {1}, 8);
  proto::SourceTarget *st = perm->add_pairs();
  st->set_source(0);
  st->set_target(1);
  std::vector<uint64_t> rank0 = communicatedBytesPerStep(p, 0);
  EXPECT_EQ(rank0, (std::vector<uint64_t>{48, 96, 96, 96, 32}));
  // rank 1 has tp index 1: it only receives in the permute.
  EXPECT_EQ(communicatedBytesPerStep(p, 1)[4], 0u);
  EXPECT_EQ(communicatedBytesPerRun(p, 0), 48u + 96 + 96 + 96 + 32);
}

} // namespace
