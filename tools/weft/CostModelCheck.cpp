//===- CostModelCheck.cpp - the cost model against measured steps ---------===//
//
// This file implements checkCostModel (CostModelCheck.h):
//   1. build GPT-2's forward (or training step) with the DSL and run the
//      training and graph pipelines on a copy
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
#include "passes/parallel/search/PartitionedCost.h"
#include "ir/AttrNames.h"
#include "ir/Sharding.h"
#include "models/catalog/Strategies.h"
#include "runtime/Executor.h"
#include "runtime/comm/ShardedBuffer.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <stdexcept>

namespace weft::cli {
namespace {

/// An input of the checked program: random token ids below the vocabulary
/// for an i64 input (tokens, targets); for a training step's f32 scalars
/// what a real run's first step gets: "step" 1 (AdamW's bias corrections),
/// any other (the learning rate) 3e-4. Unrealistic values would change the
/// step's time: a step of 1e-4 drove the moments into subnormal floats.
rt::HostTensor inputValues(const proto::Buffer &b, int64_t vocab, std::mt19937_64 &rng) {
  rt::HostTensor t(b.dtype(), rt::wholeShapeOf(b));
  if (b.dtype() == proto::I64) {
    for (int64_t i = 0; i < t.numElements(); ++i)
      t.data<int64_t>()[i] = int64_t(rng() % uint64_t(vocab));
  } else if (b.dtype() == proto::F32) {
    std::fill_n(t.data<float>(), t.numElements(), b.name() == "step" ? 1.0f : 3e-4f);
  } else {
    throw std::runtime_error("cost model check: input '" + b.name() + "' has dtype " + rt::dtypeName(b.dtype()) +
                             "; GPT-2's programs take i64 tokens and f32 scalars");
  }
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

namespace {

CostModelCheck checkOn(const models::Gpt2Config &config, int batch, int seq, const cost::ClusterSpec &device,
                     int runs, bool train, const MeshSpec &mesh, std::shared_ptr<rt::Communicator> group) {
  nn::ParallelPlan plan = mesh.empty() ? nn::ParallelPlan{} : strategyPlan(defaultStrategy(mesh), mesh);
  Program program = train ? models::buildGpt2TrainLoss(config, batch, seq, plan, mesh)
                          : models::buildGpt2Forward(config, batch, seq, plan, mesh);
  CompileOptions options; // the CPU; the cache as usual
  if (train)
    options.train = TrainOptions{};

  // 1. The ops the steps come from: the graph pipeline on a copy.
  mlir::OwningOpRef<mlir::ModuleOp> graph = program.module().clone();
  {
    mlir::PassManager pm(graph->getContext());
    if (train)
      buildTrainingPipeline(pm, *options.train, options.quantize);
    if (!mesh.empty())
      buildParallelPipeline(pm);
    buildGraphPipeline(pm, options);
    if (mlir::failed(pm.run(*graph)))
      throw std::runtime_error("cost model check: the graph pipeline failed on GPT-2's program");
  }
  std::vector<mlir::Operation *> ops;
  auto main = graph->lookupSymbol<mlir::func::FuncOp>("main");
  for (mlir::Operation &op : main.getBody().front())
    if (!op.hasTrait<mlir::OpTrait::IsTerminator>())
      ops.push_back(&op);
  // Each op's prediction as a rank's whole program is priced (collectives
  // by the link's step times), with the description and its single figures.
  cost::ClusterSpec plain = device; // the single figures alone
  plain.device.gemmRates.clear();
  plain.device.bandwidthByBytes = {};
  plain.device.elementFunctionSeconds = {};
  auto meshAttr = (*graph)->getAttrOfType<MeshAttr>(kMeshAttr);
  std::map<mlir::Operation *, std::pair<double, double>> predicted; // op -> (tables, single figures)
  search::partitionedCost(main, meshAttr, device,
                          [&](mlir::Operation *op, double seconds, double) { predicted[op].first = seconds; });
  search::partitionedCost(main, meshAttr, plain,
                          [&](mlir::Operation *op, double seconds, double) { predicted[op].second = seconds; });

  // 2. The Executable, timed step by step.
  CompileResult compiled = compile(program.module(), options);
  if (!compiled.executable)
    throw std::runtime_error("cost model check: the compile produced no executable");
  proto::Executable proto = compiled.executable->proto();
  rt::ExecutorOptions executorOptions;
  executorOptions.communicator = group;
  auto executor = check(rt::Executor::create(std::move(*compiled.executable), executorOptions));
  for (const ParamSpec &p : program.params()) // the model's own initializers
    check(executor->setParameter(p.name, initialValue(p, /*seed=*/5)));
  std::mt19937_64 rng(5);
  for (const proto::Buffer &b : proto.buffers())
    if (b.kind() == proto::INPUT)
      check(executor->setInput(b.name(), inputValues(b, config.vocab_size, rng)));
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
  result.tables = !device.device.gemmRates.empty() || !device.device.bandwidthByBytes.empty();
  for (double s : device.device.elementFunctionSeconds)
    result.tables = result.tables || s > 0;
  size_t cursor = 0;
  double heldBack = 0; // a step that runs before its op's main step (beta * addend)
  for (size_t i = 0; i < perStep.size(); ++i) {
    // A GEMM with a kernel epilogue (or a beta * addend kernel) is two steps
    // of one op, labelled alike, the extra one with a "(...)" note: after its
    // GEMM (an epilogue) it joins the step before, before it (an addend) the
    // step after. Two GEMMs of one source line (an MLP's two Linears) stay
    // apart: neither has a note.
    bool noted = labels[i] != withoutNote(labels[i]);
    if (noted) {
      bool after = i > 0 && !result.steps.empty() && withoutNote(labels[i]) == labels[i - 1];
      (after ? result.steps.back().measured : heldBack) += medianOf(perStep[i]);
      continue;
    }
    StepError e;
    e.op = opOfLabel(labels[i]);
    e.measured = medianOf(perStep[i]) + heldBack;
    heldBack = 0;
    size_t at = cursor;
    while (at < ops.size() && ops[at]->getName().getStringRef() != e.op)
      ++at;
    if (at < ops.size()) {
      e.predicted = predicted[ops[at]].first;
      e.plain = predicted[ops[at]].second;
      result.plainRun += e.plain;
      llvm::raw_string_ostream os(e.operands);
      llvm::interleaveComma(ops[at]->getOperandTypes(), os);
      if (!ops[at]->getAttrDictionary().empty())
        os << " " << ops[at]->getAttrDictionary();
      result.predictedRun += e.predicted;
      ++result.matched;
      cursor = at + 1;
    }
    result.steps.push_back(e);
  }
  return result;
}

} // namespace

CostModelCheck checkCostModel(const models::Gpt2Config &config, int batch, int seq,
                              const cost::ClusterSpec &device, int runs, bool train) {
  return checkOn(config, batch, seq, device, runs, train, MeshSpec{}, nullptr);
}

CostModelCheck checkCostModelOnMesh(const models::Gpt2Config &config, int batch, int seq,
                                    const cost::ClusterSpec &device, int runs, bool train, const MeshSpec &mesh,
                                    std::shared_ptr<rt::Communicator> group) {
  return checkOn(config, batch, seq, device, runs, train, mesh, std::move(group));
}

void printCostModelCheck(const CostModelCheck &c, const std::string &what, bool everyStep) {
  if (everyStep) {
    std::printf("\n  %5s %-28s %14s %14s  %s\n", "step", "op", "measured (us)", "predicted (us)", "operands");
    for (size_t i = 0; i < c.steps.size(); ++i)
      std::printf("  %5zu %-28s %14.1f %14.1f  %s\n", i, c.steps[i].op.c_str(), 1e6 * c.steps[i].measured,
                  1e6 * c.steps[i].predicted, c.steps[i].operands.c_str());
  }
  std::map<std::string, std::vector<const StepError *>> byOp;
  std::vector<double> errors, plainErrors;
  auto error = [](double predicted, double measured) { return std::fabs(predicted - measured) / measured; };
  for (const StepError &s : c.steps)
    if (s.predicted >= 0 && s.measured > 0) {
      byOp[s.op].push_back(&s);
      errors.push_back(error(s.predicted, s.measured));
      plainErrors.push_back(error(s.plain, s.measured));
    }
  std::printf("\ncost model check: %s, %zu steps (%d with a prediction)\n", what.c_str(), c.steps.size(),
              c.matched);
  std::printf("  %-28s %6s %14s %14s %16s %13s %13s", "op", "steps", "measured (us)", "predicted (us)",
              "median |error|", "all (ms)", "predicted");
  if (c.tables)
    std::printf(" %16s %16s", "single figures", "median |error|");
  std::printf("\n");
  for (const auto &[op, steps] : byOp) {
    std::vector<double> measured, predicted, err, plain, plainErr;
    double measuredSum = 0, predictedSum = 0; // the kind's share of the whole run
    for (const StepError *s : steps) {
      measuredSum += s->measured;
      predictedSum += s->predicted;
      measured.push_back(s->measured * 1e6);
      predicted.push_back(s->predicted * 1e6);
      err.push_back(error(s->predicted, s->measured));
      plain.push_back(s->plain * 1e6);
      plainErr.push_back(error(s->plain, s->measured));
    }
    std::printf("  %-28s %6zu %14.1f %14.1f %15.0f%% %13.2f %13.2f", op.c_str(), steps.size(), medianOf(measured),
                medianOf(predicted), 100 * medianOf(err), 1e3 * measuredSum, 1e3 * predictedSum);
    if (c.tables)
      std::printf(" %16.1f %15.0f%%", medianOf(plain), 100 * medianOf(plainErr));
    std::printf("\n");
  }
  double stepSum = 0;
  for (const StepError &s : c.steps)
    stepSum += s.measured;
  auto relative = [](double predicted, double measured) { return measured > 0 ? 100 * (predicted / measured - 1) : 0.0; };
  std::printf("  per-step median |predicted - measured| / measured: %.0f%%\n", 100 * medianOf(errors));
  std::printf("  whole run: predicted %.2f ms (sum of the steps), measured %.2f ms (median, not profiled): %+.0f%%\n",
              1e3 * c.predictedRun, 1e3 * c.measuredRun, relative(c.predictedRun, c.measuredRun));
  std::printf("  the measured steps' medians add up to %.2f ms: %+.0f%% from the predicted sum\n", 1e3 * stepSum,
              relative(c.predictedRun, stepSum));
  if (c.tables)
    std::printf("  with the single figures alone (no tables): per-step median %.0f%%, whole run %.2f ms: %+.0f%% "
                "(%+.0f%% from the steps' sum)\n",
                100 * medianOf(plainErrors), 1e3 * c.plainRun, relative(c.plainRun, c.measuredRun),
                relative(c.plainRun, stepSum));
}

} // namespace weft::cli
