//===- NarrowGemmTest.cpp - bf16 and f16 GEMM steps on the CPU ------------===//
//
// This file tests runtime/cpu/NarrowGemm.h: bf16 and f16 GEMMs (every
// transpose combination, batched, alpha, beta) against the double-precision
// host product of the same rounded inputs (tests/common/NarrowGemmReference.h,
// with its per-element error bound: f32 accumulation and one rounding to the
// output dtype); bf16 through oneDNN where this processor runs it and through
// the widened-to-f32 path too; and the Executor running a bf16 Gemm step,
// through oneDNN or, with at most kGemvMaxRows rows, through the small-M
// kernels (runtime/cpu/Gemv.h), as the step's profiled route reports.
//
//===----------------------------------------------------------------------===//

#include "runtime/Executor.h"
#include "runtime/cpu/Gemv.h"
#include "runtime/cpu/NarrowGemm.h"
#include "tests/common/NarrowGemmReference.h"
#include "tests/runtime/RuntimeTestUtil.h"

#include <gtest/gtest.h>

namespace weft {
namespace {

using test::GemmCase;

std::vector<GemmCase> cases(proto::DType dtype) {
  const proto::GemmEpilogue none = proto::GEMM_EPILOGUE_NONE;
  return {{"nn", dtype, 1, 33, 70, 45, false, false, 1.0f, 0.0f, none, dtype},
          {"nt", dtype, 1, 64, 96, 128, false, true, 1.0f, 0.0f, none, dtype},
          // oneDNN 2.6.3's AMX bf16 matmul miscomputes 49 <= n <= 63 on two
          // threads (NarrowGemm widens those): n = 53, transposed B.
          {"nt_n53", dtype, 1, 29, 53, 64, false, true, 1.0f, 0.0f, none, dtype},
          {"nn_n60", dtype, 1, 16, 60, 96, false, false, 1.0f, 0.0f, none, dtype},
          {"nt_odd", dtype, 1, 29, 53, 64, false, true, 1.0f, 0.0f, none, dtype},
          {"tn", dtype, 1, 17, 40, 96, true, false, 1.0f, 0.0f, none, dtype},
          {"tt_alpha", dtype, 1, 8, 24, 50, true, true, 0.125f, 0.0f, none, dtype},
          {"batched_beta", dtype, 3, 20, 31, 64, false, true, 1.0f, 1.0f, none, dtype},
          {"one_row", dtype, 1, 1, 300, 256, false, true, 1.0f, 0.0f, none, dtype},
          {"batched_alpha_beta", dtype, 4, 16, 16, 32, true, false, 0.5f, -0.75f, none, dtype}};
}

/// The bf16 case called `name`.
GemmCase bf16Case(const std::string &name) {
  for (const GemmCase &gc : cases(proto::BF16))
    if (gc.name == name)
      return gc;
  ADD_FAILURE() << "no case " << name;
  return cases(proto::BF16).front();
}

/// Runs `gc` through `gemm` on fresh random inputs; the worst error ratio.
double worstOf(rt::NarrowGemm &gemm, const GemmCase &gc, unsigned seed) {
  test::GemmData in = test::randomData(gc, seed);
  std::vector<uint8_t> c = in.c;
  rt::Status st = gemm.run(in.a.data(), in.b.data(), c.data());
  EXPECT_TRUE(st.isOk()) << gc.name << ": " << st.toString();
  std::vector<double> want, allowed;
  test::hostProduct(gc, in, want, allowed);
  return test::worstRatio(gc.dtype, c, want, allowed);
}

TEST(NarrowGemm, Bf16AndF16MatchTheHostProduct) {
  unsigned seed = 1;
  for (proto::DType dtype : {proto::BF16, proto::F16})
    for (const GemmCase &gc : cases(dtype)) {
      SCOPED_TRACE(std::string(rt::dtypeName(dtype)) + " " + gc.name);
      auto gemm = rt::NarrowGemm::create(test::gemmOf(gc), gc.name);
      ASSERT_TRUE(gemm.isOk()) << gemm.status().toString();
      // bf16 takes oneDNN wherever oneDNN runs it; f16 (no CPU f16 matmul in
      // oneDNN 2.6) is widened to f32.
      bool oneDnn = dtype == proto::BF16 && rt::oneDnnRunsBf16(test::gemmOf(gc));
      EXPECT_STREQ((*gemm)->path(), oneDnn ? "onednn" : "widened to f32");
      EXPECT_LE(worstOf(**gemm, gc, seed++), 1.0);
      auto widened = rt::NarrowGemm::create(test::gemmOf(gc), gc.name, /*allowOneDnn=*/false);
      ASSERT_TRUE(widened.isOk());
      EXPECT_STREQ((*widened)->path(), "widened to f32");
      EXPECT_LE(worstOf(**widened, gc, seed++), 1.0);
    }
}

TEST(NarrowGemm, RefusesOtherDtypes) {
  proto::Gemm g = test::gemmOf(cases(proto::BF16)[0]);
  g.set_dtype(proto::F32);
  auto gemm = rt::NarrowGemm::create(g, "step 3 'x'");
  ASSERT_FALSE(gemm.isOk());
  EXPECT_NE(gemm.status().message().find("step 3 'x': a narrow GEMM is bf16 or f16, not f32"),
            std::string::npos)
      << gemm.status().toString();
}

/// A "cpu" Executable of one bf16 Gemm step: c[m, n] = a[m, k] x b[n, k]^T.
proto::Executable bf16GemmExecutable(const GemmCase &gc) {
  proto::Executable exe = rt::testing::emptyExecutable("bf16_gemm");
  uint32_t a = rt::testing::addBuffer(exe, "a", proto::INPUT, {int64_t(gc.m), int64_t(gc.k)}, proto::BF16);
  uint32_t b = rt::testing::addBuffer(exe, "b", proto::PARAMETER, {int64_t(gc.n), int64_t(gc.k)}, proto::BF16);
  uint32_t c = rt::testing::addBuffer(exe, "c", proto::OUTPUT, {int64_t(gc.m), int64_t(gc.n)}, proto::BF16);
  proto::Step *step = exe.add_steps();
  step->set_label("weft.matmul @ test:1");
  proto::Gemm g = test::gemmOf(gc);
  g.set_a(a), g.set_b(b), g.set_c(c);
  g.clear_bias();
  *step->mutable_gemm() = g;
  exe.add_outputs(c);
  return exe;
}

/// Runs a bf16 Gemm step of `gc` (profiled) through the Executor, checks it
/// against the host product and returns the route it took.
std::string runBf16GemmStep(const GemmCase &gc) {
  proto::Executable p = bf16GemmExecutable(gc);
  auto ex = rt::Executor::create(rt::Executable(p));
  EXPECT_TRUE(ex.isOk()) << ex.status().toString();
  if (!ex.isOk())
    return "";
  (*ex)->setProfiling(true);
  test::GemmData in = test::randomData(gc, 77);
  rt::HostTensor a(proto::BF16, {int64_t(gc.m), int64_t(gc.k)}), b(proto::BF16, {int64_t(gc.n), int64_t(gc.k)});
  a.bytes = in.a;
  b.bytes = in.b;
  EXPECT_TRUE((*ex)->setInput("a", a).isOk());
  EXPECT_TRUE((*ex)->setParameter("b", b).isOk());
  rt::Status run = (*ex)->run();
  EXPECT_TRUE(run.isOk()) << run.toString();
  rt::StatusOr<rt::HostTensor> c = (*ex)->output(0);
  EXPECT_TRUE(c.isOk()) << c.status().toString();
  if (!c.isOk())
    return "";
  std::vector<double> want, allowed;
  test::hostProduct(gc, in, want, allowed);
  EXPECT_LE(test::worstRatio(proto::BF16, c->bytes, want, allowed), 1.0);
  std::vector<rt::StepTime> times = (*ex)->stepTimes();
  EXPECT_EQ(times.size(), 1u);
  return times.empty() ? "" : times[0].route;
}

TEST(NarrowGemm, ExecutorRunsABf16GemmStep) {
  GemmCase gc = bf16Case("nt"); // activations x weight^T, 64 rows
  const bool oneDnn = rt::oneDnnRunsBf16(test::gemmOf(gc));
  EXPECT_EQ(runBf16GemmStep(gc), oneDnn ? "onednn" : "widened to f32");
}

// A decode step's products (a few rows) take weft's small-M kernels, not
// oneDNN (whose per-call overhead and packing lose at one row).
TEST(NarrowGemm, ExecutorRunsAFewRowsOnTheSmallMKernels) {
  GemmCase gc = bf16Case("one_row"); // 1 x 300 x 256, weight^T
  EXPECT_EQ(runBf16GemmStep(gc), "small-m bf16");
  gc.m = 5, gc.tb = false, gc.alpha = 0.5f; // a [k, n] weight, alpha
  EXPECT_EQ(runBf16GemmStep(gc), "small-m bf16");
  gc.m = rt::kGemvMaxRows + 1;
  EXPECT_NE(runBf16GemmStep(gc), "small-m bf16");
}

} // namespace
} // namespace weft
