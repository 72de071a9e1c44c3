//===- AutoShard.cpp - the strategy search over a mesh ---------------------===//
//
// This file implements weft-auto-shard (Passes.td describes it):
//   1. load the cluster description and find the function and its mesh
//      (with devices=N: search each mesh N devices can form on a copy and
//      keep the fastest);
//   2. give each reader its own copy of cheap values (constants, scalars
//      broadcast), then build the problem of the function (search/ProgramProblem.h): nodes
//      for arguments, ops and values read twice, edges for every use, ties
//      for repeated layers;
//   3. group the tied nodes, eliminate chains exactly (search/Simplify.h)
//      and solve the rest (search/IlpSolver.h, or enumeration);
//   4. write the choice back as hints, each op's predicted seconds as
//      weft.cost, and the summary as the module's weft.plan.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "cost/ClusterSpec.h"
#include "ir/AttrNames.h"
#include "ir/sharding/ShardingInterface.h"
#include "passes/parallel/ShardingState.h"
#include "passes/parallel/search/IlpSolver.h"
#include "passes/parallel/search/ProgramProblem.h"
#include "passes/parallel/search/Simplify.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

namespace weft {
#define GEN_PASS_DEF_AUTOSHARDPASS
#include "passes/Passes.h.inc"
} // namespace weft

using namespace mlir;

namespace weft {
namespace {

struct AutoShardPass : impl::AutoShardPassBase<AutoShardPass> {
  using AutoShardPassBase::AutoShardPassBase;

  void getDependentDialects(DialectRegistry &registry) const override {
    AutoShardPassBase::getDependentDialects(registry);
    registerShardingInterfaces(registry);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    rt::StatusOr<cost::ClusterSpec> spec = cost::loadClusterSpec(cluster);
    if (!spec.isOk()) {
      module.emitError() << getArgument() << ": " << spec.status().message();
      return signalPassFailure();
    }
    if (solver != "ilp" && solver != "enumerate") {
      module.emitError() << getArgument() << ": unknown solver '" << solver << "' (ilp or enumerate)";
      return signalPassFailure();
    }
    if (devices > 0 && failed(chooseMesh(module, *spec)))
      return signalPassFailure();
    auto body = [&](func::FuncOp func, MeshAttr mesh) { return search(module, func, mesh, *spec); };
    if (failed(sharding::onFunctionWithMesh(module, getArgument(), function, body)))
      signalPassFailure();
  }

