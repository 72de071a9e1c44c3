//===- Search.cpp - searching, choosing the mesh, reporting ----------------===//
//
// This file implements searchShardings (Search.h):
//   1. with devices = N: search each mesh N devices can form (dp x tp, tp
//      dividing N and within a node) on a copy of the module, keep the
//      fastest as the module's mesh;
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
#include "passes/parallel/search/IlpSolver.h"
#include "passes/parallel/search/Simplify.h"

#include "mlir/IR/Builders.h"
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

std::string text(Attribute a) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << a;
  return s;
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
  module->setAttr(kPlanAttr, b.getDictionaryAttr({
      b.getNamedAttr("method", b.getStringAttr(solution.method)),
      b.getNamedAttr("seconds", b.getF64FloatAttr(solution.seconds)),
      b.getNamedAttr("lower_bound", b.getF64FloatAttr(solution.lowerBound)),
      b.getNamedAttr("solve_seconds", b.getF64FloatAttr(solution.solveSeconds)),
      b.getNamedAttr("nodes", b.getI64IntegerAttr(report.nodes)),
      b.getNamedAttr("groups", b.getI64IntegerAttr(report.groups)),
      b.getNamedAttr("solved_groups", b.getI64IntegerAttr(report.solvedGroups)),
      b.getNamedAttr("bytes", b.getF64FloatAttr(solution.bytes)),
  }));
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
  std::vector<std::pair<MeshAttr, double>> tried;
  MeshAttr best;
  double bestSeconds = 0;
  StringRef name = func.getSymName();
  std::string whyNot; // each mesh's reason, when none fits
  for (MeshAttr mesh : candidateMeshes(ctx, options.devices, cluster)) {
    OwningOpRef<ModuleOp> trial = module.clone();
    (*trial)->setAttr(kMeshAttr, mesh);
    FailureOr<SearchReport> r = failure();
    {
      ScopedDiagnosticHandler quiet(ctx, [&](Diagnostic &d) {
        std::string message = d.str();
        StringRef need = StringRef(message).split("need at least ").second;
        whyNot += "\n  " + text(mesh) + ": " + (need.empty() ? message : "needs at least " + need.split(" on ").first.str());
        return success();
      });
      r = searchOnMesh(*trial, trial->lookupSymbol<func::FuncOp>(name), mesh, cluster, options);
    }
    if (failed(r))
      continue; // does not fit
    tried.push_back({mesh, r->solution.seconds});
    if (!best || r->solution.seconds < bestSeconds) {
      best = mesh;
      bestSeconds = r->solution.seconds;
    }
  }
  if (!best)
    return module.emitError() << "weft-auto-shard: no mesh of " << options.devices
                              << " devices (dp x tp, tp within a node of " << cluster.topology.devicesPerNode
                              << ") fits the memory budget of "
                              << gib(options.memoryGib > 0 ? options.memoryGib * double(1ull << 30)
                                                           : double(cluster.device.memoryBytes))
                              << " GiB per device:" << whyNot;
  module->setAttr(kMeshAttr, best);
  FailureOr<SearchReport> report = searchOnMesh(module, func, best, cluster, options);
  if (failed(report))
    return failure();
  report->meshes = tried;
  std::string listed;
  for (auto &[mesh, seconds] : tried)
    listed += (listed.empty() ? "" : "; ") + text(mesh) + ": " + std::to_string(seconds) + " s";
  auto plan = module->getAttrOfType<DictionaryAttr>(kPlanAttr);
  NamedAttrList attrs(plan);
  attrs.set("meshes", StringAttr::get(ctx, listed));
  module->setAttr(kPlanAttr, attrs.getDictionary(ctx));
  return report;
}

} // namespace weft::search
