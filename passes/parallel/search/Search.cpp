//===- Search.cpp - searching, choosing the mesh, reporting ----------------===//
//
// This file implements searchShardings (Search.h):
//   1. with devices = N: search each mesh N devices can form (dp x tp, tp
//      dividing N and within a node) on a copy of the module — with verify,
//      also data parallelism with whole and ZeRO-3 parameters, each
//      candidate partitioned and costed as the program it becomes — and
//      keep the cheapest as the module's mesh (and hints);
//   2. give each reader its own copy of cheap values, build the problem
//      (ProgramProblem.h), group the tied nodes, eliminate chains exactly
//      (Simplify.h) and solve the rest (IlpSolver.h, or enumeration);
//   3. report (arguments, ops, uses that move data, totals) and write the
//      choice back as hints, each op's predicted seconds as weft.cost and the
//      summary as the module's weft.plan.
//
//===----------------------------------------------------------------------===//

#include "passes/parallel/search/Search.h"

#include "ir/AttrNames.h"
#include "ir/sharding/ShardingInterface.h"
#include "passes/Passes.h"
#include "passes/parallel/ZeroSharding.h"
#include "passes/parallel/search/IlpSolver.h"
#include "passes/parallel/search/PartitionedCost.h"
#include "passes/parallel/search/Simplify.h"

#include "mlir/IR/Builders.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/DebugStringHelper.h"
#include "mlir/Transforms/Passes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstdio>

using namespace mlir;

