//===- InferencePrecisionTest.cpp - a forward program in bf16 and f16 -----===//
//
// This file tests CompileOptions::precision on the GPT-2 forward: compiled in
// bf16 and f16, the weights that only matmuls and gathers read (projections,
// biases, the tied embedding table, the position table) are held in the low
// type, once, and the rest (LayerNorm gains and biases) in f32; the runtime
// rounds f32 values into them (rt::setWeightFromF32); a forward of a few rows
// runs its low products on the small-M kernels (the route its profiled steps
// report); and the logits stay within the low
// type's error of the double-precision reference evaluator of the f32
// program. Tolerance (normwise, against the largest |logit|): each low matmul
// rounds its operands and result once (2^-9 relative for bf16, 2^-12 for
// f16), over 2 layers of ~6 rounded steps each and the LM head, mostly
// cancelling: measured 1.2-1.6 unit roundoffs (2^-8 bf16, 2^-11 f16) of the
// largest logit for both; we allow 4, 1.6% for bf16 and 0.2% for f16, while a
// weight held in the wrong type or read with the wrong layout moves the logits
// by O(1) of their magnitude.
//
//===----------------------------------------------------------------------===//

#include "tests/e2e/E2ETestUtil.h"
#include "models/Gpt2.h"
#include "runtime/MemoryNeeds.h"
#include "runtime/io/QuantizedWeights.h"
#include "tests/common/Gpt2TestModels.h"

#include <cmath>
#include <cstdio>

#include "llvm/ADT/STLExtras.h"

