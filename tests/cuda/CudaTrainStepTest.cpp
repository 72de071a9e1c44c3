//===- CudaTrainStepTest.cpp - GPT-2 training steps compiled for CUDA -----===//
//
// This file tests the GPT-2 training step (forward, backward, optimizer; f32
// and bf16 mixed precision) through the CUDA code generator where no GPU is
// needed: the Executable validates, its cubin defines every launch, every
// parameter and optimizer state is updated in place (an OUTPUT whose
// `updates` is that buffer), and the contractions are cuBLASLt GEMMs of the
// compute precision. Each step is also run once on the CPU back end and
// written as a case bundle (WEFT_CUDA_CASES_OUT) whose expected outputs are
// the CPU's; WeftCudaRuntimeTests runs it on a GPU machine, and here, with a
// GPU, it runs at once.
//
// Tolerances (GPU against the CPU back end after one step; both compute in
// f32 or both in bf16, with different summation orders and exp/log/tanh
// implementations: libdevice there, polynomials here, ~1e-6 relative):
//  - f32, SGD with momentum (linear in the gradient): loss, gradients,
//    momentum and new weights atol 1e-4 + rtol 1e-3 (the CPU end-to-end
//    tests see ~1e-5 between the CPU and the double-precision evaluator);
//  - bf16 with AdamW: one rounding of an intermediate to bf16 (2^-8 relative) can
//    differ between the two summation orders and propagate, so the loss gets
//    rtol 2e-2 and every other output atol 5% of its largest CPU magnitude
//    (a normwise check: it catches wrong data, not last-bit differences);
//    a new weight moves by lr * m / (sqrt(v) + eps) ~ lr * sign(g) on the
//    first step, which flips for gradients within rounding of zero, so
//    weights get at least atol 2.5 * lr.
//
//===----------------------------------------------------------------------===//

#include "compiler/Compile.h"
#include "compiler/TrainStep.h"
#include "frontend/Program.h"
#include "models/Gpt2.h"
#include "runtime/Executor.h"
#include "tests/cuda/CaseBundle.h"
#include "tests/cuda/CudaTestSupport.h"
#include "models/catalog/ParamInit.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

