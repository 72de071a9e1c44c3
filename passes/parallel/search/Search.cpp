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
#include "passes/parallel/search/Elimination.h"
#include "passes/parallel/search/IlpSolver.h"
#include "passes/parallel/search/PartitionedCost.h"
#include "passes/parallel/search/Simplify.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
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
  // No budget here, and the backward's graph is narrow after ties: the exact
  // dynamic program is much faster than CBC on it (tens of ms against
  // seconds); the ILP, with a short limit (this layout refines the plan, it
  // does not decide it), takes over where its tables would grow too large.
  std::optional<Solution> exact = solveByElimination(simplified.reduced(), 1u << 20);
  Solution s;
  if (exact) {
    s = *exact;
  } else {
    IlpOptions ilp;
    ilp.maxSeconds = std::min(options.maxSeconds, 2.0);
    ilp.lowerBound = false;
    s = solveIlp(simplified.reduced(), ilp);
  }
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
      b.getNamedAttr("peak_bytes", b.getF64FloatAttr(report.memory.total())),
      b.getNamedAttr("parameter_bytes", b.getF64FloatAttr(report.memory.parameters)),
      b.getNamedAttr("state_bytes", b.getF64FloatAttr(report.memory.state)),
      b.getNamedAttr("arena_bytes", b.getF64FloatAttr(report.memory.arena)),
  };
  if (!meshes.empty())
    attrs.push_back(b.getNamedAttr("meshes", b.getStringAttr(meshes)));
  module->setAttr(kPlanAttr, b.getDictionaryAttr(attrs));
}