  /// The meshes `devices` devices can form: dp = N / tp by tp for every tp
  /// that divides N and fits in a node (tensor parallelism stays on the fast
  /// links); axes of size 1 are left out.
  static SmallVector<MeshAttr> candidateMeshes(MLIRContext *ctx, int64_t n, const cost::ClusterSpec &cluster) {
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

  /// Searches every candidate mesh on a copy of the module and gives the
  /// module the one with the shortest predicted step (the first on ties).
  LogicalResult chooseMesh(ModuleOp module, const cost::ClusterSpec &cluster) {
    MLIRContext *ctx = module.getContext();
    if (auto given = module->getAttrOfType<MeshAttr>(kMeshAttr))
      return module.emitError() << getArgument() << ": devices=" << devices << " asks for a mesh, but the module "
                                << "already has " << given << "; give one or the other";
    MeshAttr best;
    double bestSeconds = 0;
    std::string tried;
    for (MeshAttr mesh : candidateMeshes(ctx, devices, cluster)) {
      OwningOpRef<ModuleOp> trial = module.clone();
      (*trial)->setAttr(kMeshAttr, mesh);
      auto f = trial->lookupSymbol<func::FuncOp>(function);
      if (!f)
        return module.emitError() << getArgument() << ": no function @" << function;
      std::string text;
      llvm::raw_string_ostream os(text);
      os << mesh;
      {
        ScopedDiagnosticHandler quiet(ctx, [](Diagnostic &) { return success(); });
        if (failed(search(*trial, f, mesh, cluster))) {
          tried += (tried.empty() ? "" : "; ") + text + ": does not fit";
          continue;
        }
      }
      double seconds = (*trial)->getAttrOfType<DictionaryAttr>(kPlanAttr).getAs<FloatAttr>("seconds").getValueAsDouble();
      tried += (tried.empty() ? "" : "; ") + text + ": " + std::to_string(seconds) + " s";
      if (!best || seconds < bestSeconds) {
        best = mesh;
        bestSeconds = seconds;
      }
    }
    if (!best)
      return module.emitError() << getArgument() << ": no mesh of " << devices
                                << " devices fits the memory budget (" << tried << ")";
    module->setAttr(kMeshAttr, best);
    meshesTried_ = tried;
    return success();
  }

  LogicalResult search(ModuleOp module, func::FuncOp func, MeshAttr mesh, const cost::ClusterSpec &cluster) {
    search::copyCheapValuesPerReader(func);
    search::ProgramProblem program(func, mesh, cluster, tie);
    double budget = memoryGib > 0 ? memoryGib * double(1ull << 30) : double(cluster.device.memoryBytes);
    program.problem().memoryBudget = budget;
    std::string error;
    std::optional<search::GroupedProblem> grouped = search::groupProblem(program.problem(), error);
    if (!grouped)
      return func.emitError() << getArgument() << ": " << error;
    search::Simplified simplified(*grouped);
    const search::GroupedProblem &reduced = simplified.reduced();
    search::Solution solution;
    if (solver == "enumerate") {
      std::optional<search::Solution> all = search::solveByEnumeration(reduced);
      if (!all)
        return func.emitError() << getArgument() << ": too many combinations to enumerate ("
                                << reduced.seconds.size() << " groups after simplification); use solver=ilp";
      solution = *all;
    } else {
      search::IlpOptions options;
      options.maxSeconds = maxSeconds;
      solution = search::solveIlp(reduced, options);
    }
    if (solution.feasible) {
      solution.lowerBound += simplified.constantSeconds();
      solution.choice = simplified.expand(solution.choice);
      search::evaluate(*grouped, solution); // the exact objective over every group
    }
    if (!solution.feasible)
      return func.emitError() << getArgument() << ": no strategy fits the memory budget of "
                              << budget / double(1ull << 30) << " GiB per device; the parameters and optimizer "
                              << "state need at least " << smallestBytes(*grouped) / double(1ull << 30)
                              << " GiB per device on this mesh";

    std::vector<int> choiceOfNode;
    for (int g : grouped->groupOf)
      choiceOfNode.push_back(solution.choice[g]);
    Builder b(module.getContext());
    for (Operation &op : func.getBody().front())
      if (int n = program.nodeOf(&op); n >= 0)
        op.setAttr(kCostAttr, b.getF64FloatAttr(program.problem().nodes[n].seconds[choiceOfNode[n]]));
    program.apply(choiceOfNode);
    module->setAttr(kPlanAttr, b.getDictionaryAttr({
        b.getNamedAttr("method", b.getStringAttr(solution.method)),
        b.getNamedAttr("seconds", b.getF64FloatAttr(solution.seconds)),
        b.getNamedAttr("lower_bound", b.getF64FloatAttr(solution.lowerBound)),
        b.getNamedAttr("solve_seconds", b.getF64FloatAttr(solution.solveSeconds)),
        b.getNamedAttr("nodes", b.getI64IntegerAttr(int64_t(program.problem().nodes.size()))),
        b.getNamedAttr("groups", b.getI64IntegerAttr(int64_t(grouped->seconds.size()))),
        b.getNamedAttr("solved_groups", b.getI64IntegerAttr(int64_t(reduced.seconds.size()))),
        b.getNamedAttr("bytes", b.getF64FloatAttr(solution.bytes)),
        b.getNamedAttr("meshes", b.getStringAttr(meshesTried_)),
    }));
    return success();
  }

  std::string meshesTried_; // with devices=N: each candidate mesh and its predicted step

  /// The fewest persistent bytes per device any choice needs (each group at its smallest).
  static double smallestBytes(const search::GroupedProblem &p) {
    double sum = 0;
    for (const std::vector<double> &bytes : p.bytes)
      sum += bytes.empty() ? 0 : *std::min_element(bytes.begin(), bytes.end());
    return sum;
  }
};

} // namespace
} // namespace weft
