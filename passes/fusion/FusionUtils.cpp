//===- FusionUtils.cpp - helpers shared by the fusion passes --------------===//
//
// This file implements the IR helpers of FusionUtils.h used by the fusion
// passes: splat-constant reading through broadcasts, commutative operand
// matching, single-use queries and dead-op cleanup.
//
//===----------------------------------------------------------------------===//

#include "passes/fusion/FusionUtils.h"

#include "ir/AttrNames.h"
#include "ir/WeftOps.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;

namespace weft::fusion {

std::optional<double> getSplatFloat(Value v) {
  while (auto b = v.getDefiningOp<BroadcastOp>())
    v = b.getInput();
  Attribute attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  auto dense = dyn_cast<DenseElementsAttr>(attr);
  if (!dense || !dense.isSplat() || !isa<FloatType>(dense.getElementType()))
    return std::nullopt;
  APFloat value = dense.getSplatValue<APFloat>();
  bool losesInfo = false;
  value.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &losesInfo);
  return value.convertToDouble();
}

Value otherOperand(Operation *op, Value v) {
  if (!op || op->getNumOperands() != 2)
    return {};
  Value a = op->getOperand(0), b = op->getOperand(1);
  if (a == v && b != v)
    return b;
  if (b == v && a != v)
    return a;
  return {};
}

Operation *singleUser(Value v) {
  if (!v || !v.hasOneUse())
    return nullptr;
  return *v.user_begin();
}

void appendProducerChain(Value v, SmallVectorImpl<Operation *> &ops) {
  while (Operation *op = v.getDefiningOp()) {
    ops.push_back(op);
    auto b = dyn_cast<BroadcastOp>(op);
    if (!b)
      break;
    v = b.getInput();
  }
}

Location fusedLoc(ArrayRef<Operation *> ops, Builder &b) {
  SmallVector<Location> locs;
  for (Operation *op : ops)
    locs.push_back(op->getLoc());
  return b.getFusedLoc(locs);
}

void inheritRecomputeGroup(Operation *fused, ArrayRef<Operation *> ops) {
  IntegerAttr group;
  for (Operation *op : ops) {
    if (op->getNumOperands() == 0)
      continue;
    auto g = op->getAttrOfType<IntegerAttr>(kRecomputeAttr);
    if (!g || (group && g != group))
      return;
    group = g;
  }
  if (group)
    fused->setAttr(kRecomputeAttr, group);
}

void eraseDeadOps(ArrayRef<Operation *> candidates, RewriterBase &rewriter,
                  llvm::DenseSet<Operation *> &pending) {
  llvm::SetVector<Operation *> todo(candidates.begin(), candidates.end());
  llvm::DenseSet<Operation *> erased;
  bool progress = true;
  while (progress) {
    progress = false;
    for (Operation *op : todo) {
      if (erased.contains(op) || !op->use_empty() || !isMemoryEffectFree(op))
        continue;
      erased.insert(op);
      pending.erase(op);
      rewriter.eraseOp(op);
      progress = true;
    }
  }
}

} // namespace weft::fusion
