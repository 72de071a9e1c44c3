//===- EvaluatorTestUtil.h - helpers for the evaluator tests ----*- C++ -*-===//
//
// This file implements the GoogleTest fixture shared by the reference
// evaluator tests: an MLIRContext with only the weft and func dialects, a
// parser for MLIR text that fails the test with the parser's diagnostics, and
// shorthands to build tensors and run a function.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TESTS_EVALUATOR_EVALUATORTESTUTIL_H
#define WEFT_TESTS_EVALUATOR_EVALUATORTESTUTIL_H

#include "ir/evaluator/ReferenceEvaluator.h"
#include "ir/WeftDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace weft::test {

/// Fixture: a context with weft + func registered and the last parsed module.
class Evaluator : public ::testing::Test {
protected:
  Evaluator() {
    mlir::DialectRegistry registry;
    registry.insert<weft::WeftDialect, mlir::func::FuncDialect>();
    ctx.appendDialectRegistry(registry);
    ctx.loadAllAvailableDialects();
  }

  /// Parses `src` (buffer name "test.mlir") and returns its first func.func;
  /// records a test failure with the diagnostics when it does not parse.
  mlir::func::FuncOp parse(const std::string &src) {
    std::string diagnostics;
    mlir::ScopedDiagnosticHandler handler(&ctx, [&](mlir::Diagnostic &d) {
      diagnostics += d.str() + "\n";
      return mlir::success();
    });
    module = mlir::parseSourceString<mlir::ModuleOp>(src, &ctx, "test.mlir");
    if (!module) {
      ADD_FAILURE() << "cannot parse:\n" << src << "\n" << diagnostics;
      return nullptr;
    }
    auto funcs = module->getOps<mlir::func::FuncOp>();
    if (funcs.empty()) {
      ADD_FAILURE() << "no func.func in:\n" << src;
      return nullptr;
    }
    return *funcs.begin();
  }

  /// Parses `src` and evaluates its first function on `args`.
  std::vector<RefTensor> run(const std::string &src,
                             const std::vector<RefTensor> &args) {
    mlir::func::FuncOp f = parse(src);
    if (!f)
      return {};
    return evaluate(f, args);
  }

  /// The message of the EvaluationError that evaluating `src` throws, or ""
  /// (with a test failure) when it does not throw.
  std::string errorOf(const std::string &src, const std::vector<RefTensor> &args) {
    mlir::func::FuncOp f = parse(src);
    if (!f)
      return "";
    try {
      evaluate(f, args);
    } catch (const EvaluationError &e) {
      return e.what();
    }
    ADD_FAILURE() << "expected an EvaluationError for:\n" << src;
    return "";
  }

  mlir::MLIRContext ctx;
  mlir::OwningOpRef<mlir::ModuleOp> module;
};

/// Succeeds when `text` contains `part`; the failure shows both.
inline ::testing::AssertionResult contains(const std::string &text,
                                           const std::string &part) {
  if (text.find(part) != std::string::npos)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "\"" << text << "\"\n does not contain \"" << part << "\"";
}

/// A tensor from its shape and row-major values.
inline RefTensor tensor(std::vector<int64_t> shape, std::vector<double> data) {
  return RefTensor{std::move(shape), std::move(data)};
}

} // namespace weft::test

#endif // WEFT_TESTS_EVALUATOR_EVALUATORTESTUTIL_H
