//===- KernelTimer.cpp - timing one small compiled program ----------------===//
//
// This file implements timeProgram and the programs `weft calibrate` times
// (KernelTimer.h): build with the DSL, compile with weft::compile, create an
// Executor, set random inputs once, then warm-up and timed runs of
// Executor::run with a steady clock.
//
//===----------------------------------------------------------------------===//

#include "tools/weft/KernelTimer.h"

#include "tools/weft/Check.h"

#include "compiler/Compile.h"
#include "cost/Calibration.h"
#include "frontend/Ops.h"
#include "frontend/Program.h"
#include "runtime/Executor.h"
#include "runtime/comm/ShardedBuffer.h"

#include "mlir/IR/BuiltinOps.h"

#include <chrono>
#include <cstring>
#include <random>
#include <stdexcept>

namespace weft::cli {
namespace {

/// Fills `t` with values in [-1, 1): f32 directly, bf16 as the top half of
/// an f32, f16 with exponents for magnitudes in [1/8, 1).
void fillRandom(rt::HostTensor &t, const std::string &what, const std::string &input) {
  std::mt19937 rng(12345);
  std::uniform_real_distribution<float> uniform(-1.f, 1.f);
  int64_t n = t.numElements();
  switch (t.dtype) {
  case proto::F32: {
    // A short random block repeated: drawing a 256 MiB buffer element by
    // element would take longer than the measurement.
    float *p = t.data<float>();
    int64_t block = std::min<int64_t>(n, 4096);
    for (int64_t i = 0; i < block; ++i)
      p[i] = uniform(rng);
    for (int64_t i = block; i < n; i += block)
      std::memcpy(p + i, p, sizeof(float) * size_t(std::min(block, n - i)));
    return;
  }
  case proto::BF16: {
    uint16_t *p = t.data<uint16_t>();
    for (int64_t i = 0; i < n; ++i) {
      float f = uniform(rng);
      uint32_t bits;
      std::memcpy(&bits, &f, sizeof bits);
      p[i] = uint16_t(bits >> 16);
    }
    return;
  }
  case proto::F16: {
    uint16_t *p = t.data<uint16_t>();
    for (int64_t i = 0; i < n; ++i)
      p[i] = uint16_t((rng() & 0x8000u) | ((12u + rng() % 3u) << 10) | (rng() & 0x3ffu));
    return;
  }
  default:
    throw std::runtime_error(what + ": input '" + input + "' has dtype " + rt::dtypeName(t.dtype) +
                             "; the calibration programs take f32, bf16 and f16 inputs");
  }
}

void barrier(rt::Communicator *group, const std::string &what) {
  if (group)
    check(group->barrier(what));
}

} // namespace

KernelTiming timeProgram(const std::string &what, const std::function<void(Program &)> &build,
                         const TimingPlan &plan, rt::Communicator *group) {
  Program program("main");
  build(program);
  CompileOptions options; // the CPU, through the compile cache
  CompileResult compiled = compile(program.module(), options);
  if (!compiled.executable)
    throw std::runtime_error(what + ": the compile produced no executable");
  proto::Executable proto = compiled.executable->proto();
  auto executor = check(rt::Executor::create(std::move(*compiled.executable)));
  for (const auto &b : proto.buffers()) {
    if (b.kind() != proto::INPUT)
      continue;
    rt::HostTensor t(b.dtype(), rt::wholeShapeOf(b));
    fillRandom(t, what, b.name());
    check(executor->setInput(b.name(), t));
  }

  KernelTiming timing;
  timing.compileSeconds = compiled.seconds;
  timing.cacheHit = compiled.cacheHit;
  for (int i = 0; i < plan.warmup; ++i) {
    barrier(group, what);
    check(executor->run());
  }
  std::vector<double> seconds;
  executor->setProfiling(plan.stepsOnly);
  for (int i = 0; i < plan.runs; ++i) {
    barrier(group, what);
    auto t0 = std::chrono::steady_clock::now();
    double stepSeconds = 0, elapsed = 0;
    int count = 0;
    do { // one run, or runs back to back for plan.sustainSeconds
      check(executor->run());
      ++count;
      if (plan.stepsOnly) // the steps alone, as `calibrate --check` times a model's
        for (const rt::StepTime &s : executor->stepTimes())
          stepSeconds += s.microseconds * 1e-6;
      elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    } while (elapsed < plan.sustainSeconds);
    seconds.push_back((plan.stepsOnly ? stepSeconds : elapsed) / count);
  }
  timing.seconds = cost::median(seconds);
  timing.samples = seconds;
  timing.runs = plan.runs;
  return timing;
}

KernelTiming timeMatmul(int64_t m, int64_t n, int64_t k, DType dtype, const TimingPlan &plan,
                        rt::Communicator *group, int copies) {
  std::string what = std::string(dtypeName(dtype)) + " matmul " + std::to_string(m) + "x" +
                     std::to_string(k) + " by " + std::to_string(k) + "x" + std::to_string(n);
  if (copies > 1)
    what += " (" + std::to_string(copies) + " copies)";
  KernelTiming t = timeProgram(
      what,
      [&](Program &p) {
        for (int i = 0; i < copies; ++i) {
          std::string at = copies > 1 ? std::to_string(i) : "";
          Tensor a = p.input("a" + at, {m, k}, dtype), b = p.input("b" + at, {k, n}, dtype);
          p.output("c" + at, matmul(a, b));
        }
      },
      plan, group);
  for (double &s : t.samples)
    s /= copies;
  t.seconds /= copies;
  return t;
}

KernelTiming timeStreaming(int64_t elements, const TimingPlan &plan, rt::Communicator *group) {
  return timeProgram(
      "streaming y = -x over " + std::to_string(elements) + " f32",
      [&](Program &p) { p.output("y", neg(p.input("x", {elements}))); }, plan, group);
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

} // namespace

KernelTiming timeElementFunction(std::optional<cost::ElementFunction> f, int64_t elements, const TimingPlan &plan,
                                 rt::Communicator *group) {
  return timeProgram(
      std::string("x * ") + (f ? std::string(cost::elementFunctionName(*f)) + "(x)" : "x") + " over " +
          std::to_string(elements) + " f32",
      [&](Program &p) {
        Tensor x = p.input("x", {elements});
        p.output("y", mul(x, f ? applyFunction(*f, x) : x));
      },
      plan, group);
}

KernelTiming timeLinear(int64_t rows, int64_t k, int64_t n, std::optional<cost::ElementFunction> activation,
                        const TimingPlan &plan, rt::Communicator *group) {
  std::string what = std::string(activation ? cost::elementFunctionName(*activation) : "no") +
                     "-activation linear " + std::to_string(rows) + "x" + std::to_string(k) + " by " +
                     std::to_string(k) + "x" + std::to_string(n);
  return timeProgram(
      what,
      [&](Program &p) {
        Tensor y = add(matmul(p.input("x", {rows, k}), p.input("w", {k, n})), p.input("b", {n}));
        p.output("y", activation ? applyFunction(*activation, y) : y);
      },
      plan, group);
}

KernelTiming timeSoftmax(int64_t rows, int64_t cols, const TimingPlan &plan, rt::Communicator *group) {
  return timeProgram(
      "softmax over " + std::to_string(rows) + "x" + std::to_string(cols) + " f32",
      [&](Program &p) { p.output("y", softmax(p.input("x", {rows, cols}))); }, plan, group);
}

KernelTiming timeTinyProgram(int64_t elements, const TimingPlan &plan, rt::Communicator *group) {
  return timeProgram(
      "tiny program y = x + x over " + std::to_string(elements) + " f32",
      [&](Program &p) {
        Tensor x = p.input("x", {elements});
        p.output("y", add(x, x));
      },
      plan, group);
}

} // namespace weft::cli
