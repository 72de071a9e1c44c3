//===- TestPrintStepCost.cpp - print one rank's predicted cost (test only) -===//
//
// This file implements weft-test-print-step-cost (Passes.td describes it):
// search::partitionedCost over a function, summed per op kind.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/PassUtils.h"

#include "cost/ClusterSpec.h"
#include "ir/AttrNames.h"
#include "ir/Sharding.h"
#include "passes/parallel/search/PartitionedCost.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

namespace weft {
#define GEN_PASS_DEF_TESTPRINTSTEPCOSTPASS
#include "passes/Passes.h.inc"
} // namespace weft

using namespace mlir;

namespace weft {
namespace {

struct KindTotal {
  int64_t count = 0;
  double seconds = 0, wireBytes = 0;
};

struct TestPrintStepCostPass : impl::TestPrintStepCostPassBase<TestPrintStepCostPass> {
  using TestPrintStepCostPassBase::TestPrintStepCostPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp func = lookupFunctionOrError(module, getArgument(), function, "give function=NAME for another");
    if (!func)
      return signalPassFailure();
    rt::StatusOr<cost::ClusterSpec> spec = cost::loadClusterSpec(cluster);
    if (!spec.isOk()) {
      module.emitError() << getArgument() << ": cluster '" << cluster << "': " << spec.status().message();
      return signalPassFailure();
    }
    auto mesh = module->getAttrOfType<MeshAttr>(kMeshAttr);
    llvm::raw_ostream &os = llvm::outs();
    os << "step cost @" << function << " on " << (mesh ? "mesh " : "one device");
    if (mesh)
      os << mesh;
    os << " (cluster " << cluster << ")\n";

    llvm::MapVector<StringRef, KindTotal> kinds;
    search::PartitionedCost total = search::partitionedCost(
        func, mesh, *spec, [&](Operation *op, double seconds, double wireBytes) {
          KindTotal &k = kinds[op->getName().getStringRef()];
          ++k.count;
          k.seconds += seconds;
          k.wireBytes += wireBytes;
          if (perOp)
            os << "  " << op->getName() << " " << llvm::format("%.6g", seconds) << " s"
               << (wireBytes > 0 ? " sends " + std::to_string(int64_t(wireBytes)) + " B" : std::string()) << "\n";
        });
    for (auto &[name, k] : kinds) {
      os << "  " << name << " count " << k.count << " seconds " << llvm::format("%.6g", k.seconds);
      if (k.wireBytes > 0)
        os << " bytes " << int64_t(k.wireBytes);
      os << "\n";
    }
    os << "compute " << llvm::format("%.6g", total.computeSeconds) << " communication "
       << llvm::format("%.6g", total.communicationSeconds) << " total " << llvm::format("%.6g", total.seconds())
       << "\n";
  }
};

} // namespace
} // namespace weft