namespace weft::search {
namespace {

/// The fewest persistent bytes per device any choice needs (each group at its smallest).
double smallestBytes(const GroupedProblem &p) {
  double sum = 0;
  for (const std::vector<double> &bytes : p.bytes)
    sum += bytes.empty() ? 0 : *std::min_element(bytes.begin(), bytes.end());
  return sum;
}

/// Bytes as GiB with four significant digits ("0.0001", "1.844").
std::string gib(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", bytes / double(1ull << 30));
  return buf;
}


/// With the forward pass decided, every other op of a training step (its
/// backward pass and optimizer, explicit) gets a variable and is searched too,
/// the forward ops and arguments pinned to their layouts: the gradients are
/// then laid out by the same costs rather than left to propagation. No
/// budget (the arguments are pinned). The step's predicted seconds become
/// this problem's objective, which counts every op as it is.
void layOutBackward(func::FuncOp func, MeshAttr mesh, const cost::ClusterSpec &cluster, const SearchOptions &options,
                    SearchReport &report) {
  ProgramProblem full(func, mesh, cluster, options.tie, /*everyOp=*/true);
  std::string error;
  std::optional<GroupedProblem> grouped = groupProblem(full.problem(), error);
  if (!grouped)
    return; // the forward choice stands; propagation lays out the rest
  Simplified simplified(*grouped);
  IlpOptions ilp;
  ilp.maxSeconds = options.maxSeconds;
  Solution s = solveIlp(simplified.reduced(), ilp);
  if (!s.feasible)
    return;
  s.choice = simplified.expand(s.choice);
  evaluate(*grouped, s);
  std::vector<int> choiceOfNode;
  for (int g : grouped->groupOf)
    choiceOfNode.push_back(s.choice[g]);
  full.apply(choiceOfNode);
  report.backwardSeconds = s.seconds;
  report.backwardGroups = int64_t(simplified.reduced().seconds.size());
}

/// The module's weft.plan: what the search found (and with devices = N, the
/// candidates in `meshes`).
void recordPlan(ModuleOp module, const SearchReport &report, const std::string &meshes = "") {
  Builder b(module.getContext());
  const Solution &s = report.solution;
  SmallVector<NamedAttribute> attrs = {
      b.getNamedAttr("method", b.getStringAttr(s.method)),
      b.getNamedAttr("seconds", b.getF64FloatAttr(s.seconds)),
      b.getNamedAttr("lower_bound", b.getF64FloatAttr(s.lowerBound)),
      b.getNamedAttr("solve_seconds", b.getF64FloatAttr(s.solveSeconds)),
      b.getNamedAttr("nodes", b.getI64IntegerAttr(report.nodes)),
      b.getNamedAttr("groups", b.getI64IntegerAttr(report.groups)),
      b.getNamedAttr("solved_groups", b.getI64IntegerAttr(report.solvedGroups)),
      b.getNamedAttr("bytes", b.getF64FloatAttr(s.bytes)),
      b.getNamedAttr("whole_step_seconds", b.getF64FloatAttr(report.backwardSeconds)),
  };
  if (!meshes.empty())
    attrs.push_back(b.getNamedAttr("meshes", b.getStringAttr(meshes)));
  module->setAttr(kPlanAttr, b.getDictionaryAttr(attrs));
}

/// The search on the module's mesh; emits its error at the function.
FailureOr<SearchReport> searchOnMesh(ModuleOp module, func::FuncOp func, MeshAttr mesh,
                                     const cost::ClusterSpec &cluster, const SearchOptions &options) {
  copyCheapValuesPerReader(func);
  ProgramProblem program(func, mesh, cluster, options.tie);
  double budget = options.memoryGib > 0 ? options.memoryGib * double(1ull << 30) : double(cluster.device.memoryBytes);
  program.problem().memoryBudget = budget;
  std::string error;
  std::optional<GroupedProblem> grouped = groupProblem(program.problem(), error);
  if (!grouped)
    return func.emitError() << "weft-auto-shard: " << error;
  Simplified simplified(*grouped);
  const GroupedProblem &reduced = simplified.reduced();
  SearchReport report;
  Solution &solution = report.solution;
  if (options.solver == "enumerate") {
    std::optional<Solution> all = solveByEnumeration(reduced);
    if (!all)
      return func.emitError() << "weft-auto-shard: too many combinations to enumerate (" << reduced.seconds.size()
                              << " groups after simplification); use solver=ilp";
    solution = *all;
  } else {
    IlpOptions ilp;
    ilp.maxSeconds = options.maxSeconds;
    solution = solveIlp(reduced, ilp);
  }
  if (solution.feasible) {
    solution.lowerBound += simplified.constantSeconds();
    solution.choice = simplified.expand(solution.choice);
    evaluate(*grouped, solution); // the exact objective over every group
  }
  if (!solution.feasible)
    return func.emitError() << "weft-auto-shard: no strategy fits the memory budget of " << gib(budget)
                            << " GiB per device; the parameters"
                            << (program.training() ? ", gradients and optimizer state" : " and state")
                            << " need at least " << gib(smallestBytes(*grouped)) << " GiB per device on " << mesh;

  std::vector<int> choiceOfNode;
  for (int g : grouped->groupOf)
    choiceOfNode.push_back(solution.choice[g]);
  report.mesh = mesh;
  report.training = program.training();
  report.nodes = int64_t(program.problem().nodes.size());
  report.groups = int64_t(grouped->seconds.size());
  report.solvedGroups = int64_t(reduced.seconds.size());
  report.args = program.arguments(choiceOfNode);
  report.uses = program.explain(choiceOfNode);
  for (const ArgReport &a : report.args)
    report.updateSeconds += a.seconds;
  for (const UseReport &u : report.uses)
    report.communicationSeconds += u.forward.seconds + u.backward.seconds;
  Builder b(module.getContext());
  for (Operation &op : func.getBody().front())
    if (int n = program.nodeOf(&op); n >= 0) {
      double seconds = program.problem().nodes[n].seconds[choiceOfNode[n]];
      report.ops.push_back({&op, seconds});
      report.computeSeconds += seconds;
      op.setAttr(kCostAttr, b.getF64FloatAttr(seconds));
    }
  program.apply(choiceOfNode);
  if (report.training && options.backward)
    layOutBackward(func, mesh, cluster, options, report);
  recordPlan(module, report);
  return report;
}

} // namespace

SmallVector<MeshAttr> candidateMeshes(MLIRContext *ctx, int64_t n, const cost::ClusterSpec &cluster) {
  SmallVector<MeshAttr> meshes;
  for (int64_t tp = 1; tp <= n; ++tp) {
    if (n % tp != 0 || tp > cluster.topology.devicesPerNode)
      continue;
    SmallVector<StringAttr> names;
    SmallVector<int64_t> sizes;
    if (n / tp > 1 || tp == 1) {
      names.push_back(StringAttr::get(ctx, "dp"));
      sizes.push_back(n / tp);
    }
    if (tp > 1) {
      names.push_back(StringAttr::get(ctx, "tp"));
      sizes.push_back(tp);
    }
    meshes.push_back(MeshAttr::get(ctx, names, sizes));
  }
  return meshes;
}

/// Data parallelism's hints on `mesh`: each input's first dimension split over
/// every axis, parameters whole or (zero3) split like ZeRO 3 over every axis.
/// False when the batch does not divide.
bool hintDataParallel(func::FuncOp f, MeshAttr mesh, bool zero3) {
  MLIRContext *ctx = f.getContext();
  SmallVector<StringAttr> all;
  for (auto [name, size] : llvm::zip(mesh.getAxisNames(), mesh.getAxisSizes()))
    if (size > 1)
      all.push_back(name);
  for (BlockArgument arg : f.getArguments()) {
    auto type = cast<RankedTensorType>(arg.getType());
    unsigned i = arg.getArgNumber();
    ShardingAttr s = ShardingAttr::replicated(ctx, unsigned(type.getRank()));
    if (f.getArgAttr(i, kInputAttr) && type.getRank() > 0) {
      if (type.getDimSize(0) % mesh.groupSize(all) != 0)
        return false;
      s = s.withDim(0, DimShardingAttr::get(ctx, all, 1));
    } else if (zero3 && f.getArgAttr(i, kParamAttr)) {
      for (StringAttr axis : all)
        s = sharding::zeroSharding(s, type, mesh, axis);
    } else if (!f.getArgAttr(i, kParamAttr)) {
      continue; // state follows its parameter; other arguments are the search's
    }
    f.setArgAttr(i, kShardingAttr, s);
  }
  return true;
}

/// The cost of the program `module` (searched) partitions into, after the
/// fusions the graph pipeline applies; nullopt when the partitioner refuses it.
std::optional<PartitionedCost> partitionedSeconds(ModuleOp module, func::FuncOp f, MeshAttr mesh,
                                                  const cost::ClusterSpec &cluster) {
  OwningOpRef<ModuleOp> part = module.clone();
  PassManager pm(module.getContext());
  pm.addPass(createPropagateShardingPass());
  pm.addPass(createSpmdPartitionPass());
  // Fused as the graph pipeline will fuse it: a chain of elementwise ops is one kernel, not one pass each.
  OpPassManager &fn = pm.nest<func::FuncOp>();
  fn.addPass(createCanonicalizerPass());
  fn.addPass(createCSEPass());
  addFusionPasses(fn);
  if (failed(pm.run(*part)))
    return std::nullopt;
  return partitionedCost(part->lookupSymbol<func::FuncOp>(f.getSymName()), mesh, cluster);
}

FailureOr<SearchReport> searchShardings(ModuleOp module, func::FuncOp func, const cost::ClusterSpec &cluster,
                                        const SearchOptions &options) {
  // The candidates come from the ops' sharding rules: without them every op
  // would look unsplittable (callers outside a pass manager need this).
  DialectRegistry rules;
  registerShardingInterfaces(rules);
  module.getContext()->appendDialectRegistry(rules);
  if (options.devices <= 0) {
    auto mesh = module->getAttrOfType<MeshAttr>(kMeshAttr);
    if (!mesh)
      return module.emitError() << "weft-auto-shard: the module has no weft.mesh; give one, or devices=N to "
                                   "choose it";
    return searchOnMesh(module, func, mesh, cluster, options);
  }
  MLIRContext *ctx = module.getContext();
  if (auto given = module->getAttrOfType<MeshAttr>(kMeshAttr))
    return module.emitError() << "weft-auto-shard: devices=" << options.devices
                              << " asks for a mesh, but the module already has " << given
                              << "; give one or the other";
  // Each candidate is searched on a copy; the chosen copy becomes the module
  // (its search is not run again). Without verify the choice rests on the
  // forward-pass prediction, so only the chosen plan's backward pass is laid out.
  struct Trial {
    Candidate candidate;
    OwningOpRef<ModuleOp> module;
    SearchReport report;
  };
  std::vector<Trial> trials;
  SearchOptions trialOptions = options;
  trialOptions.backward = options.backward && options.verify;
  auto cost = [](const Candidate &c) { return c.partitioned >= 0 ? c.partitioned : c.predicted; };
  StringRef name = func.getSymName();
  std::string whyNot; // each mesh's reason, when none fits
  const char *variants[] = {"searched", "data parallel", "data parallel + ZeRO 3"};
  for (MeshAttr mesh : candidateMeshes(ctx, options.devices, cluster))
    for (int v = 0; v < (options.verify ? 3 : 1); ++v) {
      OwningOpRef<ModuleOp> trial = module.clone();
      (*trial)->setAttr(kMeshAttr, mesh);
      auto f = trial->lookupSymbol<func::FuncOp>(name);
      if (v > 0 && !hintDataParallel(f, mesh, /*zero3=*/v == 2))
        continue;
      FailureOr<SearchReport> r = failure();
      {
        ScopedDiagnosticHandler quiet(ctx, [&](Diagnostic &d) {
          if (v > 0)
            return success();
          std::string message = d.str();
          StringRef need = StringRef(message).split("need at least ").second;
          whyNot += "\n  " + debugString(mesh) + ": " +
                    (need.empty() ? message : "needs at least " + need.split(" on ").first.str());
          return success();
        });
        r = searchOnMesh(*trial, f, mesh, cluster, trialOptions);
      }
      if (failed(r))
        continue; // does not fit
      Candidate c{mesh, variants[v], r->solution.seconds, -1};
      if (options.verify) {
        ScopedDiagnosticHandler quiet(ctx, [](Diagnostic &) { return success(); });
        std::optional<PartitionedCost> cost = partitionedSeconds(*trial, f, mesh, cluster);
        if (!cost)
          continue; // the partitioner refused it
        c.partitioned = cost->seconds();
        c.partitionedCommunication = cost->communicationSeconds;
      }
      trials.push_back({c, std::move(trial), std::move(*r)});
    }
  Trial *best = nullptr;
  for (Trial &t : trials)
    if (!best || cost(t.candidate) < cost(best->candidate))
      best = &t;
  if (!best)
    return module.emitError() << "weft-auto-shard: no mesh of " << options.devices
                              << " devices (dp x tp, tp within a node of " << cluster.topology.devicesPerNode
                              << ") fits the memory budget of "
                              << gib(options.memoryGib > 0 ? options.memoryGib * double(1ull << 30)
                                                           : double(cluster.device.memoryBytes))
                              << " GiB per device:" << whyNot;
  SearchReport report = std::move(best->report);
  ModuleOp chosen = *best->module;
  if (report.training && options.backward && !trialOptions.backward)
    layOutBackward(chosen.lookupSymbol<func::FuncOp>(name), best->candidate.mesh, cluster, options, report);
  std::string listed;
  for (const Trial &t : trials) {
    const Candidate &c = t.candidate;
    report.candidates.push_back(c);
    if (c.variant == std::string(variants[0]))
      report.meshes.push_back({c.mesh, c.predicted});
    listed += (listed.empty() ? "" : "; ") + debugString(c.mesh) + " " + c.variant + ": " +
              std::to_string(c.predicted) + " s" +
              (c.partitioned >= 0 ? " (partitioned " + std::to_string(c.partitioned) +
                                        " s, of which communication " + std::to_string(c.partitionedCommunication) +
                                        " s)"
                                  : "") +
              (&t == best ? " <- chosen" : "");
  }
  recordPlan(chosen, report, listed);
  // The chosen copy's program and attributes (mesh, plan) become the module's;
  // `func` goes with the old body.
  module.getBodyRegion().takeBody(chosen.getBodyRegion());
  module->setAttrs(chosen->getAttrDictionary());
  return report;
}

} // namespace weft::search
