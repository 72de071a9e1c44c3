//===- ExecutorGemmTest.cpp - running GEMM-only Executables ---------------===//
//
// This file implements tests of the Executor on hand-built GEMM programs:
// C = alpha * op(A) x op(B) + beta * C with every transpose combination,
// batch > 1 and beta != 0, checked against a naive double-precision loop on
// random data; and the binding errors (wrong shape or dtype, unknown name,
// missing parameter, reading outputs before a run) with their Status codes.
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestUtil.h"
#include "runtime/Executor.h"

#include <cmath>
#include <gtest/gtest.h>

using namespace weft::rt;
using namespace weft::rt::testing;
namespace proto = weft::proto;

namespace {

struct GemmCase {
  uint64_t batch, m, n, k;
  bool transA, transB;
  float alpha, beta;
};

/// Parameters A and B and one buffer C that is both an INPUT (the caller's
/// initial C, scaled by beta) and the program's output, updated in place.
proto::Executable gemmProgram(const GemmCase &c) {
  proto::Executable exe = emptyExecutable("gemm");
  std::vector<int64_t> aShape = {int64_t(c.batch), int64_t(c.transA ? c.k : c.m),
                                 int64_t(c.transA ? c.m : c.k)};
  std::vector<int64_t> bShape = {int64_t(c.batch), int64_t(c.transB ? c.n : c.k),
                                 int64_t(c.transB ? c.k : c.n)};
  uint32_t a = addBuffer(exe, "A", proto::PARAMETER, aShape);
  uint32_t b = addBuffer(exe, "B", proto::PARAMETER, bShape);
  uint32_t out = addBuffer(exe, "C", proto::INPUT, {int64_t(c.batch), int64_t(c.m), int64_t(c.n)});
  proto::Step *step = exe.add_steps();
  step->set_label("batch_matmul@gemm_test.cpp");
  proto::Gemm *g = step->mutable_gemm();
  g->set_a(a), g->set_b(b), g->set_c(out);
  g->set_batch(c.batch), g->set_m(c.m), g->set_n(c.n), g->set_k(c.k);
  g->set_trans_a(c.transA), g->set_trans_b(c.transB);
  g->set_alpha(c.alpha), g->set_beta(c.beta);
  g->set_dtype(proto::F32);
  exe.add_outputs(out);
  return exe;
}

/// The naive reference, in double precision.
std::vector<double> referenceGemm(const GemmCase &c, const HostTensor &A, const HostTensor &B,
                                  const HostTensor &C0) {
  std::vector<double> out(c.batch * c.m * c.n);
  for (uint64_t p = 0; p < c.batch; ++p)
    for (uint64_t i = 0; i < c.m; ++i)
      for (uint64_t j = 0; j < c.n; ++j) {
        double acc = 0;
        for (uint64_t l = 0; l < c.k; ++l) {
          double a = A.data<float>()[p * c.m * c.k + (c.transA ? l * c.m + i : i * c.k + l)];
          double b = B.data<float>()[p * c.k * c.n + (c.transB ? j * c.k + l : l * c.n + j)];
          acc += a * b;
        }
        size_t o = p * c.m * c.n + i * c.n + j;
        out[o] = c.alpha * acc + c.beta * C0.data<float>()[o];
      }
  return out;
}

void checkGemm(const GemmCase &c, unsigned seed) {
  SCOPED_TRACE("batch " + std::to_string(c.batch) + " m " + std::to_string(c.m) + " n " +
               std::to_string(c.n) + " k " + std::to_string(c.k) + " transA " +
               std::to_string(c.transA) + " transB " + std::to_string(c.transB));
  StatusOr<std::unique_ptr<Executor>> ex = Executor::create(Executable(gemmProgram(c)));
  ASSERT_TRUE(ex.isOk()) << ex.status().toString();
  Executor &e = **ex;
  const proto::Executable &p = e.executable().proto();
  HostTensor A = randomTensor({p.buffers(0).shape().begin(), p.buffers(0).shape().end()}, seed);
  HostTensor B = randomTensor({p.buffers(1).shape().begin(), p.buffers(1).shape().end()}, seed + 1);
  HostTensor C0 = randomTensor({int64_t(c.batch), int64_t(c.m), int64_t(c.n)}, seed + 2);
  ASSERT_TRUE(e.setParameter("A", A).isOk());
  ASSERT_TRUE(e.setParameter("B", B).isOk());
  ASSERT_TRUE(e.setInput("C", C0).isOk());
  Status st = e.run();
  ASSERT_TRUE(st.isOk()) << st.toString();
  StatusOr<HostTensor> C = e.output("C");
  ASSERT_TRUE(C.isOk()) << C.status().toString();
  EXPECT_EQ(C->shape, (std::vector<int64_t>{int64_t(c.batch), int64_t(c.m), int64_t(c.n)}));
  std::vector<double> want = referenceGemm(c, A, B, C0);
  ASSERT_EQ(static_cast<size_t>(C->numElements()), want.size());
  double tol = 1e-5 * (c.k + 1);
  for (size_t i = 0; i < want.size(); ++i)
    ASSERT_NEAR(C->data<float>()[i], want[i], tol) << "element " << i;
}

TEST(RuntimeGemm, PlainMatmulMatchesNaiveLoop) {
  checkGemm({1, 17, 23, 31, false, false, 1.0f, 0.0f}, 1);
}

TEST(RuntimeGemm, AllTransposeCombinations) {
  unsigned seed = 10;
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      checkGemm({1, 9, 14, 6, ta, tb, 1.0f, 0.0f}, seed += 3);
}

TEST(RuntimeGemm, BatchedWithAlphaAndBeta) {
  checkGemm({4, 5, 7, 3, false, false, 0.5f, 0.0f}, 40);
  checkGemm({3, 8, 4, 16, true, false, 1.0f, 1.0f}, 50);
  checkGemm({2, 6, 6, 6, false, true, -2.0f, 0.25f}, 60);
}

// A batch of products of a few rows, each too small to split (an
// attention's heads at one decode position): the entries run over the
// runtime's thread pool, each on one thread (CpuProgram's small-M path).
TEST(RuntimeGemm, BatchedSmallRowsRunOverThePool) {
  checkGemm({12, 1, 64, 48, false, true, 1.0f, 0.0f}, 70);  // scores: q . K^T per head
  checkGemm({12, 1, 48, 64, false, false, 1.0f, 0.0f}, 80); // P . V per head
  checkGemm({7, 3, 40, 33, false, false, 0.5f, 1.0f}, 90);  // odd batch, rows, beta
}

TEST(RuntimeGemm, ProfilingReportsEveryStep) {
  GemmCase c{2, 16, 16, 16, false, false, 1.0f, 0.0f};
  proto::Executable exe = gemmProgram(c);
  *exe.add_steps() = exe.steps(0);
  exe.mutable_steps(1)->set_label("second");
  auto ex = Executor::create(Executable(exe));
  ASSERT_TRUE(ex.isOk()) << ex.status().toString();
  Executor &e = **ex;
  ASSERT_TRUE(e.setParameter("A", randomTensor({2, 16, 16}, 1)).isOk());
  ASSERT_TRUE(e.setParameter("B", randomTensor({2, 16, 16}, 2)).isOk());
  ASSERT_TRUE(e.setInput("C", randomTensor({2, 16, 16}, 3)).isOk());
  e.setProfiling(true);
  ASSERT_TRUE(e.run().isOk());
  std::vector<StepTime> times = e.stepTimes();
  ASSERT_EQ(times.size(), 2u);
  EXPECT_EQ(times[0].label, "batch_matmul@gemm_test.cpp");
  EXPECT_EQ(times[1].label, "second");
  EXPECT_EQ(times[0].kind, "gemm");
  EXPECT_GE(times[0].microseconds, 0.0);
}

TEST(RuntimeGemm, NamesAndParameterReadBack) {
  auto ex = Executor::create(Executable(gemmProgram({1, 2, 3, 4, false, false, 1, 0})));
  ASSERT_TRUE(ex.isOk());
  Executor &e = **ex;
  EXPECT_EQ(e.parameterNames(), (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(e.inputNames(), (std::vector<std::string>{"C"}));
  EXPECT_EQ(e.outputNames(), (std::vector<std::string>{"C"}));
  HostTensor A = randomTensor({1, 2, 4}, 7);
  ASSERT_TRUE(e.setParameter("A", A).isOk());
  StatusOr<HostTensor> back = e.parameter("A");
  ASSERT_TRUE(back.isOk());
  EXPECT_EQ(back->shape, A.shape);
  EXPECT_EQ(back->bytes, A.bytes);
  EXPECT_EQ(e.parameter("B").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(e.parameter("nope").status().code(), StatusCode::kNotFound);
}

TEST(RuntimeGemm, WrongShapeOrDtypeIsInvalidArgument) {
  auto ex = Executor::create(Executable(gemmProgram({1, 2, 3, 4, false, false, 1, 0})));
  ASSERT_TRUE(ex.isOk());
  Executor &e = **ex;
  Status st = e.setParameter("A", randomTensor({1, 4, 2}, 1));
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("'A'"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("expects f32[1, 2, 4] but got f32[1, 4, 2]"), std::string::npos)
      << st.message();
  HostTensor ints(proto::I32, {1, 2, 3});
  st = e.setInput("C", ints);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("expects f32[1, 2, 3] but got i32[1, 2, 3]"), std::string::npos)
      << st.message();
  HostTensor shortBytes(proto::F32, {1, 2, 3});
  shortBytes.bytes.resize(8);
  st = e.setInput("C", shortBytes);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("holds 8 bytes"), std::string::npos) << st.message();
}

TEST(RuntimeGemm, UnknownNameIsNotFound) {
  auto ex = Executor::create(Executable(gemmProgram({1, 2, 3, 4, false, false, 1, 0})));
  ASSERT_TRUE(ex.isOk());
  Status st = (*ex)->setParameter("W", randomTensor({1, 2, 4}, 1));
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_NE(st.message().find("no parameter named 'W' (known: A, B)"), std::string::npos)
      << st.message();
  st = (*ex)->setInput("A", randomTensor({1, 2, 4}, 1));
  EXPECT_EQ(st.code(), StatusCode::kNotFound) << "A is a parameter, not an input";
}

TEST(RuntimeGemm, RunWithMissingParameterIsFailedPrecondition) {
  auto ex = Executor::create(Executable(gemmProgram({1, 2, 3, 4, false, false, 1, 0})));
  ASSERT_TRUE(ex.isOk());
  Executor &e = **ex;
  ASSERT_TRUE(e.setParameter("A", randomTensor({1, 2, 4}, 1)).isOk());
  ASSERT_TRUE(e.setInput("C", randomTensor({1, 2, 3}, 1)).isOk());
  Status st = e.run();
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("parameter 'B'"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("setParameter"), std::string::npos) << st.message();
  EXPECT_EQ(e.output(0).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(e.output(3).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(e.output("D").status().code(), StatusCode::kNotFound);
}

TEST(RuntimeGemm, CreateRejectsInvalidExecutable) {
  proto::Executable exe = gemmProgram({1, 2, 3, 4, false, false, 1, 0});
  exe.mutable_steps(0)->mutable_gemm()->set_m(3);
  auto ex = Executor::create(Executable(exe));
  EXPECT_EQ(ex.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(ex.status().message().find("step 0"), std::string::npos) << ex.status().message();
}

} // namespace
