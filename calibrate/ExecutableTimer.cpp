//===- ExecutableTimer.cpp - timing one compiled program on its device ----===//
//
// This file implements timeExecutable (ExecutableTimer.h): create an
// Executor, set random inputs once, then warm-up and timed runs of
// Executor::run with a steady clock (or the profiler's step times).
//
//===----------------------------------------------------------------------===//

#include "calibrate/ExecutableTimer.h"

#include "cost/Calibration.h"
#include "runtime/Executor.h"
#include "runtime/comm/ShardedBuffer.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <random>

namespace weft::calibrate {
namespace {

/// Fills `t` with values in [-1, 1): f32 directly, bf16 as the top half of
/// an f32, f16 with exponents for magnitudes in [1/8, 1). A random block of
/// 4096 values is drawn and repeated: drawing a GPU grid's 100M-element
/// operands one by one would take seconds each, longer than their timing.
rt::Status fillRandom(rt::HostTensor &t, const std::string &what, const std::string &input) {
  std::mt19937 rng(12345);
  std::uniform_real_distribution<float> uniform(-1.f, 1.f);
  const int64_t n = t.numElements(), block = std::min<int64_t>(n, 4096);
  const size_t size = rt::dtypeSize(t.dtype);
  uint8_t *bytes = t.bytes.data();
  for (int64_t i = 0; i < block; ++i) {
    float f = uniform(rng);
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    uint16_t half;
    switch (t.dtype) {
    case proto::F32:
      std::memcpy(bytes + 4 * i, &f, 4);
      continue;
    case proto::BF16:
      half = uint16_t(bits >> 16);
      break;
    case proto::F16:
      half = uint16_t((rng() & 0x8000u) | ((12u + rng() % 3u) << 10) | (rng() & 0x3ffu));
      break;
    default:
      return rt::invalidArgument(what + ": input '" + input + "' has dtype " + rt::dtypeName(t.dtype) +
                                 "; the calibration programs take f32, bf16 and f16 inputs");
    }
    std::memcpy(bytes + 2 * i, &half, 2);
  }
  for (int64_t i = block; i < n; i += block)
    std::memcpy(bytes + size * size_t(i), bytes, size * size_t(std::min(block, n - i)));
  return rt::Status::ok();
}

rt::Status barrier(rt::Communicator *group, const std::string &what) {
  return group ? group->barrier(what) : rt::Status::ok();
}

/// The seconds of one sample: a run (or runs back to back for
/// plan.sustainSeconds), its steps' sum when plan.stepsOnly.
rt::StatusOr<double> sample(rt::Executor &executor, const TimingPlan &plan) {
  auto t0 = std::chrono::steady_clock::now();
  double stepSeconds = 0, elapsed = 0;
  int count = 0;
  do {
    WEFT_RETURN_IF_ERROR(executor.run());
    ++count;
    if (plan.stepsOnly) // the steps alone, as `calibrate --check` times a model's
      for (const rt::StepTime &s : executor.stepTimes())
        stepSeconds += s.microseconds * 1e-6;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  } while (elapsed < plan.sustainSeconds);
  return (plan.stepsOnly ? stepSeconds : elapsed) / count;
}

} // namespace

rt::StatusOr<KernelTiming> timeExecutable(const std::string &what, rt::Executable exe, const TimingPlan &plan,
                                          rt::Communicator *group) {
  proto::Executable proto = exe.proto();
  rt::StatusOr<std::unique_ptr<rt::Executor>> created = rt::Executor::create(std::move(exe));
  if (!created.isOk())
    return rt::Status(created.status().code(), what + ": " + created.status().message());
  rt::Executor &executor = **created;
  for (const auto &b : proto.buffers()) {
    if (b.kind() != proto::INPUT)
      continue;
    rt::HostTensor t(b.dtype(), rt::wholeShapeOf(b));
    WEFT_RETURN_IF_ERROR(fillRandom(t, what, b.name()));
    WEFT_RETURN_IF_ERROR(executor.setInput(b.name(), t));
  }

  // Warm-up runs; the profiler is on for the last one when the number of
  // runs is chosen from its time (a sample as the timed runs take it).
  double lastWarmup = 0;
  for (int i = 0; i < plan.warmup; ++i) {
    bool judge = plan.budgetSeconds > 0 && i + 1 == plan.warmup;
    executor.setProfiling(judge && plan.stepsOnly);
    WEFT_RETURN_IF_ERROR(barrier(group, what));
    if (judge) {
      rt::StatusOr<double> s = sample(executor, TimingPlan{0, 1, plan.stepsOnly});
      if (!s.isOk())
        return rt::Status(s.status().code(), what + ": " + s.status().message());
      lastWarmup = *s;
    } else {
      rt::Status st = executor.run();
      if (!st.isOk())
        return rt::Status(st.code(), what + ": " + st.message());
    }
  }
  int runs = plan.runs;
  if (plan.budgetSeconds > 0)
    runs = lastWarmup > 0 ? int(std::clamp<double>(plan.budgetSeconds / lastWarmup, plan.leastRuns, plan.mostRuns))
                          : plan.mostRuns;
  runs = std::max(1, runs);

  KernelTiming timing;
  executor.setProfiling(plan.stepsOnly);
  for (int i = 0; i < runs; ++i) {
    WEFT_RETURN_IF_ERROR(barrier(group, what));
    rt::StatusOr<double> s = sample(executor, plan);
    if (!s.isOk())
      return rt::Status(s.status().code(), what + ": " + s.status().message());
    timing.samples.push_back(*s);
  }
  timing.seconds = cost::median(timing.samples);
  timing.runs = runs;
  return timing;
}

} // namespace weft::calibrate
