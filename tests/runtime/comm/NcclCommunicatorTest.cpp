//===- NcclCommunicatorTest.cpp - NCCL declarations and a GPU all-reduce --===//
//
// This file implements tests of the NCCL path, built only with the CUDA
// runtime: the values weft declares for NCCL's enumerators and unique id
// (runtime/comm/NcclApi.h) match nccl.h, and, where a GPU is present, a
// one-rank NCCL group (bootstrapped over an in-process communicator) runs
// all_reduce, all_gather, reduce_scatter and permute on device buffers. Without
// a GPU the GPU test skips with the reason.
//
//===----------------------------------------------------------------------===//

#include "runtime/comm/InProcessCommunicator.h"
#include "runtime/comm/NcclApi.h"
#include "runtime/comm/NcclCommunicator.h"
#include "runtime/cuda/CudaDevice.h"

#include <nccl.h>

#include <gtest/gtest.h>

#include <vector>

using namespace weft::rt;
namespace proto = weft::proto;

static_assert(sizeof(nccl::ncclUniqueId) == sizeof(::ncclUniqueId));
static_assert(int(nccl::ncclSuccess) == int(::ncclSuccess));
static_assert(int(nccl::ncclInProgress) == int(::ncclInProgress));
static_assert(int(nccl::ncclSum) == int(::ncclSum) && int(nccl::ncclMax) == int(::ncclMax) &&
              int(nccl::ncclMin) == int(::ncclMin));
static_assert(int(nccl::ncclUint8) == int(::ncclUint8) && int(nccl::ncclInt32) == int(::ncclInt32) &&
              int(nccl::ncclInt64) == int(::ncclInt64) &&
              int(nccl::ncclFloat16) == int(::ncclFloat16) &&
              int(nccl::ncclFloat32) == int(::ncclFloat32) &&
              int(nccl::ncclBfloat16) == int(::ncclBfloat16));

namespace {

TEST(NcclCommunicator, LibraryLoadsOrSaysWhy) {
  StatusOr<const nccl::NcclLibrary *> lib = nccl::NcclLibrary::get();
  if (!lib.isOk())
    EXPECT_NE(lib.status().message().find("libnccl.so.2"), std::string::npos);
  else
    EXPECT_NE(lib.value()->allReduce, nullptr);
}

TEST(NcclCommunicator, OneRankCollectivesOnTheGpu) {
  StatusOr<std::unique_ptr<cuda::CudaDevice>> dev = cuda::CudaDevice::open(0);
  if (!dev.isOk())
    GTEST_SKIP() << "no usable GPU: " << dev.status().message();
  if (!nccl::NcclLibrary::get().isOk())
    GTEST_SKIP() << nccl::NcclLibrary::get().status().message();
  cuda::CudaDevice &d = *dev.value();
  std::shared_ptr<Communicator> host = InProcessCommunicator::createGroup(1)[0];
  auto comm = NcclCommunicator::create(host, d.stream());
  ASSERT_TRUE(comm.isOk()) << comm.status().toString();
  const size_t n = 4099;
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i)
    x[i] = float(i) * 0.25f - 7.0f;
  void *in = d.allocate(n * 4, 256).value(), *out = d.allocate(n * 4, 256).value();
  ASSERT_TRUE(d.copyToDevice(in, x.data(), n * 4).isOk());
  std::vector<float> got(n);
  auto expectCopy = [&](const char *what) {
    ASSERT_TRUE(d.copyToHost(got.data(), out, n * 4).isOk());
    ASSERT_TRUE(d.synchronize().isOk());
    EXPECT_EQ(got, x) << what; // a group of one: every collective copies
  };
  ASSERT_TRUE(comm.value()->allReduce(in, out, n, proto::F32, ReduceOp::kSum, "t").isOk());
  expectCopy("all_reduce");
  ASSERT_TRUE(d.zero(out, n * 4).isOk());
  ASSERT_TRUE(comm.value()->allGather(in, out, n, proto::F32, "t").isOk());
  expectCopy("all_gather");
  ASSERT_TRUE(d.zero(out, n * 4).isOk());
  ASSERT_TRUE(comm.value()->reduceScatter(in, out, n, proto::F32, ReduceOp::kMax, "t").isOk());
  expectCopy("reduce_scatter");
  ASSERT_TRUE(d.zero(out, n * 4).isOk());
  ASSERT_TRUE(comm.value()->permute(in, out, n, proto::F32, {{0, 0}}, "t").isOk());
  expectCopy("permute");
  ASSERT_TRUE(comm.value()->permute(in, out, n, proto::F32, {}, "t").isOk());
  ASSERT_TRUE(d.copyToHost(got.data(), out, n * 4).isOk());
  EXPECT_EQ(got, std::vector<float>(n, 0.0f)) << "permute with no pair: zeros";
  d.free(in);
  d.free(out);
}

} // namespace
