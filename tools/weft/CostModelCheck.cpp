//===- CostModelCheck.cpp - the cost model against measured steps ---------===//
//
// This file implements checkCostModel (CostModelCheck.h):
//   1. build GPT-2's forward with the DSL and run the graph pipeline on a copy
//      (fusion, schedule, memory plan: the ops the code generators turn into
//      steps, in their order);
//   2. compile it to an Executable, set the model's initial weights and random
//      tokens, and time
//      every step with the Executor's profiler (one warm-up, then `runs`
//      runs; per step the median), and whole runs without the profiler;
//   3. pair each step with its op: steps are emitted in the op order and
//      their labels start with the op's name, so a cursor over the ops finds
//      each step's op (a GEMM's epilogue step joins its GEMM's); predict it
//      with localOpSeconds.
//
//===----------------------------------------------------------------------===//

#include "tools/weft/CostModelCheck.h"

#include "tools/weft/Check.h"

#include "compiler/Compile.h"
#include "compiler/Pipelines.h"
#include "cost/Calibration.h"
#include "frontend/Program.h"
#include "models/catalog/ParamInit.h"
#include "passes/parallel/search/SearchCosts.h"
#include "runtime/Executor.h"
#include "runtime/comm/ShardedBuffer.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <stdexcept>

namespace weft::cli {
namespace {

/// Random token ids below the vocabulary for an i64 input.
rt::HostTensor randomTokens(const proto::Buffer &b, int64_t vocab, std::mt19937_64 &rng) {
  if (b.dtype() != proto::I64)
    throw std::runtime_error("cost model check: input '" + b.name() + "' has dtype " + rt::dtypeName(b.dtype()) +
                             "; GPT-2's forward takes i64 tokens");
  rt::HostTensor t(b.dtype(), rt::wholeShapeOf(b));
  for (int64_t i = 0; i < t.numElements(); ++i)
    t.data<int64_t>()[i] = int64_t(rng() % uint64_t(vocab));
  return t;
}

/// The op name a step label starts with ("weft.fused_matmul at ..." -> "weft.fused_matmul").
std::string opOfLabel(const std::string &label) { return label.substr(0, label.find(' ')); }

double medianOf(std::vector<double> v) { return v.empty() ? 0 : cost::median(v); }

/// A step label without the note codegen appends to a second step of one op
/// ("weft.fused_matmul @ Linear.cpp:55 (epilogue)" -> "... @ Linear.cpp:55").
std::string withoutNote(const std::string &label) {
  if (label.empty() || label.back() != ')')
    return label;
  size_t open = label.rfind(" (");
  return open == std::string::npos ? label : label.substr(0, open);
}

} // namespace

CostModelCheck checkCostModel(const models::Gpt2Config &config, int batch, int seq,
                              const cost::ClusterSpec &device, int runs) {
  Program program = models::buildGpt2Forward(config, batch, seq);
  CompileOptions options; // the CPU; the cache as usual

  // 1. The ops the steps come from: the graph pipeline on a copy.
  mlir::OwningOpRef<mlir::ModuleOp> graph = program.module().clone();
  {
    mlir::PassManager pm(graph->getContext());
    buildGraphPipeline(pm, options);
    if (mlir::failed(pm.run(*graph)))
      throw std::runtime_error("cost model check: the graph pipeline failed on GPT-2's forward");
  }
  std::vector<mlir::Operation *> ops;
  for (mlir::Operation &op : graph->lookupSymbol<mlir::func::FuncOp>("main").getBody().front())
    if (!op.hasTrait<mlir::OpTrait::IsTerminator>())
      ops.push_back(&op);

  // 2. The Executable, timed step by step.
  CompileResult compiled = compile(program.module(), options);
  if (!compiled.executable)
    throw std::runtime_error("cost model check: the compile produced no executable");
  proto::Executable proto = compiled.executable->proto();
  auto executor = check(rt::Executor::create(std::move(*compiled.executable)));
  for (const ParamSpec &p : program.params()) // the model's own initializers
    check(executor->setParameter(p.name, initialValue(p, /*seed=*/5)));
  std::mt19937_64 rng(5);
  for (const proto::Buffer &b : proto.buffers())
    if (b.kind() == proto::INPUT)
      check(executor->setInput(b.name(), randomTokens(b, config.vocab_size, rng)));
  check(executor->run()); // warm-up
  std::vector<double> whole;
  for (int r = 0; r < runs; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    check(executor->run());
    whole.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  executor->setProfiling(true);
  std::vector<std::vector<double>> perStep;
  std::vector<std::string> labels;
  for (int r = 0; r < runs; ++r) {
    check(executor->run());
    std::vector<rt::StepTime> times = executor->stepTimes();
    perStep.resize(times.size());
    labels.resize(times.size());
    for (size_t i = 0; i < times.size(); ++i) {
      perStep[i].push_back(times[i].microseconds * 1e-6);
      labels[i] = times[i].label;
    }
  }
  executor->setProfiling(false);

  // 3. Each step beside its op's prediction.
  CostModelCheck result;
  result.measuredRun = medianOf(whole);
  size_t cursor = 0;
  for (size_t i = 0; i < perStep.size(); ++i) {
    // A GEMM with a kernel epilogue (or a beta * addend kernel) is two steps of
    // one op, labelled alike, one with a "(...)" note: their times add up.
    if (i > 0 && !result.steps.empty() && withoutNote(labels[i]) == withoutNote(labels[i - 1]) &&
        (labels[i] != withoutNote(labels[i]) || labels[i - 1] != withoutNote(labels[i - 1]))) {
      result.steps.back().measured += medianOf(perStep[i]);
      continue;
    }
    StepError e;
    e.op = opOfLabel(labels[i]);
    e.measured = medianOf(perStep[i]);
    size_t at = cursor;
    while (at < ops.size() && ops[at]->getName().getStringRef() != e.op)
      ++at;
    if (at < ops.size()) {
      e.predicted = search::localOpSeconds(ops[at], device);
      result.predictedRun += e.predicted;
      ++result.matched;
      cursor = at + 1;
    }
    result.steps.push_back(e);
  }
  return result;
}

void printCostModelCheck(const CostModelCheck &c, const std::string &what, bool everyStep) {
  if (everyStep) {
    std::printf("\n  %5s %-28s %14s %14s\n", "step", "op", "measured (us)", "predicted (us)");
    for (size_t i = 0; i < c.steps.size(); ++i)
      std::printf("  %5zu %-28s %14.1f %14.1f\n", i, c.steps[i].op.c_str(), 1e6 * c.steps[i].measured,
                  1e6 * c.steps[i].predicted);
  }
  std::map<std::string, std::vector<const StepError *>> byOp;
  std::vector<double> errors;
  for (const StepError &s : c.steps)
    if (s.predicted >= 0 && s.measured > 0) {
      byOp[s.op].push_back(&s);
      errors.push_back(std::fabs(s.predicted - s.measured) / s.measured);
    }
  std::printf("\ncost model check: %s, %zu steps (%d with a prediction)\n", what.c_str(), c.steps.size(),
              c.matched);
  std::printf("  %-28s %6s %14s %14s %16s\n", "op", "steps", "measured (us)", "predicted (us)",
              "median |error|");
  for (const auto &[op, steps] : byOp) {
    std::vector<double> measured, predicted, err;
    for (const StepError *s : steps) {
      measured.push_back(s->measured * 1e6);
      predicted.push_back(s->predicted * 1e6);
      err.push_back(std::fabs(s->predicted - s->measured) / s->measured);
    }
    std::printf("  %-28s %6zu %14.1f %14.1f %15.0f%%\n", op.c_str(), steps.size(), medianOf(measured),
                medianOf(predicted), 100 * medianOf(err));
  }
  std::printf("  per-step median |predicted - measured| / measured: %.0f%%\n", 100 * medianOf(errors));
  double stepSum = 0;
  for (const StepError &s : c.steps)
    stepSum += s.measured;
  std::printf("  whole run: predicted %.2f ms (sum of the steps), measured %.2f ms (median, not profiled): %+.0f%%\n",
              1e3 * c.predictedRun, 1e3 * c.measuredRun,
              c.measuredRun > 0 ? 100 * (c.predictedRun / c.measuredRun - 1) : 0.0);
  std::printf("  the measured steps' medians add up to %.2f ms: %+.0f%% from the predicted sum\n", 1e3 * stepSum,
              stepSum > 0 ? 100 * (c.predictedRun / stepSum - 1) : 0.0);
}

} // namespace weft::cli
