//===- TestPrintStrategy.cpp - print weft-auto-shard's choice (test only) --===//
//
// This file implements weft-test-print-strategy (Passes.td describes it).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "ir/AttrNames.h"
#include "ir/Sharding.h"
#include "passes/PassUtils.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

namespace weft {
#define GEN_PASS_DEF_TESTPRINTSTRATEGYPASS
#include "passes/Passes.h.inc"
} // namespace weft

using namespace mlir;

namespace weft {
namespace {

struct TestPrintStrategyPass : impl::TestPrintStrategyPassBase<TestPrintStrategyPass> {
  using TestPrintStrategyPassBase::TestPrintStrategyPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp func = lookupFunctionOrError(module, getArgument(), function, "give function=NAME for another");
    if (!func)
      return signalPassFailure();
    llvm::raw_ostream &os = llvm::outs();
    if (auto plan = module->getAttrOfType<DictionaryAttr>(kPlanAttr)) {
      auto number = [&](StringRef key) {
        auto f = plan.getAs<FloatAttr>(key);
        return f ? f.getValueAsDouble() : 0.0;
      };
      os << "plan: " << plan.getAs<StringAttr>("method").getValue() << ", "
         << llvm::format("%.6g", number("seconds")) << " s, bound " << llvm::format("%.6g", number("lower_bound"))
         << " s, " << plan.getAs<IntegerAttr>("nodes").getInt() << " nodes, "
         << plan.getAs<IntegerAttr>("groups").getInt() << " groups, "
         << plan.getAs<IntegerAttr>("solved_groups").getInt() << " solved\n";
    }
    for (BlockArgument arg : func.getArguments())
      if (auto s = func.getArgAttrOfType<ShardingAttr>(arg.getArgNumber(), kShardingAttr))
        os << "arg" << arg.getArgNumber() << ": " << s << "\n";
    for (Operation &op : func.getBody().front()) {
      auto shardings = op.getAttrOfType<ArrayAttr>(kShardingsAttr);
      if (!shardings)
        continue;
      os << op.getName() << ":";
      for (Attribute s : shardings)
        os << " " << s;
      if (auto cost = op.getAttrOfType<FloatAttr>(kCostAttr))
        os << " cost " << llvm::format("%.4g", cost.getValueAsDouble());
      os << "\n";
    }
  }
};

} // namespace
} // namespace weft
