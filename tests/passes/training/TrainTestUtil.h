//===- TrainTestUtil.h - helpers of the training-step tests -----*- C++ -*-===//
//
// This file implements the helpers the training-step tests share: a small
// MLP with a mean-squared-error loss (the layers of models/Mlp.cpp, plus a
// target input and the loss), random parameters and inputs that f32 holds
// exactly, the reference gradients (weft-autodiff evaluated by the
// double-precision reference evaluator), and binding all of it to an
// Executor of a compiled training step.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TESTS_TRAIN_TRAINTESTUTIL_H
#define WEFT_TESTS_TRAIN_TRAINTESTUTIL_H

#include "compiler/TrainStep.h"
#include "frontend/Ops.h"
#include "frontend/Program.h"
#include "frontend/nn/Linear.h"
#include "ir/evaluator/ReferenceEvaluator.h"
#include "passes/Passes.h"
#include "runtime/Executor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

namespace weft::train::test {

/// Values by name: parameters, inputs, gradients ("grad:<param>").
using Named = std::map<std::string, RefTensor>;

/// y = Linear(tanh(Linear(x))) ... over `widths`: the layers and parameter
/// names of models::buildMlp, with tanh between layers (smooth, so no
/// gradient is exactly zero), and loss = mean((y - t)^2).
inline void buildMlpLoss(Program &p, int batch, const std::vector<int> &widths) {
  Tensor x = p.input("x", {batch, widths.front()});
  Tensor t = p.input("t", {batch, widths.back()});
  for (size_t i = 0; i + 1 < widths.size(); ++i) {
    nn::Linear fc(p, "fc" + std::to_string(i), widths[i], widths[i + 1]);
    x = fc(x);
    if (i + 2 < widths.size())
      x = weft::tanh(x);
  }
  Tensor d = x - t;
  p.output("loss", reduce_mean(d * d, {0, 1}));
}

inline mlir::func::FuncOp mainOf(mlir::ModuleOp m) {
  return m.lookupSymbol<mlir::func::FuncOp>("main");
}

/// Random values for every weft.param and weft.input argument of `m`'s
/// @main, uniform in [-0.5, 0.5) (f32-exact); i64 inputs in [0, tokenRange).
inline Named randomArguments(mlir::ModuleOp m, uint64_t seed, int64_t tokenRange = 0) {
  Named values;
  mlir::func::FuncOp main = mainOf(m);
  for (unsigned i = 0; i < main.getNumArguments(); ++i) {
    auto type = mlir::cast<mlir::RankedTensorType>(main.getArgument(i).getType());
    auto name = main.getArgAttrOfType<mlir::StringAttr>(i, "weft.param");
    if (!name)
      name = main.getArgAttrOfType<mlir::StringAttr>(i, "weft.input");
    if (!name)
      continue;
    bool integer = type.getElementType().isInteger(64);
    values[name.str()] = integer ? randomTensor(type, seed + i, 0, double(tokenRange))
                                 : randomTensor(type, seed + i, -0.5, 0.5);
  }
  return values;
}

inline rt::HostTensor toHost(const RefTensor &r, weft::proto::DType dtype = weft::proto::F32) {
  rt::HostTensor h(dtype, r.shape);
  for (int64_t e = 0; e < r.numElements(); ++e) {
    if (dtype == weft::proto::I64)
      h.data<int64_t>()[e] = int64_t(r.data[e]);
    else
      h.data<float>()[e] = float(r.data[e]);
  }
  return h;
}

inline RefTensor toRef(const rt::HostTensor &h) {
  RefTensor r;
  r.shape = h.shape;
  for (int64_t e = 0; e < h.numElements(); ++e)
    r.data.push_back(h.data<float>()[e]);
  return r;
}

inline RefTensor scalarTensor(double v) { return RefTensor{{}, {v}}; }

/// Evaluates the forward module after weft-autodiff: the loss and every
/// "grad:<param>" output, by name, in double precision.
inline Named referenceGradients(mlir::ModuleOp forward, const Named &args) {
  mlir::OwningOpRef<mlir::ModuleOp> grads(forward.clone());
  mlir::PassManager pm(forward->getContext());
  pm.addPass(weft::createAutodiffPass());
  EXPECT_TRUE(mlir::succeeded(pm.run(*grads)));
  mlir::func::FuncOp main = mainOf(*grads);
  std::vector<RefTensor> in;
  for (unsigned i = 0; i < main.getNumArguments(); ++i) {
    auto name = main.getArgAttrOfType<mlir::StringAttr>(i, "weft.param");
    if (!name)
      name = main.getArgAttrOfType<mlir::StringAttr>(i, "weft.input");
    in.push_back(args.at(name.str()));
  }
  std::vector<RefTensor> out = evaluate(main, in);
  Named result;
  for (unsigned i = 0; i < main.getNumResults(); ++i)
    result[main.getResultAttrOfType<mlir::StringAttr>(i, "weft.output").str()] = out[i];
  return result;
}

/// Creates an Executor for `exe` and binds every parameter and input of the
/// forward program from `args` (integer inputs as i64).
inline std::unique_ptr<rt::Executor> bindAll(const rt::Executable &exe, mlir::ModuleOp forward,
                                             const Named &args) {
  auto created = rt::Executor::create(exe);
  EXPECT_TRUE(created.isOk()) << created.status().toString();
  if (!created.isOk())
    return nullptr;
  std::unique_ptr<rt::Executor> executor = std::move(created).value();
  mlir::func::FuncOp main = mainOf(forward);
  for (unsigned i = 0; i < main.getNumArguments(); ++i) {
    auto type = mlir::cast<mlir::RankedTensorType>(main.getArgument(i).getType());
    auto dtype = type.getElementType().isInteger(64) ? weft::proto::I64 : weft::proto::F32;
    if (auto p = main.getArgAttrOfType<mlir::StringAttr>(i, "weft.param")) {
      rt::Status s = executor->setParameter(p.str(), toHost(args.at(p.str()), dtype));
      EXPECT_TRUE(s.isOk()) << s.toString();
    } else if (auto in = main.getArgAttrOfType<mlir::StringAttr>(i, "weft.input")) {
      rt::Status s = executor->setInput(in.str(), toHost(args.at(in.str()), dtype));
      EXPECT_TRUE(s.isOk()) << s.toString();
    }
  }
  return executor;
}

/// Sets the scalar inputs "lr" and, when the step has one, "step".
inline void setSchedule(rt::Executor &e, double lr, int step) {
  rt::Status s = e.setInput("lr", toHost(scalarTensor(lr)));
  EXPECT_TRUE(s.isOk()) << s.toString();
  for (const std::string &name : e.inputNames())
    if (name == "step") {
      s = e.setInput("step", toHost(scalarTensor(step)));
      EXPECT_TRUE(s.isOk()) << s.toString();
    }
}

/// |got - want| <= atol + rtol * |want| elementwise; returns the worst
/// error relative to that allowance (<= 1 passes).
inline double expectClose(const RefTensor &got, const RefTensor &want, double atol, double rtol,
                          const std::string &what) {
  EXPECT_EQ(got.shape, want.shape) << what;
  if (got.shape != want.shape)
    return INFINITY;
  double worst = 0;
  int bad = 0;
  for (size_t i = 0; i < got.data.size(); ++i) {
    double allowed = atol + rtol * std::fabs(want.data[i]);
    double err = std::fabs(got.data[i] - want.data[i]);
    if (!(err <= allowed) && bad++ < 5)
      ADD_FAILURE() << what << "[" << i << "]: got " << got.data[i] << ", want " << want.data[i]
                    << " (allowed " << allowed << ")";
    worst = std::max(worst, err / allowed);
  }
  return worst;
}

/// The names of the parameters of `forward`, in argument order.
inline std::vector<std::string> paramNames(mlir::ModuleOp forward) {
  std::vector<std::string> names;
  mlir::func::FuncOp main = mainOf(forward);
  for (unsigned i = 0; i < main.getNumArguments(); ++i)
    if (auto p = main.getArgAttrOfType<mlir::StringAttr>(i, "weft.param"))
      names.push_back(p.str());
  return names;
}

/// Compile options for tests: no cache, so every test compiles what it says.
inline CompileOptions testCompileOptions() {
  CompileOptions options;
  options.useCache = false;
  return options;
}

} // namespace weft::train::test

#endif // WEFT_TESTS_TRAIN_TRAINTESTUTIL_H