/// The search on the module's mesh; emits its error at the function.
FailureOr<SearchReport> searchOnMesh(ModuleOp module, func::FuncOp func, MeshAttr mesh,
                                     const cost::ClusterSpec &cluster, const SearchOptions &options, double budget,
                                     bool countActivations) {
  copyCheapValuesPerReader(func);
  ProgramProblem program(func, mesh, cluster, options.tie, /*everyOp=*/false, countActivations);
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
                            << (program.training() ? ", gradients, optimizer state and saved activations"
                                                   : " and state")
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
  report.activationEstimate = program.savedActivationBytes(choiceOfNode);
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

namespace {

/// The cost and the memory plan of the program `module` (searched)
/// partitions into, fused and scheduled as the graph pipeline will (a chain
/// of elementwise ops is one kernel, not one pass each; the op order is
/// weft-schedule's); nullopt when the partitioner refuses it.
std::optional<std::pair<PartitionedCost, PlannedMemory>>
partitionedPlan(ModuleOp module, func::FuncOp f, MeshAttr mesh, const cost::ClusterSpec &cluster,
                int64_t alignment) {
  OwningOpRef<ModuleOp> part = module.clone();
  PassManager pm(module.getContext());
  pm.addPass(createPropagateShardingPass());
  pm.addPass(createSpmdPartitionPass());
  OpPassManager &fn = pm.nest<func::FuncOp>();
  fn.addPass(createCanonicalizerPass());
  fn.addPass(createCSEPass());
  addFusionPasses(fn);
  SchedulePassOptions schedule;
  schedule.alignment = alignment;
  fn.addPass(createSchedulePass(schedule));
  if (failed(pm.run(*part)))
    return std::nullopt;
  auto local = part->lookupSymbol<func::FuncOp>(f.getSymName());
  std::optional<PlannedMemory> memory = plannedMemory(local, alignment);
  if (!memory)
    return std::nullopt;
  return std::make_pair(partitionedCost(local, mesh, cluster), *memory);
}

/// A searched copy of the module on one mesh.
struct Trial {
  Candidate candidate;
  OwningOpRef<ModuleOp> module;
  SearchReport report;
};

const char *const kVariants[] = {"searched", "data parallel", "data parallel + ZeRO 3"};

/// Searches a copy of `module` on `mesh` (variant 0: as is; 1 and 2: with data
/// parallelism's hints, parameters whole or ZeRO 3), partitions it and plans
/// its memory. The search's memory is an estimate (parameters, gradients
/// and state; after a plan that did not fit, the forward's results the
/// backward reads too); when the planned peak exceeds `budget`, the search
/// runs again asking for a plan estimated smaller by the excess, up to three
/// times. `searched`: the first attempt's search, already made (its module
/// and report are taken). Nullopt when nothing fits, with the reason in `why` (the search's
/// own message when it found no choice at all).
std::optional<Trial> searchAndPlan(ModuleOp module, StringRef name, MeshAttr mesh, int variant,
                                   const cost::ClusterSpec &cluster, const SearchOptions &options, double budget,
                                   bool planMemory, std::string &why, Trial *searched = nullptr) {
  MLIRContext *ctx = module.getContext();
  double searchBudget = budget;
  for (int attempt = 0; attempt < 4; ++attempt) {
    OwningOpRef<ModuleOp> trial;
    FailureOr<SearchReport> r = failure();
    std::string message;
    if (attempt == 0 && searched) { // this mesh's search, already made: its memory is planned here
      trial = std::move(searched->module);
      r = std::move(searched->report);
    } else {
      trial = module.clone();
      (*trial)->setAttr(kMeshAttr, mesh);
      auto f = trial->lookupSymbol<func::FuncOp>(name);
      if (variant > 0 && !hintDataParallel(f, mesh, /*zero3=*/variant == 2)) {
        why = "the batch does not divide over the mesh";
        return std::nullopt;
      }
      ScopedDiagnosticHandler capture(ctx, [&](Diagnostic &d) {
        message += (message.empty() ? "" : "\n") + d.str();
        return success();
      });
      r = searchOnMesh(*trial, f, mesh, cluster, options, searchBudget, /*countActivations=*/attempt > 0);
    }
    if (failed(r)) {
      why = attempt == 0 ? message
                         : "no choice fits once the activations are planned (the last needed more than " +
                               gib(budget) + " GiB per device)";
      return std::nullopt;
    }
    if (!planMemory) // the caller plans the memory of the candidates it may choose
      return Trial{Candidate{mesh, kVariants[variant], r->solution.seconds, -1}, std::move(trial), std::move(*r)};
    auto plan = [&](ModuleOp m) {
      ScopedDiagnosticHandler quiet(ctx, [](Diagnostic &) { return success(); });
      return partitionedPlan(m, m.lookupSymbol<func::FuncOp>(name), mesh, cluster, options.alignment);
    };
    std::optional<std::pair<PartitionedCost, PlannedMemory>> planned = plan(*trial);
    if (!planned) {
      why = "the partitioner refused the plan";
      return std::nullopt;
    }
    // The backward pass laid out by its own search (once the forward fits);
    // kept only where the program it makes fits too (else propagation's).
    if (r->training && options.backward && planned->second.total() <= budget) {
      IRMapping before;
      OwningOpRef<ModuleOp> fallback = cast<ModuleOp>(trial->getOperation()->clone(before));
      layOutBackward(trial->lookupSymbol<func::FuncOp>(name), mesh, cluster, options, *r);
      std::optional<std::pair<PartitionedCost, PlannedMemory>> again = plan(*trial);
      if (again && again->second.total() <= budget) {
        planned = again;
      } else { // the report's ops and values are the fallback's
        for (auto &[op, seconds] : r->ops)
          op = before.lookup(op);
        for (UseReport &u : r->uses) {
          u.reader = u.reader ? before.lookup(u.reader) : nullptr;
          u.value = before.lookupOrDefault(u.value);
        }
        r->backwardSeconds = 0;
        r->backwardGroups = 0;
        trial = std::move(fallback);
      }
    }
    Candidate c{mesh, kVariants[variant], r->solution.seconds, -1};
    if (options.verify) {
      c.partitioned = planned->first.seconds();
      c.partitionedCommunication = planned->first.communicationSeconds;
    }
    c.memory = planned->second;
    c.planned = true;
    r->memory = c.memory;
    r->budgetBytes = budget;
    double excess = c.memory.total() - budget;
    if (excess <= 0 || !options.planMemory)
      return Trial{c, std::move(trial), std::move(*r)};
    why = "its plan needs " + gib(c.memory.total()) + " GiB per device (parameters " +
          gib(c.memory.parameters) + ", optimizer state " + gib(c.memory.state) +
          ", activations, gradients and temporaries " + gib(c.memory.arena) + "), over the budget of " +
          gib(budget) + " GiB";
    // The first search counts parameters, gradients and state only (its
    // problem stays small); then the activations count too, and a plan the
    // search estimates at `bytes` that needed `excess` more than the budget
    // asks for one estimated at least that much smaller.
    searchBudget = attempt == 0 ? budget : r->solution.bytes - std::max(excess * 1.05, 0.01 * budget);
    if (searchBudget <= 0)
      return std::nullopt;
  }
  return std::nullopt;
}

} // namespace

FailureOr<SearchReport> searchShardings(ModuleOp module, func::FuncOp func, const cost::ClusterSpec &cluster,
                                        const SearchOptions &options) {
  // The candidates come from the ops' sharding rules: without them every op
  // would look unsplittable (callers outside a pass manager need this).
  DialectRegistry rules;
  registerShardingInterfaces(rules);
  module.getContext()->appendDialectRegistry(rules);
  MLIRContext *ctx = module.getContext();
  const double budget =
      options.memoryGib > 0 ? options.memoryGib * double(1ull << 30) : double(cluster.device.memoryBytes);
  StringRef name = func.getSymName();
  // The chosen copy's program and attributes (mesh, plan) become the module's;
  // `func` goes with the old body.
  auto adopt = [&](ModuleOp chosen) {
    module.getBodyRegion().takeBody(chosen.getBodyRegion());
    module->setAttrs(chosen->getAttrDictionary());
  };
  if (options.devices <= 0) {
    auto mesh = module->getAttrOfType<MeshAttr>(kMeshAttr);
    if (!mesh)
      return module.emitError() << "weft-auto-shard: the module has no weft.mesh; give one, or devices=N to "
                                   "choose it";
    std::string why;
    std::optional<Trial> t = searchAndPlan(module, name, mesh, 0, cluster, options, budget, options.planMemory, why);
    if (!t) {
      if (StringRef(why).starts_with("weft-auto-shard:"))
        return func.emitError() << why;
      return func.emitError() << "weft-auto-shard: no strategy on " << mesh << " fits the memory budget: " << why;
    }
    recordPlan(*t->module, t->report);
    adopt(*t->module);
    return std::move(t->report);
  }
  if (auto given = module->getAttrOfType<MeshAttr>(kMeshAttr))
    return module.emitError() << "weft-auto-shard: devices=" << options.devices
                              << " asks for a mesh, but the module already has " << given
                              << "; give one or the other";
  // Each candidate is searched on a copy; the chosen copy becomes the module
  // (its search is not run again).
  std::vector<Trial> trials;
  auto cost = [](const Candidate &c) { return c.partitioned >= 0 ? c.partitioned : c.predicted; };
  std::string whyNot; // each mesh's reason, when none fits
  // With verify every candidate is partitioned (for its cost) and its memory
  // planned; without, only the fastest predicted until one fits (with
  // planMemory off, the fastest predicted is chosen).
  auto reason = [&](MeshAttr mesh, const std::string &why) {
    StringRef need = StringRef(why).split("need at least ").second;
    whyNot += "\n  " + debugString(mesh) + ": " + (need.empty() ? why : "needs at least " + need.split(" on ").first.str());
  };
  for (MeshAttr mesh : candidateMeshes(ctx, options.devices, cluster))
    for (int v = 0; v < (options.verify ? 3 : 1); ++v) {
      std::string why;
      std::optional<Trial> t =
          searchAndPlan(module, name, mesh, v, cluster, options, budget, options.verify, why);
      if (t)
        trials.push_back(std::move(*t));
      else if (v == 0) // the baselines' reasons repeat the search's
        reason(mesh, why);
    }
  Trial *best = nullptr;
  if (options.verify) {
    for (Trial &t : trials)
      if (!best || cost(t.candidate) < cost(best->candidate))
        best = &t;
  } else if (!options.planMemory) {
    for (Trial &t : trials)
      if (!best || t.candidate.predicted < best->candidate.predicted)
        best = &t;
  } else {
    std::vector<Trial *> order;
    for (Trial &t : trials)
      order.push_back(&t);
    std::stable_sort(order.begin(), order.end(),
                     [](Trial *a, Trial *b) { return a->candidate.predicted < b->candidate.predicted; });
    for (Trial *t : order) {
      std::string why;
      std::optional<Trial> planned = searchAndPlan(module, name, t->candidate.mesh, 0, cluster, options, budget,
                                                   /*planMemory=*/true, why, /*searched=*/t);
      if (planned) {
        *t = std::move(*planned);
        best = t;
        break;
      }
      reason(t->candidate.mesh, why);
    }
  }
  if (!best)
    return module.emitError() << "weft-auto-shard: no mesh of " << options.devices
                              << " devices (dp x tp, tp within a node of " << cluster.topology.devicesPerNode
                              << ") fits the memory budget of " << gib(budget) << " GiB per device:" << whyNot;
  SearchReport report = std::move(best->report);
  ModuleOp chosen = *best->module;
  std::string listed;
  for (const Trial &t : trials) {
    const Candidate &c = t.candidate;
    report.candidates.push_back(c);
    if (c.variant == std::string(kVariants[0]))
      report.meshes.push_back({c.mesh, c.predicted});
    listed += (listed.empty() ? "" : "; ") + debugString(c.mesh) + " " + c.variant + ": " +
              std::to_string(c.predicted) + " s" +
              (c.partitioned >= 0 ? " (partitioned " + std::to_string(c.partitioned) +
                                        " s, of which communication " + std::to_string(c.partitionedCommunication) +
                                        " s)"
                                  : "") +
              (c.planned ? ", " + gib(c.memory.total()) + " GiB" : std::string()) + (&t == best ? " <- chosen" : "");
  }
  recordPlan(chosen, report, listed);
  adopt(chosen);
  return report;
}

} // namespace weft::search
