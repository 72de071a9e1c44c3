//===- KernelTimer.cpp - compiling and timing one small program -----------===//
//
// This file implements the calibration programs' builders (KernelTimer.h),
// compileProgram (the DSL program through weft::compile for a target) and
// timeProgram (that, then calibrate::timeExecutable).
//
//===----------------------------------------------------------------------===//

#include "tools/weft/KernelTimer.h"

#include "tools/weft/Check.h"

#include "compiler/Compile.h"
#include "frontend/Ops.h"
#include "frontend/Program.h"

#include "mlir/IR/BuiltinOps.h"

#include <stdexcept>

namespace weft::cli {

rt::Executable compileProgram(const std::string &what, const std::function<void(Program &)> &build,
                              const std::string &target, KernelTiming *timing) {
  Program program("main");
  build(program);
  CompileOptions options; // through the compile cache
  options.target = target;
  CompileResult compiled = compile(program.module(), options);
  if (!compiled.executable)
    throw std::runtime_error(what + ": the compile for " + target + " produced no executable");
  if (timing) {
    timing->compileSeconds = compiled.seconds;
    timing->cacheHit = compiled.cacheHit;
  }
  return std::move(*compiled.executable);
}

KernelTiming timeProgram(const std::string &what, const std::function<void(Program &)> &build,
                         const TimingPlan &plan, rt::Communicator *group) {
  KernelTiming compiled;
  rt::Executable exe = compileProgram(what, build, "cpu", &compiled);
  KernelTiming timing = check(calibrate::timeExecutable(what, std::move(exe), plan, group));
  timing.compileSeconds = compiled.compileSeconds;
  timing.cacheHit = compiled.cacheHit;
  return timing;
}

namespace {

/// f(x) in the DSL.
Tensor applyFunction(cost::ElementFunction f, const Tensor &x) {
  using F = cost::ElementFunction;
  switch (f) {
  case F::Exp:
    return exp(x);
  case F::Tanh:
    return tanh(x);
  case F::Sigmoid:
    return sigmoid(x);
  case F::Gelu:
    return gelu(x);
  case F::GeluTanh:
    return gelu_tanh(x);
  case F::FastGelu:
    return fast_gelu(x);
  case F::Log:
    break;
  }
  throw std::logic_error("calibration: log is not timed (its inputs would need to be positive)");
}

DType frontendDType(rt::DType t) {
  switch (t) {
  case proto::F32:
    return DType::F32;
  case proto::BF16:
    return DType::BF16;
  case proto::F16:
    return DType::F16;
  default:
    throw std::logic_error(std::string("calibration: no matmul probe of dtype ") + rt::dtypeName(t));
  }
}

std::string matmulName(int64_t m, int64_t n, int64_t k, DType dtype, int copies) {
  std::string what = std::string(dtypeName(dtype)) + " matmul " + std::to_string(m) + "x" + std::to_string(k) +
                     " by " + std::to_string(k) + "x" + std::to_string(n);
  return copies > 1 ? what + " (" + std::to_string(copies) + " copies)" : what;
}

} // namespace

void buildMatmul(Program &p, int64_t m, int64_t n, int64_t k, DType dtype, int copies) {
  for (int i = 0; i < copies; ++i) {
    std::string at = copies > 1 ? std::to_string(i) : "";
    Tensor a = p.input("a" + at, {m, k}, dtype), b = p.input("b" + at, {k, n}, dtype);
    p.output("c" + at, matmul(a, b));
  }
}

void buildNegate(Program &p, int64_t elements) { p.output("y", neg(p.input("x", {elements}))); }

void buildDouble(Program &p, int64_t elements, int copies) {
  for (int i = 0; i < copies; ++i) {
    std::string at = copies > 1 ? std::to_string(i) : "";
    Tensor x = p.input("x" + at, {elements});
    p.output("y" + at, add(x, x));
  }
}

void buildElementFunction(Program &p, std::optional<cost::ElementFunction> f, int64_t elements) {
  Tensor x = p.input("x", {elements});
  p.output("y", mul(x, f ? applyFunction(*f, x) : x));
}

void buildLinear(Program &p, int64_t rows, int64_t k, int64_t n, std::optional<cost::ElementFunction> activation) {
  Tensor y = add(matmul(p.input("x", {rows, k}), p.input("w", {k, n})), p.input("b", {n}));
  p.output("y", activation ? applyFunction(*activation, y) : y);
}

void buildSoftmax(Program &p, int64_t rows, int64_t cols) { p.output("y", softmax(p.input("x", {rows, cols}))); }

void buildProbe(Program &p, const calibrate::Probe &probe) {
  using calibrate::ProbeProgram;
  switch (probe.program) {
  case ProbeProgram::Matmul:
    return buildMatmul(p, probe.m, probe.n, probe.k, frontendDType(probe.dtype), probe.copies);
  case ProbeProgram::Negate:
    return buildNegate(p, probe.elements);
  case ProbeProgram::Double:
    return buildDouble(p, probe.elements, probe.copies);
  case ProbeProgram::ElementFunction:
    return buildElementFunction(p, probe.function, probe.elements);
  case ProbeProgram::Linear:
    return buildLinear(p, probe.m, probe.k, probe.n, probe.function);
  case ProbeProgram::Softmax:
    return buildSoftmax(p, probe.m, probe.n);
  }
}

KernelTiming timeMatmul(int64_t m, int64_t n, int64_t k, DType dtype, const TimingPlan &plan,
                        rt::Communicator *group, int copies) {
  KernelTiming t = timeProgram(
      matmulName(m, n, k, dtype, copies), [&](Program &p) { buildMatmul(p, m, n, k, dtype, copies); }, plan, group);
  for (double &s : t.samples)
    s /= copies;
  t.seconds /= copies;
  return t;
}

KernelTiming timeStreaming(int64_t elements, const TimingPlan &plan, rt::Communicator *group) {
  return timeProgram(
      "streaming y = -x over " + std::to_string(elements) + " f32", [&](Program &p) { buildNegate(p, elements); },
      plan, group);
}

KernelTiming timeElementFunction(std::optional<cost::ElementFunction> f, int64_t elements, const TimingPlan &plan,
                                 rt::Communicator *group) {
  return timeProgram(std::string("x * ") + (f ? std::string(cost::elementFunctionName(*f)) + "(x)" : "x") +
                         " over " + std::to_string(elements) + " f32",
                     [&](Program &p) { buildElementFunction(p, f, elements); }, plan, group);
}

KernelTiming timeLinear(int64_t rows, int64_t k, int64_t n, std::optional<cost::ElementFunction> activation,
                        const TimingPlan &plan, rt::Communicator *group) {
  std::string what = std::string(activation ? cost::elementFunctionName(*activation) : "no") +
                     "-activation linear " + std::to_string(rows) + "x" + std::to_string(k) + " by " +
                     std::to_string(k) + "x" + std::to_string(n);
  return timeProgram(what, [&](Program &p) { buildLinear(p, rows, k, n, activation); }, plan, group);
}

KernelTiming timeSoftmax(int64_t rows, int64_t cols, const TimingPlan &plan, rt::Communicator *group) {
  return timeProgram(
      "softmax over " + std::to_string(rows) + "x" + std::to_string(cols) + " f32",
      [&](Program &p) { buildSoftmax(p, rows, cols); }, plan, group);
}

KernelTiming timeTinyProgram(int64_t elements, const TimingPlan &plan, rt::Communicator *group) {
  return timeProgram(
      "tiny program y = x + x over " + std::to_string(elements) + " f32", [&](Program &p) { buildDouble(p, elements); },
      plan, group);
}

} // namespace weft::cli
