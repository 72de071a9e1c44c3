//===- InferencePrecisionTest.cpp - a forward program in bf16 and f16 -----===//
//
// This file tests CompileOptions::precision on the GPT-2 forward: compiled in
// bf16 and f16, the weights that only matmuls read (projections, biases) are
// held in the low type and the rest (LayerNorm gains and biases, the
// embedding table that a gather reads) in f32; the runtime rounds f32 values
// into them (rt::setWeightFromF32); and the logits stay within the low
// type's error of the double-precision reference evaluator of the f32
// program. Tolerance (normwise, against the largest |logit|): each low matmul
// rounds its operands and result once (2^-9 relative for bf16, 2^-12 for
// f16), over 2 layers of ~6 rounded steps each and the LM head, mostly
// cancelling: measured 1.3 unit roundoffs (2^-8 bf16, 2^-11 f16) of the
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

namespace weft {
namespace {

TEST(InferencePrecision, Gpt2ForwardHoldsItsWeightsLowAndStaysClose) {
  models::Gpt2Config config = test::twoLayerGpt2Config();
  Program program = models::buildGpt2Forward(config, /*batch=*/2, /*seq=*/16);
  mlir::ModuleOp module = program.module();
  auto func = *module.getOps<mlir::func::FuncOp>().begin();

  // The f32 reference: weights and tokens drawn once.
  std::vector<rt::HostTensor> weights;
  std::vector<RefTensor> args;
  std::mt19937_64 rng(21);
  rt::HostTensor tokens(proto::I64, {2, 16});
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

  uint64_t f32Parameters = 0;
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
    for (const proto::Buffer &b : exe.buffers()) {
      if (b.kind() != proto::PARAMETER)
        continue;
      bool matmulOnly = b.name().find(".attn.") != std::string::npos ||
                        b.name().find(".mlp.") != std::string::npos;
      EXPECT_EQ(b.dtype(), matmulOnly ? low : proto::F32) << b.name();
    }
    uint64_t parameters = rt::memoryNeeds(exe).parameters;
    if (low == proto::F32)
      f32Parameters = parameters;
    else
      EXPECT_LT(parameters, f32Parameters * 3 / 4) << "the projections are held in two bytes";

    auto executor = rt::Executor::create(*compiled.executable);
    ASSERT_TRUE(executor.isOk()) << executor.status().toString();
    for (size_t p = 0; p < weights.size(); ++p)
      ASSERT_TRUE(rt::setWeightFromF32(**executor, program.params()[p].name, weights[p]).isOk())
          << program.params()[p].name;
    ASSERT_TRUE((*executor)->setInput("tokens", tokens).isOk());
    ASSERT_TRUE((*executor)->run().isOk());
    rt::StatusOr<rt::HostTensor> got = (*executor)->output(0);
    ASSERT_TRUE(got.isOk()) << got.status().toString();
    ASSERT_EQ(got->dtype, proto::F32) << "the logits are returned in f32";
    ASSERT_EQ(got->numElements(), int64_t(want.data.size()));
    double worst = 0;
    for (int64_t i = 0; i < got->numElements(); ++i)
      worst = std::max(worst, std::fabs(double(got->data<float>()[i]) - want.data[size_t(i)]));
    double unit = low == proto::BF16 ? std::ldexp(1.0, -8) : low == proto::F16 ? std::ldexp(1.0, -11)
                                                                               : std::ldexp(1.0, -20);
    std::printf("%s: worst |logit error| %.3g of max |logit| %.3g (%.2f unit roundoffs)\n", precision,
                worst, scale, worst / scale / unit);
    EXPECT_LE(worst, 4 * unit * scale);
  }
}

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
