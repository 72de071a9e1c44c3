//===- E2ETestUtil.h - helpers of the end-to-end tests ----------*- C++ -*-===//
//
// This file implements the helpers the end-to-end tests share: compile a DSL
// program for the CPU, draw parameters and inputs, run it through the runtime
// and evaluate the same function with the double-precision reference
// evaluator, then compare with a stated tolerance.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TESTS_E2E_E2ETESTUTIL_H
#define WEFT_TESTS_E2E_E2ETESTUTIL_H

#include "compiler/Compile.h"
#include "frontend/Program.h"
#include "ir/evaluator/ReferenceEvaluator.h"
#include "runtime/Executor.h"
#include "models/catalog/ParamInit.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

namespace weft::test {

/// A per-test cache folder, so tests never see each other's cache entries.
inline std::string freshCacheDir(const std::string &name) {
  std::string dir = ::testing::TempDir() + "weft-cache-" + name + "-" +
                    std::to_string(::getpid());
  std::string cmd = "rm -rf '" + dir + "'";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  return dir;
}

inline RefTensor toRef(const rt::HostTensor &t) {
  RefTensor r;
  r.shape = t.shape;
  r.data.resize(t.numElements());
  for (int64_t i = 0; i < t.numElements(); ++i) {
    switch (t.dtype) {
    case weft::proto::F32: r.data[i] = t.data<float>()[i]; break;
    case weft::proto::I64: r.data[i] = double(t.data<int64_t>()[i]); break;
    case weft::proto::I32: r.data[i] = t.data<int32_t>()[i]; break;
    case weft::proto::I8: r.data[i] = t.data<int8_t>()[i]; break;
    default: ADD_FAILURE() << "unsupported dtype in toRef"; return r;
    }
  }
  return r;
}

/// Compiled outputs against reference outputs: |got - want| <= atol + rtol*|want|.
/// Returns the largest error seen relative to the allowance (<= 1 passes).
inline double expectClose(const rt::HostTensor &got, const RefTensor &want,
                          double atol, double rtol, const std::string &what) {
  EXPECT_EQ(got.shape, want.shape) << what;
  if (got.shape != want.shape)
    return INFINITY;
  RefTensor g = toRef(got);
  double worst = 0;
  int64_t bad = 0;
  for (size_t i = 0; i < g.data.size(); ++i) {
    double allowed = atol + rtol * std::fabs(want.data[i]);
    double err = std::fabs(g.data[i] - want.data[i]);
    if (!(err <= allowed) && bad++ < 5)
      ADD_FAILURE() << what << "[" << i << "]: got " << g.data[i] << ", want "
                    << want.data[i] << " (allowed " << allowed << ")";
    worst = std::max(worst, err / allowed);
  }
  EXPECT_EQ(bad, 0) << what << ": " << bad << " of " << g.data.size()
                    << " elements outside tolerance";
  return worst;
}

/// Runs `program` compiled for the CPU and through the reference evaluator on
/// the same random parameters and inputs; checks every output.
inline void compareCompiledWithReference(Program &program, uint64_t seed,
                                         double atol, double rtol,
                                         int64_t tokenRange = 0) {
  mlir::ModuleOp module = program.module();
  CompileOptions options;
  options.useCache = false;
  CompileResult compiled = compile(module, options);
  ASSERT_TRUE(compiled.executable.has_value());
  auto executor = rt::Executor::create(*compiled.executable);
  ASSERT_TRUE(executor.isOk()) << executor.status().toString();

  auto func = *module.getOps<mlir::func::FuncOp>().begin();
  std::vector<RefTensor> args;
  std::mt19937_64 rng(seed);
  size_t nextParam = 0;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    auto type = mlir::cast<mlir::RankedTensorType>(func.getArgument(i).getType());
    if (auto name = func.getArgAttrOfType<mlir::StringAttr>(i, "weft.param")) {
      const ParamSpec &spec = program.params().at(nextParam++);
      ASSERT_EQ(spec.name, name.getValue().str());
      rt::HostTensor value = initialValue(spec, seed);
      ASSERT_TRUE((*executor)->setParameter(spec.name, value).isOk());
      args.push_back(toRef(value));
      continue;
    }
    auto name = func.getArgAttrOfType<mlir::StringAttr>(i, "weft.input");
    ASSERT_TRUE(name) << "argument " << i << " is neither param nor input";
    RefTensor ref = tokenRange > 0 && type.getElementType().isInteger(64)
                        ? randomTensor(type, rng(), 0, double(tokenRange))
                        : randomTensor(type, rng(), -1.0, 1.0);
    rt::HostTensor host(type.getElementType().isInteger(64) ? weft::proto::I64
                                                             : weft::proto::F32,
                        ref.shape);
    for (int64_t e = 0; e < ref.numElements(); ++e) {
      if (host.dtype == weft::proto::I64) {
        host.data<int64_t>()[e] = int64_t(ref.data[e]);
      } else {
        host.data<float>()[e] = float(ref.data[e]);
        ref.data[e] = host.data<float>()[e]; // the evaluator sees the f32 value
      }
    }
    ASSERT_TRUE((*executor)->setInput(name.getValue().str(), host).isOk());
    args.push_back(ref);
  }
  rt::Status ran = (*executor)->run();
  ASSERT_TRUE(ran.isOk()) << ran.toString();
  std::vector<RefTensor> want = evaluate(func, args);
  for (size_t o = 0; o < want.size(); ++o) {
    auto got = (*executor)->output(o);
    ASSERT_TRUE(got.isOk()) << got.status().toString();
    expectClose(*got, want[o], atol, rtol, "output " + std::to_string(o));
  }
}

} // namespace weft::test

#endif // WEFT_TESTS_E2E_E2ETESTUTIL_H
