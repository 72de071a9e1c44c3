//===- InPlaceUpdate.cpp - results written into their argument ------------===//
//
// This file implements the in-place update rules of InPlaceUpdate.h: finding
// the argument a `weft.update` result names, deciding whether its producer
// writes into the argument's storage directly, and checking that every
// reader of the argument's old value runs before that write.
//
//===----------------------------------------------------------------------===//

#include "passes/memory/InPlaceUpdate.h"

#include "ir/AttrNames.h"
#include "ir/WeftOps.h"
#include "ir/WeftStateOps.h"
#include "ir/WeftTrainingOps.h"
#include "passes/memory/MemoryPlan.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

using namespace mlir;

namespace weft {
namespace {

/// The name an argument is bound by (weft.param or weft.state), or null.
StringAttr boundName(func::FuncOp func, unsigned arg) {
  if (auto p = func.getArgAttrOfType<StringAttr>(arg, kParamAttr))
    return p;
  return func.getArgAttrOfType<StringAttr>(arg, kStateAttr);
}

/// True when `op` reads `arg` directly or through a chain of reshapes.
bool readsOldValue(Operation *op, BlockArgument arg) {
  return llvm::any_of(op->getOperands(),
                      [&](Value v) { return getStorageRoot(v) == arg; });
}

/// True for a weft.fusion that reads the elements of `arg` only at the index
/// it writes them: inside its body, everything computed from the block
/// arguments holding `arg` is computed by Elementwise ops only (no reduce or
/// broadcast reads it). The code generator lowers such a chain into one loop
/// nest whose iterations read their operand elements before writing their
/// results, and keeps (never recomputes) values other loops also need, so no
/// loop reads an element of `arg` after it was overwritten. Other parts of
/// the body (a reduction of a gradient, broadcasts of scalars) may differ.
bool isElementwiseFusionOf(FusionOp fusion, BlockArgument arg) {
  Block &body = fusion.getBody().front();
  SmallVector<Value> slice;
  for (auto [operand, blockArg] : llvm::zip(fusion.getInputs(), body.getArguments()))
    if (getStorageRoot(operand) == arg)
      slice.push_back(blockArg);
  llvm::DenseSet<Value> seen(slice.begin(), slice.end());
  for (size_t k = 0; k < slice.size(); ++k) {
    for (Operation *user : slice[k].getUsers()) {
      if (isa<YieldOp>(user))
        continue;
      if (!user->hasTrait<OpTrait::Elementwise>())
        return false;
      for (Value r : user->getResults())
        if (seen.insert(r).second)
          slice.push_back(r);
    }
  }
  return true;
}

} // namespace

bool updatesOperandInPlace(DynamicUpdateSliceOp op) {
  auto func = op->getParentOfType<func::FuncOp>();
  if (!func || op->getBlock() != &func.getBody().front())
    return false;
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  for (OpOperand &use : op.getResult().getUses())
    if (use.getOwner() == ret && isInPlaceUpdate(func, use.getOperandNumber()) &&
        getStorageRoot(op.getInput()) == getUpdatedArgument(func, use.getOperandNumber()))
      return true;
  return false;
}

BlockArgument getUpdatedArgument(func::FuncOp func, unsigned index) {
  auto name = func.getResultAttrOfType<StringAttr>(index, kUpdateAttr);
  if (!name || func.isExternal())
    return {};
  for (BlockArgument arg : func.getArguments())
    if (boundName(func, arg.getArgNumber()) == name)
      return arg;
  return {};
}

bool isInPlaceUpdate(func::FuncOp func, unsigned index) {
  BlockArgument target = getUpdatedArgument(func, index);
  if (!target)
    return false;
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  Value v = ret.getOperand(index);
  Operation *def = v.getDefiningOp();
  if (!def || isa<ReshapeOp, ConstantOp>(def) || v.getType() != target.getType())
    return false;
  if (llvm::count(ret.getOperands(), v) != 1)
    return false;
  if (!readsOldValue(def, target) || def->hasTrait<OpTrait::Elementwise>())
    return true;
  // A block written into the argument itself: the kernel writes only the
  // block and reads nothing else of the old value.
  if (auto dus = dyn_cast<DynamicUpdateSliceOp>(def))
    return getStorageRoot(dus.getInput()) == target &&
           getStorageRoot(dus.getUpdate()) != target && getStorageRoot(dus.getStart()) != target;
  // Rows added into the argument itself (a gradient accumulator += an
  // embedding's scatter_add, weft-scatter-add-into): the kernel's copy of
  // the init is then a no-op and each row is read before it is written.
  if (auto scatter = dyn_cast<ScatterAddOp>(def))
    return scatter.getInit() && getStorageRoot(scatter.getInit()) == target &&
           getStorageRoot(scatter.getUpdates()) != target &&
           getStorageRoot(scatter.getIndices()) != target;
  auto fusion = dyn_cast<FusionOp>(def);
  return fusion && isElementwiseFusionOf(fusion, target);
}

void forEachOldValueReader(func::FuncOp func,
                           function_ref<void(Operation *writer, Operation *reader)> edge) {
  if (func.isExternal())
    return;
  Block &block = func.getBody().front();
  auto ret = cast<func::ReturnOp>(block.getTerminator());
  for (unsigned i = 0; i < ret.getNumOperands(); ++i) {
    if (!isInPlaceUpdate(func, i))
      continue;
    Operation *writer = ret.getOperand(i).getDefiningOp();
    BlockArgument target = getUpdatedArgument(func, i);
    SmallVector<Value> views{target};
    for (size_t k = 0; k < views.size(); ++k) {
      for (Operation *user : views[k].getUsers()) {
        Operation *reader = block.findAncestorOpInBlock(*user);
        if (!reader || reader == ret || reader == writer)
          continue;
        if (auto reshape = dyn_cast<ReshapeOp>(reader))
          views.push_back(reshape.getResult());
        edge(writer, reader);
      }
    }
  }
}

LogicalResult verifyInPlaceUpdates(func::FuncOp func) {
  if (func.isExternal())
    return success();
  Block &block = func.getBody().front();
  auto ret = cast<func::ReturnOp>(block.getTerminator());
  llvm::DenseMap<BlockArgument, unsigned> updatedBy;
  for (unsigned i = 0; i < func.getNumResults(); ++i) {
    auto name = func.getResultAttrOfType<StringAttr>(i, kUpdateAttr);
    if (!name) {
      if (func.getResultAttr(i, kUpdateAttr))
        return func.emitOpError("result #") << i << " has a " << kUpdateAttr
                                            << " that is not a string; name the parameter or state";
      continue;
    }
    BlockArgument target = getUpdatedArgument(func, i);
    if (!target)
      return func.emitOpError("result #")
             << i << " updates '" << name.getValue()
             << "', but no argument is tagged weft.param or weft.state with that name; "
                "an update must name a parameter or optimizer state of the function";
    if (ret.getOperand(i).getType() != target.getType())
      return func.emitOpError("result #")
             << i << " updates '" << name.getValue() << "' with a value of type "
             << ret.getOperand(i).getType() << ", but the argument has type "
             << target.getType() << "; an update must keep the type";
    auto [it, inserted] = updatedBy.try_emplace(target, i);
    if (!inserted)
      return func.emitOpError("results #")
             << it->second << " and #" << i << " both update '" << name.getValue()
             << "'; return one new value per parameter or state";
    // The op that overwrites the argument in place (null: the value is
    // copied into the argument after every op).
    Operation *writer = isInPlaceUpdate(func, i) ? ret.getOperand(i).getDefiningOp() : nullptr;
    SmallVector<Value> views{target};
    for (size_t k = 0; k < views.size(); ++k) {
      for (OpOperand &use : views[k].getUses()) {
        Operation *user = block.findAncestorOpInBlock(*use.getOwner());
        if (!user)
          continue;
        if (auto reshape = dyn_cast<ReshapeOp>(user)) {
          views.push_back(reshape.getResult());
          continue;
        }
        if (user == ret) {
          unsigned r = use.getOperandNumber();
          if (getUpdatedArgument(func, r) == target)
            continue; // the update itself (an unchanged value)
          InFlightDiagnostic diag = ret.emitOpError("returns the old value of '")
                                    << name.getValue() << "' as result #" << r
                                    << ", but result #" << i
                                    << " updates it; a training step returns only new values "
                                       "(read the old one with Executor::parameter before the "
                                       "run)";
          diag.attachNote(target.getLoc()) << "'" << name.getValue() << "' is defined here";
          return diag;
        }
        if (!writer || user == writer || user->isBeforeInBlock(writer))
          continue;
        InFlightDiagnostic diag = user->emitOpError("reads the old value of '")
                                  << name.getValue()
                                  << "' after the op that updates it in place; schedule the "
                                     "update after every reader of the old value (the "
                                     "optimizer appends updates last) or compute from a copy";
        diag.attachNote(writer->getLoc()) << "the in-place update of '" << name.getValue()
                                          << "' is computed here";
        return diag;
      }
    }
  }
  return success();
}

} // namespace weft
