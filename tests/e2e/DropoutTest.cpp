//===- DropoutTest.cpp - weft.random_uniform and dropout, compiled --------===//
//
// This file implements the tests of the DSL's random numbers: the compiled
// CPU weft.random_uniform equals the reference evaluator and ir/RandomBits.h
// bitwise; dropout's keep fraction is 1 - p within 4 standard deviations of
// the binomial, its kept values are x / (1 - p), another seed draws a fresh
// mask (positions differ with probability 2 p (1 - p), again within 4 sigma)
// and another stream an independent one.
//
//===----------------------------------------------------------------------===//

#include "tests/e2e/E2ETestUtil.h"

#include "frontend/Ops.h"
#include "ir/RandomBits.h"

namespace weft {
namespace {

constexpr int64_t kRows = 64, kCols = 128, kN = kRows * kCols;
constexpr double kP = 0.25;

struct Compiled {
  Program program;
  std::unique_ptr<rt::Executor> exe;
};

/// Outputs "u" (random_uniform) and "d" (dropout of input "x") of seed input "seed", stream `stream`.
Compiled build(int64_t stream) {
  Compiled c;
  Program &p = c.program;
  Tensor seed = p.input("seed", {}, DType::I64);
  Tensor x = p.input("x", {kRows, kCols});
  p.output("u", random_uniform(seed, {kRows, kCols}, stream));
  p.output("d", dropout(x, kP, seed, stream));
  CompileOptions options;
  options.useCache = false;
  CompileResult r = compile(p.module(), options);
  EXPECT_TRUE(r.executable.has_value());
  c.exe = std::move(rt::Executor::create(std::move(*r.executable))).value();
  return c;
}

rt::HostTensor input() {
  rt::HostTensor x(weft::proto::F32, {kRows, kCols});
  for (int64_t i = 0; i < kN; ++i)
    x.data<float>()[i] = 0.5f + float(i % 97) / 97.0f; // never 0: a zero marks a dropped element
  return x;
}

std::pair<rt::HostTensor, rt::HostTensor> run(Compiled &c, int64_t seedValue) {
  rt::HostTensor seed(weft::proto::I64, {});
  seed.data<int64_t>()[0] = seedValue;
  EXPECT_TRUE(c.exe->setInput("seed", seed).isOk());
  EXPECT_TRUE(c.exe->setInput("x", input()).isOk());
  EXPECT_TRUE(c.exe->run().isOk());
  return {c.exe->output("u").value(), c.exe->output("d").value()};
}

TEST(Dropout, RandomUniformMatchesTheReferenceBitwise) {
  Compiled c = build(/*stream=*/5);
  auto [u, d] = run(c, 11);
  auto func = *c.program.module().getOps<mlir::func::FuncOp>().begin();
  rt::HostTensor seed(weft::proto::I64, {});
  seed.data<int64_t>()[0] = 11;
  std::vector<RefTensor> want = evaluate(func, {test::toRef(seed), test::toRef(input())});
  double sum = 0;
  for (int64_t i = 0; i < kN; ++i) {
    float got = u.data<float>()[i];
    ASSERT_EQ(got, float(want[0].data[i])) << "element " << i;
    ASSERT_EQ(got, random::uniform(11, 5, uint64_t(i))) << "element " << i;
    ASSERT_TRUE(got >= 0.0f && got < 1.0f);
    sum += got;
  }
  // Mean of U(0, 1): 0.5 within 4 sigma (sigma = sqrt(1/12 / N)).
  EXPECT_NEAR(sum / kN, 0.5, 4 * std::sqrt(1.0 / 12.0 / kN));
  test::expectClose(d, want[1], 1e-6, 1e-6, "dropout vs reference");
}

TEST(Dropout, KeepsOneMinusPAndDrawsFreshMasksPerSeedAndStream) {
  Compiled c = build(/*stream=*/5);
  Compiled other = build(/*stream=*/6);
  auto [u1, d1] = run(c, 1);
  auto [u2, d2] = run(c, 2);
  auto [u3, d3] = run(other, 1);
  rt::HostTensor x = input();
  int64_t kept = 0, differSeed = 0, differStream = 0;
  for (int64_t i = 0; i < kN; ++i) {
    float v = d1.data<float>()[i];
    bool keep = v != 0.0f;
    kept += keep;
    if (keep)
      ASSERT_NEAR(v, x.data<float>()[i] / (1.0 - kP), 1e-6) << "element " << i;
    differSeed += keep != (d2.data<float>()[i] != 0.0f);
    differStream += keep != (d3.data<float>()[i] != 0.0f);
  }
  const double sigmaKeep = std::sqrt(kP * (1 - kP) / kN);
  EXPECT_NEAR(double(kept) / kN, 1 - kP, 4 * sigmaKeep);
  // Independent masks differ where exactly one keeps: probability 2 p (1 - p).
  const double q = 2 * kP * (1 - kP), sigmaDiffer = std::sqrt(q * (1 - q) / kN);
  EXPECT_NEAR(double(differSeed) / kN, q, 4 * sigmaDiffer);
  EXPECT_NEAR(double(differStream) / kN, q, 4 * sigmaDiffer);
}

} // namespace
} // namespace weft
