//===- MemoryBudgetTest.cpp - programs that do not fit are refused ----------===//
//
// This file implements the tests of the memory check made before an
// Executor allocates anything: an Executable whose arena, parameters and
// optimizer state exceed the budget (a --memory limit, or what the host has
// left) fails with RESOURCE_EXHAUSTED naming both figures — including a
// forged one whose sizes would need exabytes, which used to reserve memory
// until the allocator gave up — and one that fits loads; the figures are
// the arena plus every parameter and state buffer.
//
//===----------------------------------------------------------------------===//

#include "tests/runtime/RuntimeTestUtil.h"

#include "runtime/Executor.h"
#include "runtime/HostMemory.h"
#include "runtime/MemoryNeeds.h"

#include <gtest/gtest.h>

using namespace weft::rt;
using namespace weft::rt::testing;
namespace proto = weft::proto;

namespace {

/// A program with a 1 MiB parameter, 2 MiB of state and a 4 KiB input.
proto::Executable smallProgram() {
  proto::Executable exe = emptyExecutable("budget");
  addBuffer(exe, "w", proto::PARAMETER, {512, 512});
  addBuffer(exe, "m", proto::STATE, {512, 512});
  addBuffer(exe, "v", proto::STATE, {512, 512});
  uint32_t x = addBuffer(exe, "x", proto::INPUT, {1024});
  exe.add_outputs(x);
  return exe;
}

TEST(RuntimeMemory, NeedsCountArenaParametersAndState) {
  MemoryNeeds needs = memoryNeeds(smallProgram());
  EXPECT_EQ(needs.arena, 4096u);
  EXPECT_EQ(needs.parameters, 1u << 20);
  EXPECT_EQ(needs.state, 2u << 20);
  EXPECT_EQ(needs.total(), (3u << 20) + 4096u);
  EXPECT_EQ(needs.describe(), "3.00 MiB (arena 4.00 KiB, parameters 1.00 MiB, optimizer state 2.00 MiB)");
}

TEST(RuntimeMemory, ProgramOverTheLimitIsRefusedBeforeAllocating) {
  ExecutorOptions options;
  options.memoryLimit = 2u << 20; // 2 MiB < 3 MiB + 4 KiB
  auto executor = Executor::create(Executable(smallProgram(), "small.wexe"), options);
  ASSERT_FALSE(executor.isOk());
  EXPECT_EQ(executor.status().code(), StatusCode::kResourceExhausted);
  const std::string &m = executor.status().message();
  EXPECT_NE(m.find("executable 'small.wexe' needs 3.00 MiB"), std::string::npos) << m;
  EXPECT_NE(m.find("but only 2.00 MiB are available (the limit given with --memory)"),
            std::string::npos)
      << m;

  options.memoryLimit = 4u << 20;
  EXPECT_TRUE(Executor::create(Executable(smallProgram(), "small.wexe"), options).isOk());
}

TEST(RuntimeMemory, HugeProgramIsRefusedAgainstTheHostsMemory) {
  // Each buffer is valid on its own; together they need 2^61 bytes. Without
  // the check the executor reserved memory until the allocator failed.
  proto::Executable exe = emptyExecutable("huge");
  for (int i = 0; i < 4; ++i)
    addBuffer(exe, "w" + std::to_string(i), proto::PARAMETER, {int64_t(1) << 29, int64_t(1) << 30});
  ASSERT_TRUE(hostAvailableMemory().has_value()) << "this test needs /proc/meminfo";
  auto executor = Executor::create(Executable(exe, "huge.wexe"));
  ASSERT_FALSE(executor.isOk());
  EXPECT_EQ(executor.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(executor.status().message().find("parameters 8.00 EiB"), std::string::npos)
      << executor.status().message();
}

TEST(RuntimeMemory, HostBudgetIsBelowMemAvailableAndAboveZero) {
  std::optional<weft::rt::Device::Available> host = hostAvailableMemory();
  ASSERT_TRUE(host.has_value());
  EXPECT_GT(host->bytes, 0u);
  EXPECT_FALSE(host->limitedBy.empty());
}

} // namespace
