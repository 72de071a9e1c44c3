//===- CudaMeshTest.cpp - a mesh step's collectives on NCCL ---------------===//
//
// This file tests the distributed path of the CUDA runtime on one GPU: the
// executable in $WEFT_CUDA_MESH_EXE (a training step compiled for a dp=1
// mesh, whose gradient all-reduces are collective steps over a one-GPU group)
// runs twice from the same random weights and inputs, once with those
// collectives as copies on the stream and once on NCCL
// (ExecutorOptions::ncclForOneGpuGroups: the path a mesh of several GPUs
// takes). NCCL over one rank copies too, so every output must agree to the
// bit. The NCCL run is never captured as a CUDA graph (each collective waits
// on the stream with a deadline). Skips without the variable, a GPU or
// libnccl.so.2, saying which.
//
//===----------------------------------------------------------------------===//

#include "runtime/Executor.h"
#include "runtime/comm/NcclApi.h"
#include "tests/cuda/RandomBinding.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace weft {
namespace {

/// Runs `exe` for two steps from fixed random weights and inputs; its outputs.
std::vector<rt::HostTensor> runTwoSteps(const rt::Executable &exe, bool nccl, bool &captured) {
  rt::ExecutorOptions options;
  options.ncclForOneGpuGroups = nccl;
  auto ex = rt::Executor::create(exe, options);
  EXPECT_TRUE(ex.isOk()) << (nccl ? "nccl: " : "copies: ") << ex.status().toString();
  if (!ex.isOk())
    return {};
  std::mt19937 rng(7);
  EXPECT_TRUE(test::bindRandomParameters(**ex, rng).isOk());
  (*ex)->setCudaGraphs(true);
  for (int step = 1; step <= 3; ++step) { // the third run replays a graph when one is captured
    EXPECT_TRUE(test::bindRandomInputs(**ex, step, rng).isOk());
    rt::Status ran = (*ex)->run();
    EXPECT_TRUE(ran.isOk()) << (nccl ? "nccl: " : "copies: ") << ran.toString();
    if (!ran.isOk())
      return {};
  }
  captured = (*ex)->cudaGraphCaptured();
  std::vector<rt::HostTensor> outputs;
  for (size_t o = 0; o < (*ex)->outputNames().size(); ++o)
    outputs.push_back((*ex)->output(o).value());
  return outputs;
}

TEST(CudaMesh, CollectivesOnNcclEqualCopiesOnOneGpu) {
  const char *path = std::getenv("WEFT_CUDA_MESH_EXE");
  if (!path)
    GTEST_SKIP() << "set WEFT_CUDA_MESH_EXE to a cuda .wexe compiled for a dp=1 mesh";
  auto exe = rt::Executable::load(path);
  ASSERT_TRUE(exe.isOk()) << exe.status().toString();
  int collectives = 0;
  for (const proto::Step &s : exe->proto().steps())
    collectives += s.has_collective();
  ASSERT_GT(collectives, 0) << path << " has no collective step: compile it with --mesh dp=1";
  if (auto lib = rt::nccl::NcclLibrary::get(); !lib.isOk())
    GTEST_SKIP() << lib.status().message();
  {
    auto probe = rt::Executor::create(*exe);
    if (!probe.isOk() && probe.status().code() == rt::StatusCode::kUnavailable)
      GTEST_SKIP() << "no usable GPU: " << probe.status().message();
  }
  bool copiesCaptured = false, ncclCaptured = true;
  std::vector<rt::HostTensor> copies = runTwoSteps(*exe, false, copiesCaptured);
  std::vector<rt::HostTensor> nccl = runTwoSteps(*exe, true, ncclCaptured);
  ASSERT_FALSE(copies.empty());
  ASSERT_EQ(copies.size(), nccl.size());
  for (size_t o = 0; o < copies.size(); ++o)
    EXPECT_EQ(copies[o].bytes, nccl[o].bytes) << "output " << o << " differs between copies and NCCL";
  EXPECT_TRUE(copiesCaptured) << "the copy path replays a CUDA graph";
  EXPECT_FALSE(ncclCaptured) << "a program with NCCL collectives is never captured";
  std::printf("CudaMesh: %d collective steps ran on NCCL; %zu outputs equal to the copy path's\n",
              collectives, copies.size());
}

} // namespace
} // namespace weft
