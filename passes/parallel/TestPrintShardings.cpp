//===- TestPrintShardings.cpp - weft-test-print-shardings -----------------===//
//
// This file implements the test-only printer of the shardings
// weft-propagate-sharding recorded: one line per argument, op result and
// function result, for lit tests.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "ir/AttrNames.h"
#include "passes/PassUtils.h"
#include "passes/parallel/ShardingState.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace weft {
#define GEN_PASS_DEF_TESTPRINTSHARDINGSPASS
#include "passes/Passes.h.inc"
} // namespace weft

using namespace mlir;

namespace weft {
namespace {

struct TestPrintShardingsPass : impl::TestPrintShardingsPassBase<TestPrintShardingsPass> {
  using TestPrintShardingsPassBase::TestPrintShardingsPassBase;

  void runOnOperation() override {
    func::FuncOp func = lookupFunctionOrError(getOperation(), getArgument(), function,
                                              "name the function with function=NAME");
    if (!func)
      return signalPassFailure();
    llvm::raw_ostream &os = llvm::outs();
    auto print = [&](ShardingAttr s) {
      if (s)
        os << s;
      else
        os << "none";
      os << "\n";
    };
    for (BlockArgument arg : func.getArguments()) {
      os << "arg" << arg.getArgNumber() << ": ";
      print(sharding::recordedSharding(arg));
    }
    for (Operation &op : func.getBody().front().without_terminator())
      for (OpResult r : op.getResults()) {
        os << op.getName() << "#" << r.getResultNumber() << ": ";
        print(sharding::recordedSharding(r));
      }
    for (unsigned i = 0; i < func.getNumResults(); ++i) {
      os << "result" << i << ": ";
      print(sharding::resultSharding(func, i));
    }
    os.flush();
  }
};

} // namespace
} // namespace weft