namespace weft {
namespace {

/// Compiles the GPT-2 forward of `batch` x `seq` tokens in f32, bf16 and
/// f16 and checks, for each: the parameters' dtypes and bytes, that the
/// tied table is read by the gather and the LM head only (no cast of it), the
/// logits against the reference evaluator, and the route of every low GEMM
/// step (`lowRoute` with %s for the dtype, e.g. "small-m %s"; "" for any).
void checkForward(int64_t batch, int64_t seq, const char *lowRoute) {
  models::Gpt2Config config = test::twoLayerGpt2Config();
  Program program = models::buildGpt2Forward(config, batch, seq);
  mlir::ModuleOp module = program.module();
  auto func = *module.getOps<mlir::func::FuncOp>().begin();

  // The f32 reference: weights and tokens drawn once.
  std::vector<rt::HostTensor> weights;
  std::vector<RefTensor> args;
  std::mt19937_64 rng(21);
  rt::HostTensor tokens(proto::I64, {batch, seq});
  for (const ParamSpec &spec : program.params())
    weights.push_back(initialValue(spec, 21));
  for (int64_t i = 0; i < tokens.numElements(); ++i)
    tokens.data<int64_t>()[i] = int64_t(rng() % uint64_t(config.vocab_size));
  size_t nextParam = 0;
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    args.push_back(func.getArgAttr(i, "weft.param") ? test::toRef(weights[nextParam++]) : test::toRef(tokens));
  RefTensor want = evaluate(func, args)[0];
  double scale = 0;
  for (double v : want.data)
    scale = std::max(scale, std::fabs(v));
  ASSERT_GT(scale, 0);

  for (const char *precision : {"f32", "bf16", "f16"}) {
    SCOPED_TRACE(precision);
    CompileOptions options;
    options.useCache = false;
    options.precision = precision;
    CompileResult compiled = compile(module, options);
    ASSERT_TRUE(compiled.executable.has_value());
    const proto::Executable &exe = compiled.executable->proto();
    proto::DType low = std::string(precision) == "bf16" ? proto::BF16
                       : std::string(precision) == "f16" ? proto::F16
                                                         : proto::F32;
    // Low: the projections, their biases and the embedding tables (the tied
    // wte read by the gather and the LM head, wpe by a gather); f32: the
    // LayerNorm gains and biases, which f32 math reads.
    uint64_t wantParameters = 0;
    int64_t wte = -1;
    for (int i = 0; i < exe.buffers_size(); ++i) {
      const proto::Buffer &b = exe.buffers(i);
      if (b.kind() != proto::PARAMETER)
        continue;
      bool lowParam = b.name().find(".attn.") != std::string::npos ||
                      b.name().find(".mlp.") != std::string::npos || b.name() == "wte.weight" ||
                      b.name() == "wpe.weight";
      proto::DType expected = lowParam ? low : proto::F32;
      EXPECT_EQ(b.dtype(), expected) << b.name();
      uint64_t elements = 1;
      for (int64_t d : b.shape())
        elements *= uint64_t(d);
      wantParameters += elements * rt::dtypeSize(expected);
      if (b.name() == "wte.weight")
        wte = i;
    }
    ASSERT_GE(wte, 0);
    // Each parameter held once, in its type (up to the arena's alignment):
    // the tied table is not also held, or cast per run, in another type.
    uint64_t parameters = rt::memoryNeeds(exe).parameters;
    EXPECT_GE(parameters, wantParameters);
    EXPECT_LT(parameters, wantParameters + 64 * uint64_t(exe.buffers_size()));
    int tableReaders = 0;
    for (const proto::Step &step : exe.steps()) {
      bool reads = step.has_gemm() ? step.gemm().b() == uint32_t(wte) || step.gemm().a() == uint32_t(wte)
                                   : step.has_kernel_call() &&
                                         llvm::is_contained(step.kernel_call().args(), uint32_t(wte));
      if (!reads)
        continue;
      ++tableReaders;
      EXPECT_TRUE(step.has_gemm() || step.label().rfind("weft.gather", 0) == 0)
          << "the tied table is read by '" << step.label() << "'";
    }
    EXPECT_EQ(tableReaders, 2) << "the gather and the LM head";

    auto executor = rt::Executor::create(*compiled.executable);
    ASSERT_TRUE(executor.isOk()) << executor.status().toString();
    for (size_t p = 0; p < weights.size(); ++p)
      ASSERT_TRUE(rt::setWeightFromF32(**executor, program.params()[p].name, weights[p]).isOk())
          << program.params()[p].name;
    ASSERT_TRUE((*executor)->setInput("tokens", tokens).isOk());
    (*executor)->setProfiling(true);
    rt::Status run = (*executor)->run();
    ASSERT_TRUE(run.isOk()) << run.toString();
    rt::StatusOr<rt::HostTensor> got = (*executor)->output(0);
    ASSERT_TRUE(got.isOk()) << got.status().toString();
    ASSERT_EQ(got->dtype, proto::F32) << "the logits are returned in f32";
    ASSERT_EQ(got->numElements(), int64_t(want.data.size()));
    double worst = 0;
    for (int64_t i = 0; i < got->numElements(); ++i)
      worst = std::max(worst, std::fabs(double(got->data<float>()[i]) - want.data[size_t(i)]));
    double unit = low == proto::BF16 ? std::ldexp(1.0, -8) : low == proto::F16 ? std::ldexp(1.0, -11)
                                                                               : std::ldexp(1.0, -20);
    std::printf("%s, %lld x %lld tokens: worst |logit error| %.3g of max |logit| %.3g (%.2f unit roundoffs)\n",
                precision, (long long)batch, (long long)seq, worst, scale, worst / scale / unit);
    EXPECT_LE(worst, 4 * unit * scale);

    if (low == proto::F32 || !*lowRoute)
      continue;
    char route[64];
    std::snprintf(route, sizeof route, lowRoute, rt::dtypeName(low));
    int lowGemms = 0;
    for (const rt::StepTime &t : (*executor)->stepTimes())
      if (t.kind == "gemm") {
        ++lowGemms;
        EXPECT_EQ(t.route, route) << t.label;
      }
    EXPECT_GT(lowGemms, 0);
  }
}

// 2 x 16 tokens: 32-row products (oneDNN for bf16, widened for f16).
TEST(InferencePrecision, Gpt2ForwardHoldsItsWeightsLowAndStaysClose) { checkForward(2, 16, ""); }

// One row of 4 tokens (a short prompt; a decode step is one): every product
// runs on the small-M kernels in the low type (runtime/cpu/Gemv.h), the
// projections and the LM head reading the bf16/f16 weights directly.
TEST(InferencePrecision, FewRowsRunTheSmallMKernelsInTheLowType) { checkForward(1, 4, "small-m %s"); }

TEST(InferencePrecision, RefusedWithTrainingOrInt8) {
  Program program = models::buildGpt2Forward(test::twoLayerGpt2Config(), 1, 4);
  CompileOptions options;
  options.useCache = false;
  options.precision = "bf16";
  options.quantize = "int8-weight";
  EXPECT_THROW(compile(program.module(), options), CompileError);
  options.quantize.clear();
  options.precision = "f8";
  try {
    compile(program.module(), options);
    ADD_FAILURE() << "an unknown precision compiled";
  } catch (const CompileError &e) {
    EXPECT_NE(std::string(e.what()).find("unknown precision 'f8'"), std::string::npos) << e.what();
  }
}

} // namespace
} // namespace weft
