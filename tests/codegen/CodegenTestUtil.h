//===- CodegenTestUtil.h - compile, run and compare weft programs -*- C++ -*-===//
//
// This file implements the fixture of the CPU code generator tests: it parses
// a weft program from MLIR text, draws fresh random arguments, evaluates the
// program with the double-precision reference evaluator, compiles it with
// compileForCpu, runs it with the runtime's Executor, and compares every
// output element with a stated tolerance (|got - want| <= atol + rtol |want|).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TESTS_CODEGEN_CODEGENTESTUTIL_H
#define WEFT_TESTS_CODEGEN_CODEGENTESTUTIL_H

#include "codegen/cpu/CpuCodegen.h"
#include "ir/evaluator/ReferenceEvaluator.h"
#include "ir/WeftDialect.h"
#include "runtime/Executor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/APFloat.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace weft::test {

/// "7x33xf32"-style text for a tensor type: tensorType({7, 33}, "f32").
inline std::string tensorType(const std::vector<int64_t> &shape, const std::string &et) {
  std::string s = "tensor<";
  for (int64_t d : shape)
    s += std::to_string(d) + "x";
  return s + et + ">";
}

/// Unit roundoff (half an ulp at 1) of an element type, 0 for integers.
inline double unitRoundoff(mlir::Type t) {
  if (t.isF32()) return std::ldexp(1.0, -24);
  if (t.isF16()) return std::ldexp(1.0, -11);
  if (t.isBF16()) return std::ldexp(1.0, -8);
  return 0.0;
}

/// How close compiled results must be to the reference.
struct Tolerance {
  double atol = 0;
  double rtol = 0;
};

/// The range random values of one argument are drawn from.
struct Range {
  double lo = -1.0, hi = 1.0;
};

/// Random values for every argument of `main`: argument i is drawn with seed
/// `seed * seedStride + i` uniformly from ranges[i] (default [-1, 1)).
std::vector<RefTensor> randomArguments(mlir::func::FuncOp main, uint64_t seed,
                                       const std::vector<Range> &ranges,
                                       uint64_t seedStride = 131);

proto::DType dtypeOf(mlir::Type t);

/// A RefTensor (exact doubles) in the element layout of `t`.
rt::HostTensor toHost(const RefTensor &ref, mlir::RankedTensorType t);
/// Element values of a HostTensor as doubles.
std::vector<double> fromHost(const rt::HostTensor &h);

/// Fixture with a context holding the weft and func dialects.
class CodegenTest : public ::testing::Test {
protected:
  CodegenTest();

  /// Parses `src`; fails the test with the diagnostics when it does not parse.
  mlir::OwningOpRef<mlir::ModuleOp> parse(const std::string &src);

  /// Compiles `module`; on failure returns std::nullopt and the diagnostics
  /// in `diagnostics`.
  std::optional<proto::Executable> compile(mlir::ModuleOp module,
                                           const codegen::CpuCodegenOptions &options,
                                           std::string *diagnostics = nullptr);

  /// Parses `src`, draws arguments (seeded by `seed`, ranges per argument,
  /// default [-1, 1)), evaluates and compiles it, runs it and compares output
  /// i with tols[i] (or tols[0] for all when only one is given); rtol is at
  /// least two roundings of the output's element type.
  void check(const std::string &src, uint64_t seed, const std::vector<Tolerance> &tols,
             const std::vector<Range> &ranges = {},
             const codegen::CpuCodegenOptions &options = {});

  mlir::MLIRContext ctx;
  /// When set, check() applies it to the module after evaluating it and
  /// before compiling it (graph passes under test: the reference evaluates
  /// the program as written).
  std::function<void(mlir::ModuleOp)> beforeCompile;
};

} // namespace weft::test

#endif // WEFT_TESTS_CODEGEN_CODEGENTESTUTIL_H
