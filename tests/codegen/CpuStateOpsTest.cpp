//===- CpuStateOpsTest.cpp - weft.dynamic_update_slice on the CPU ----------===//
//
// This file implements the CPU tests of weft.dynamic_update_slice: the
// copying kernel (the result is a fresh value) against the reference
// evaluator over shapes, dimensions, element types and offsets; and the
// in-place kernel of a key/value cache (the result is the weft.update of the
// state it reads): the Executable writes the state's own storage with no copy
// step, and the state after each run is the old one with only the block
// replaced (offsets past the end clamped), checked element by element.
//
//===----------------------------------------------------------------------===//

#include "tests/codegen/CodegenTestUtil.h"

#include "runtime/Executor.h"

#include <cstring>
#include <random>

namespace weft::test {
namespace {

constexpr Tolerance kExact{0, 0};

/// @main(x, update, start) -> dynamic_update_slice(x[start], update, dim).
std::string dusProgram(const std::string &in, const std::string &upd, const std::string &start,
                       int64_t dim) {
  return "func.func @main(%x: " + in + ", %u: " + upd + ", %s: " + start + ") -> " + in +
         " {\n  %0 = weft.dynamic_update_slice %x[%s], %u dim = " + std::to_string(dim) + " : " +
         in + ", " + upd + ", " + start + "\n  return %0 : " + in + "\n}\n";
}

TEST_F(CodegenTest, DynamicUpdateSliceMatchesReference) {
  struct Case {
    std::vector<int64_t> shape;
    int64_t dim, block;
  } cases[] = {{{2, 3, 8, 5}, 2, 1}, {{2, 3, 8, 5}, 2, 3}, {{9, 4}, 0, 9}, {{7}, 0, 2},
               {{3, 17}, 1, 16},     {{4, 2, 6}, 1, 1}};
  for (const char *et : {"f32", "bf16", "i64"})
    for (const Case &c : cases)
      for (const char *it : {"i64", "i32"}) {
        std::vector<int64_t> upd = c.shape;
        upd[size_t(c.dim)] = c.block;
        double last = double(c.shape[size_t(c.dim)] - c.block);
        check(dusProgram(tensorType(c.shape, et), tensorType(upd, et),
                         std::string("tensor<") + it + ">", c.dim),
              3, {kExact}, {{-9, 9}, {-9, 9}, {0, last + 1}});
      }
}

/// A cache [2, 3, 8, 4] as weft.state, written at run-time `pos` with a
/// block [2, 3, 2, 4]: the update result is the state's in-place update.
constexpr const char *kCacheWrite = R"(
func.func @main(%cache: tensor<2x3x8x4xf32> {weft.state = "cache.k"},
                %k: tensor<2x3x2x4xf32> {weft.input = "k"}, %pos: tensor<i64> {weft.input = "pos"})
    -> (tensor<2x3x8x4xf32> {weft.update = "cache.k"}) {
  %0 = weft.dynamic_update_slice %cache[%pos], %k dim = 2
      : tensor<2x3x8x4xf32>, tensor<2x3x2x4xf32>, tensor<i64>
  return %0 : tensor<2x3x8x4xf32>
}
)";

TEST_F(CodegenTest, CacheWriteUpdatesTheStateInPlace) {
  auto module = parse(kCacheWrite);
  ASSERT_TRUE(module);
  std::string diagnostics;
  std::optional<proto::Executable> exe = compile(*module, {}, &diagnostics);
  ASSERT_TRUE(exe) << diagnostics;
  // One kernel step, whose output is the state's own storage: no copy.
  ASSERT_EQ(exe->steps_size(), 1);
  const proto::KernelCall &call = exe->steps(0).kernel_call();
  const proto::Buffer &out = exe->buffers(int(call.args(call.args_size() - 1)));
  const proto::Buffer &state = exe->buffers(int(call.args(0)));
  EXPECT_EQ(state.kind(), proto::STATE);
  EXPECT_TRUE(out.has_updates());
  EXPECT_EQ(out.alias_of(), state.id());

  auto executor = rt::Executor::create(rt::Executable(std::move(*exe)));
  ASSERT_TRUE(executor.isOk()) << executor.status().toString();
  rt::Executor &ex = **executor;
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> dist(-1, 1);
  rt::HostTensor cache(proto::F32, {2, 3, 8, 4});
  for (int64_t i = 0; i < cache.numElements(); ++i)
    cache.data<float>()[i] = dist(rng);
  ASSERT_TRUE(ex.setState("cache.k", cache).isOk());
  // pos 9 is past the end: the kernel clamps it to 8 - 2 = 6.
  for (int64_t pos : {0, 3, 6, 9}) {
    rt::HostTensor k(proto::F32, {2, 3, 2, 4}), p(proto::I64, {});
    for (int64_t i = 0; i < k.numElements(); ++i)
      k.data<float>()[i] = dist(rng);
    p.data<int64_t>()[0] = pos;
    ASSERT_TRUE(ex.setInput("k", k).isOk());
    ASSERT_TRUE(ex.setInput("pos", p).isOk());
    ASSERT_TRUE(ex.run().isOk());
    const int64_t at = std::min<int64_t>(pos, 6);
    for (int64_t row = 0; row < 6; ++row) // [2, 3] rows of [8, 4]
      for (int64_t t = 0; t < 2; ++t)
        std::memcpy(cache.data<float>() + (row * 8 + at + t) * 4, k.data<float>() + (row * 2 + t) * 4,
                    4 * sizeof(float));
    rt::StatusOr<rt::HostTensor> got = ex.state("cache.k");
    ASSERT_TRUE(got.isOk());
    EXPECT_EQ(got->bytes, cache.bytes) << "after writing at " << pos;
  }
}

} // namespace
} // namespace weft::test
