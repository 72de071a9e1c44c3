//===- AutoShard.cpp - the strategy search over a mesh ---------------------===//
//
// This file implements weft-auto-shard (Passes.td describes it): it loads
// the cluster description and runs search::searchShardings
// (search/Search.h), which does the work and writes the hints.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "cost/ClusterSpec.h"
#include "ir/sharding/ShardingInterface.h"
#include "passes/parallel/search/Search.h"

#include "mlir/IR/BuiltinOps.h"

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
    auto func = module.lookupSymbol<func::FuncOp>(function);
    if (!func) {
      module.emitError() << getArgument() << ": no function @" << function;
      return signalPassFailure();
    }
    search::SearchOptions options;
    options.memoryGib = memoryGib;
    options.maxSeconds = maxSeconds;
    options.tie = tie;
    options.solver = solver;
    options.devices = devices;
    options.verify = verify;
    options.alignment = alignment;
    if (failed(search::searchShardings(module, func, *spec, options)))
      signalPassFailure();
  }
};

} // namespace
} // namespace weft