namespace weft::test {
namespace {

constexpr int kBatch = 2, kSeq = 16;
constexpr double kLr = 1e-2;

/// A training-step flavour: optimizer, precision and how its outputs compare.
struct Flavour {
  std::string name;
  TrainOptions train;
};

std::vector<Flavour> flavours() {
  Flavour sgd{"gpt2_train_sgd_f32", {}};
  sgd.train.optimizer = "sgd";
  sgd.train.momentum = 0.9;
  sgd.train.keepGradients = true;
  Flavour bf16{"gpt2_train_adamw_bf16", {}};
  bf16.train.precision = "bf16";
  return {sgd, bf16};
}

/// Random tokens and targets in [0, vocab).
rt::HostTensor randomTokens(uint64_t seed, int64_t vocab) {
  rt::HostTensor t(proto::I64, {kBatch, kSeq});
  std::mt19937_64 rng(seed);
  for (int64_t i = 0; i < t.numElements(); ++i)
    t.data<int64_t>()[i] = static_cast<int64_t>(rng() % static_cast<uint64_t>(vocab));
  return t;
}

rt::HostTensor scalar(float v) {
  rt::HostTensor t(proto::F32, {});
  t.data<float>()[0] = v;
  return t;
}

/// max |x| over an f32 tensor.
double maxMagnitude(const rt::HostTensor &t) {
  double m = 0;
  if (t.dtype != proto::F32)
    return m;
  for (int64_t i = 0; i < t.numElements(); ++i)
    m = std::max(m, std::fabs(double(t.data<float>()[i])));
  return m;
}

/// The tolerance of output `name` (see the file comment).
CaseTolerance toleranceFor(const Flavour &f, const std::string &name, const rt::HostTensor &cpu) {
  if (f.train.precision == "f32")
    return {1e-4, 1e-3};
  if (name == "loss")
    return {1e-3, 2e-2};
  bool isWeight = name.rfind("update:", 0) == 0 && name.find("adamw.") == std::string::npos;
  double normwise = 0.05 * maxMagnitude(cpu);
  return {isWeight ? std::max(normwise, 2.5 * kLr) : normwise, 0};
}

/// Checks that every PARAMETER and STATE buffer has an OUTPUT that updates
/// it in place (alias_of and updates both name it).
void expectInPlaceUpdates(const proto::Executable &exe) {
  std::set<uint32_t> owners, updated;
  for (const proto::Buffer &b : exe.buffers()) {
    if (b.kind() == proto::PARAMETER || b.kind() == proto::STATE)
      owners.insert(b.id());
    if (b.kind() == proto::OUTPUT && b.has_updates()) {
      EXPECT_TRUE(b.has_alias_of() && b.alias_of() == b.updates())
          << "update output '" << b.name() << "' does not alias the buffer it updates";
      updated.insert(b.updates());
    }
  }
  EXPECT_FALSE(owners.empty());
  EXPECT_EQ(owners, updated) << "some parameter or state is not updated in place";
}

TEST(CudaTrainStep, Gpt2StepsCompileForCudaAndMatchTheCpuStep) {
  models::Gpt2Config config = twoLayerGpt2Config();
  for (const Flavour &f : flavours()) {
    SCOPED_TRACE(f.name);
    Program program = models::buildGpt2TrainLoss(config, kBatch, kSeq);
    CompileOptions options;
    options.useCache = false;
    mlir::OwningOpRef<mlir::ModuleOp> step = buildTrainStep(program.module(), f.train, options);
    ASSERT_TRUE(step);

    options.target = "cuda";
    CompileResult cuda = compile(*step, options);
    ASSERT_TRUE(cuda.executable.has_value());
    const proto::Executable &cudaExe = cuda.executable->proto();
    expectValidCudaExecutable(cudaExe);
    expectInPlaceUpdates(cudaExe);
    proto::DType want = f.train.precision == "bf16" ? proto::BF16 : proto::F32;
    int gemms = 0;
    for (const proto::Step &s : cudaExe.steps())
      if (s.has_gemm()) {
        ++gemms;
        EXPECT_EQ(s.gemm().dtype(), want) << "gemm step '" << s.label() << "'";
      }
    // Per layer: 4 forward GEMMs (qkv, attention out, MLP up, MLP down) and
    // 8 for their gradients; plus the LM head and its two gradients.
    EXPECT_GE(gemms, config.n_layer * 12 + 3);

    options.target = "cpu";
    CompileResult cpu = compile(*step, options);
    ASSERT_TRUE(cpu.executable.has_value());
    auto cpuEx = rt::Executor::create(*cpu.executable);
    ASSERT_TRUE(cpuEx.isOk()) << cpuEx.status().toString();
    CaseData data;
    for (const ParamSpec &spec : program.params()) {
      rt::HostTensor value = initialValue(spec, 4321);
      ASSERT_TRUE((*cpuEx)->setParameter(spec.name, value).isOk()) << spec.name;
      data.params.push_back({spec.name, value});
    }
    std::map<std::string, rt::HostTensor> inputs = {
        {"tokens", randomTokens(11, config.vocab_size)},
        {"targets", randomTokens(12, config.vocab_size)},
        {"lr", scalar(float(kLr))},
        {"step", scalar(1.0f)}};
    for (const std::string &name : (*cpuEx)->inputNames()) {
      ASSERT_TRUE(inputs.count(name)) << "unexpected input '" << name << "'";
      ASSERT_TRUE((*cpuEx)->setInput(name, inputs.at(name)).isOk()) << name;
      data.inputs.push_back({name, inputs.at(name)});
    }
    ASSERT_TRUE((*cpuEx)->run().isOk());
    std::vector<std::string> names = (*cpuEx)->outputNames();
    ASSERT_EQ(names.size(), static_cast<size_t>(cudaExe.outputs_size()));
    for (size_t o = 0; o < names.size(); ++o) {
      rt::StatusOr<rt::HostTensor> got = (*cpuEx)->output(o);
      ASSERT_TRUE(got.isOk()) << got.status().toString();
      EXPECT_EQ(cudaExe.buffers(static_cast<int>(cudaExe.outputs(static_cast<int>(o)))).name(),
                names[o])
          << "the cuda and cpu steps order their outputs differently";
      data.want.push_back(*got);
      data.tolerances.push_back(toleranceFor(f, names[o], *got));
    }
    auto lossAt = std::find(names.begin(), names.end(), "loss");
    ASSERT_NE(lossAt, names.end());
    float loss = data.want[static_cast<size_t>(lossAt - names.begin())].data<float>()[0];
    EXPECT_TRUE(std::isfinite(loss));
    EXPECT_NEAR(loss, std::log(double(config.vocab_size)), 0.5) << "near-uniform predictions";

    checkBundleWhereGpu(f.name, *cuda.executable, data);
  }
}

} // namespace
} // namespace weft::test
