//===- ScatterAddInto.cpp - the weft-scatter-add-into pass ----------------===//
//
// This file implements weft-scatter-add-into, which turns the sum of a
// tensor and a scatter_add into a zero table into one scatter_add into that
// tensor (see Passes.td), so that a tied embedding's gradient is built in
// one table-sized buffer instead of three.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "ir/WeftOps.h"
#include "ir/WeftTrainingOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

namespace weft {
#define GEN_PASS_DEF_SCATTERADDINTOPASS
#include "passes/Passes.h.inc"
} // namespace weft

using namespace mlir;
using namespace weft;

namespace {

/// The scatter_add into a zero table that `v` is, when `v` has `user` as its
/// only use; null otherwise.
ScatterAddOp zeroTableScatterUsedOnlyBy(Value v, Operation *user) {
  auto scatter = v.getDefiningOp<ScatterAddOp>();
  if (!scatter || scatter.getInit() || !v.hasOneUse() || *v.getUsers().begin() != user)
    return {};
  return scatter;
}

struct ScatterAddIntoPass : weft::impl::ScatterAddIntoPassBase<ScatterAddIntoPass> {
  /// 1. Collect the weft.add ops (in program order).
  /// 2. For each whose operand is a scatter_add into a zero table used by
  ///    this add only (and of the add's type), build the scatter_add with the
  ///    other operand as its init at the add, and erase the add and the old
  ///    scatter_add. A sum of several scatter_adds becomes a chain: each
  ///    later add finds the earlier rewrite's result as its other operand.
  void runOnOperation() override {
    SmallVector<AddOp> adds;
    getOperation().walk([&](AddOp add) { adds.push_back(add); });
    for (AddOp add : adds) {
      Value lhs = add.getLhs(), rhs = add.getRhs();
      ScatterAddOp scatter = zeroTableScatterUsedOnlyBy(rhs, add);
      Value init = lhs;
      if (!scatter) {
        scatter = zeroTableScatterUsedOnlyBy(lhs, add);
        init = rhs;
      }
      if (!scatter || init == scatter.getResult() || init.getType() != add.getType() ||
          scatter.getType() != add.getType())
        continue;
      OpBuilder b(add);
      auto into = b.create<ScatterAddOp>(scatter.getLoc(), scatter.getType(), scatter.getUpdates(),
                                         scatter.getIndices(), init);
      into->setDiscardableAttrs(scatter->getDiscardableAttrDictionary());
      add.replaceAllUsesWith(into.getResult());
      add.erase();
      scatter.erase();
    }
  }
};

} // namespace
