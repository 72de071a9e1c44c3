//===- QuantizedRun.h - run a quantized model program on the CPU -*- C++ -*-===//
//
// This file implements runQuantized, shared by the tests of int8 weights on
// the CPU and CUDA targets: it binds a model program's seeded f32 weights
// to a compiled Executable (quantized into its int8 pairs on the host,
// rt::setWeightFromF32), draws its token ids, runs it on the CPU and returns
// what the run held: every parameter as the program stores it (int8 pairs,
// f32 rest), the tokens and the logits.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TESTS_COMMON_QUANTIZEDRUN_H
#define WEFT_TESTS_COMMON_QUANTIZEDRUN_H

#include "frontend/Program.h"
#include "models/catalog/ParamInit.h"
#include "runtime/Executor.h"
#include "runtime/io/QuantizedWeights.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

namespace weft::test {

/// What one run of a quantized program held.
struct QuantizedRun {
  std::vector<std::pair<std::string, rt::HostTensor>> params; ///< as stored
  std::pair<std::string, rt::HostTensor> tokens;              ///< the input
  rt::HostTensor logits;                                      ///< output 0
};

/// Runs `exe` (compiled from `program`, target cpu) on the weights
/// initialValue(spec, seed) and tokens drawn below `vocab` with `seed`.
inline void runQuantized(const rt::Executable &exe, Program &program, uint64_t seed, int64_t vocab,
                         QuantizedRun &out) {
  auto executor = rt::Executor::create(exe);
  ASSERT_TRUE(executor.isOk()) << executor.status().toString();
  rt::Executor &ex = **executor;
  for (const ParamSpec &spec : program.params()) {
    rt::Status s = rt::setWeightFromF32(ex, spec.name, initialValue(spec, seed));
    ASSERT_TRUE(s.isOk()) << spec.name << ": " << s.toString();
  }
  auto func = *program.module().getOps<mlir::func::FuncOp>().begin();
  std::mt19937_64 rng(seed);
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    auto name = func.getArgAttrOfType<mlir::StringAttr>(i, "weft.input");
    if (!name)
      continue;
    auto type = mlir::cast<mlir::RankedTensorType>(func.getArgument(i).getType());
    rt::HostTensor tokens(proto::I64, std::vector<int64_t>(type.getShape().begin(), type.getShape().end()));
    for (int64_t e = 0; e < tokens.numElements(); ++e)
      tokens.data<int64_t>()[e] = int64_t(rng() % uint64_t(vocab));
    ASSERT_TRUE(ex.setInput(name.str(), tokens).isOk());
    out.tokens = {name.str(), tokens};
  }
  rt::Status ran = ex.run();
  ASSERT_TRUE(ran.isOk()) << ran.toString();
  auto logits = ex.output(0);
  ASSERT_TRUE(logits.isOk()) << logits.status().toString();
  out.logits = *logits;
  out.params.clear();
  for (const std::string &name : ex.parameterNames()) {
    auto value = ex.parameter(name);
    ASSERT_TRUE(value.isOk()) << value.status().toString();
    out.params.emplace_back(name, *value);
  }
}

/// max |a - b| / max |b| over two f32 tensors of one shape (normwise).
inline double normwiseDifference(const rt::HostTensor &a, const rt::HostTensor &b) {
  EXPECT_EQ(a.shape, b.shape);
  double most = 0, scale = 0;
  for (int64_t i = 0; i < a.numElements() && a.shape == b.shape; ++i) {
    most = std::max(most, double(std::fabs(a.data<float>()[i] - b.data<float>()[i])));
    scale = std::max(scale, double(std::fabs(b.data<float>()[i])));
  }
  return scale > 0 ? most / scale : most;
}

/// How many parameter buffers of `exe` hold int8, and their bytes.
inline std::pair<int, uint64_t> int8Parameters(const proto::Executable &exe) {
  std::pair<int, uint64_t> count{0, 0};
  for (const proto::Buffer &b : exe.buffers())
    if (b.kind() == proto::PARAMETER && b.dtype() == proto::I8) {
      ++count.first;
      count.second += b.byte_size();
    }
  return count;
}

} // namespace weft::test

#endif // WEFT_TESTS_COMMON_QUANTIZEDRUN_H
