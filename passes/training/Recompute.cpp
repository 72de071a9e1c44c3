//===- Recompute.cpp - the weft-recompute pass ----------------------------===//
//
// This file implements weft-recompute, gradient checkpointing of a training
// step: for every recompute group (ops tagged `weft.recompute` by the DSL's
// RecomputeScope), the forward values computed inside the group that the
// backward pass reads are computed again from the group's inputs just before
// the backward first needs them, so the originals die during the forward
// pass. See Passes.td for the rules and why later passes keep the copies
// apart from the originals.
//
//===----------------------------------------------------------------------===//

#include "ir/AttrNames.h"
#include "passes/Passes.h"
#include "passes/analysis/CostModel.h"
#include "passes/memory/MemoryPlan.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"

#include <map>

namespace weft {
#define GEN_PASS_DEF_RECOMPUTEPASS
#include "passes/Passes.h.inc"
} // namespace weft

using namespace mlir;

namespace {

/// The top-level ops of `body` whose results `v` (a value of the body) is
/// computed from, `v`'s own producer included: the forward pass of `v`.
llvm::DenseSet<Operation *> producersOf(Block &body, Value v) {
  llvm::DenseSet<Operation *> seen;
  SmallVector<Operation *> work;
  auto visit = [&](Value operand) {
    Operation *def = operand.getDefiningOp();
    if (def && def->getBlock() == &body && seen.insert(def).second)
      work.push_back(def);
  };
  visit(v);
  while (!work.empty()) {
    Operation *op = work.pop_back_val();
    op->walk([&](Operation *nested) {
      for (Value operand : nested->getOperands())
        visit(operand);
    });
  }
  return seen;
}

/// The top-level ops of `body` whose results `op` (or an op nested in it)
/// reads.
SmallVector<Operation *> operandProducers(Block &body, Operation *op) {
  llvm::SetVector<Operation *> defs;
  op->walk([&](Operation *nested) {
    for (Value operand : nested->getOperands())
      if (Operation *def = operand.getDefiningOp(); def && def->getBlock() == &body)
        defs.insert(def);
  });
  defs.remove(op);
  return defs.takeVector();
}

/// Bytes of the arena buffers written by forward ops that a later, non-forward
/// op reads: the activations the forward pass keeps for the backward pass.
int64_t activationsKeptForBackward(Block &body, const llvm::DenseSet<Operation *> &forward,
                                   const weft::BufferLiveness &liveness) {
  llvm::DenseSet<unsigned> kept;
  for (Operation &op : body.without_terminator()) {
    if (!forward.contains(&op))
      continue;
    for (Value result : op.getResults()) {
      bool readLater = llvm::any_of(result.getUsers(), [&](Operation *user) {
        Operation *top = body.findAncestorOpInBlock(*user);
        return top && !forward.contains(top) && top != body.getTerminator();
      });
      auto it = liveness.bufferOf.find(result);
      if (readLater && it != liveness.bufferOf.end() &&
          liveness.buffers[it->second].kind != weft::BufferKind::Persistent)
        kept.insert(it->second);
    }
  }
  int64_t bytes = 0;
  for (unsigned b : kept)
    bytes += liveness.buffers[b].size;
  return bytes;
}

/// What the pass did, recorded on the function as kRecomputeSummaryAttr.
struct Summary {
  int64_t groups = 0, ops = 0, addedFlops = 0, stepFlops = 0;
  int64_t keptBefore = 0, keptAfter = 0;
};

struct RecomputePass : weft::impl::RecomputePassBase<RecomputePass> {
  using RecomputePassBase::RecomputePassBase;

  /// 1. Collect the groups: top-level ops tagged weft.recompute, by group.
  ///    Without any, the function is left as it is.
  /// 2. The forward pass is every op the `loss` output is computed from;
  ///    every other op (the backward pass, the optimizer) reads forward
  ///    values as saved activations.
  /// 3. Per group, in group order: its members are its forward ops that can
  ///    be copied (no memory effects, at least one operand: constants and
  ///    iotas are kept). A member's result read by a forward op outside the
  ///    group (or returned) is a group output: it stays, as the next group's
  ///    input. The other results the backward reads are recomputed.
  /// 4. Copy the members those results are computed from (stopping at group
  ///    inputs and outputs), in program order, just before the first
  ///    backward op that reads one of them; tag each copy weft.recomputed
  ///    (and not weft.recompute); rewire the backward's reads to the copies.
  ///    A group whose inputs are not all computed before that point (an
  ///    order where forward and backward ops interleave) is left alone.
  /// 5. Record the groups and ops copied, the FLOPs added (cost model) against
  ///    the step's, and the activation bytes kept for the backward before and
  ///    after, as the function's weft.recompute_summary.
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    if (!func.getBody().hasOneBlock()) {
      func.emitOpError("has several blocks; weft-recompute expects one");
      return signalPassFailure();
    }
    Block &body = func.getBody().front();

    // 1. Groups.
    std::map<int64_t, SmallVector<Operation *>> groups;
    for (Operation &op : body.without_terminator())
      if (auto g = op.getAttrOfType<IntegerAttr>(weft::kRecomputeAttr))
        groups[g.getInt()].push_back(&op);
    if (groups.empty())
      return;

    // 2. The forward pass.
    Value lossValue;
    Operation *terminator = body.getTerminator();
    for (unsigned i = 0; i < func.getNumResults(); ++i)
      if (auto name = func.getResultAttrOfType<StringAttr>(i, weft::kOutputAttr);
          name && name.getValue() == loss)
        lossValue = terminator->getOperand(i);
    if (!lossValue) {
      func.emitOpError("has recompute groups (weft.recompute) but no output named '")
          << loss << "'; weft-recompute tells the forward pass (what the loss is computed "
          << "from) from the backward pass by it: tag the loss with weft.output = \"" << loss
          << "\" or pass loss=<output name>";
      return signalPassFailure();
    }
    llvm::DenseSet<Operation *> forward = producersOf(body, lossValue);

    FailureOr<weft::BufferLiveness> before = weft::computeBufferLiveness(func);
    if (failed(before))
      return signalPassFailure();
    Summary summary;
    summary.keptBefore = activationsKeptForBackward(body, forward, *before);
    summary.stepFlops = weft::summarizeCost(func).total.flops;

    // 3-4. Each group.
    for (auto &[group, ops] : groups)
      recomputeGroup(body, forward, group, ops, summary);

    // 5. The summary.
    FailureOr<weft::BufferLiveness> after = weft::computeBufferLiveness(func);
    if (failed(after))
      return signalPassFailure();
    summary.keptAfter = activationsKeptForBackward(body, forward, *after);
    Builder b(func.getContext());
    auto entry = [&](StringRef name, int64_t value) {
      return b.getNamedAttr(name, b.getI64IntegerAttr(value));
    };
    func->setAttr(weft::kRecomputeSummaryAttr,
                  b.getDictionaryAttr({entry("groups", summary.groups),
                                       entry("ops", summary.ops),
                                       entry("added_flops", summary.addedFlops),
                                       entry("step_flops", summary.stepFlops),
                                       entry("kept_bytes_before", summary.keptBefore),
                                       entry("kept_bytes_after", summary.keptAfter)}));
  }

private:
  void recomputeGroup(Block &body, const llvm::DenseSet<Operation *> &forward, int64_t group,
                      ArrayRef<Operation *> ops, Summary &summary) {
    llvm::DenseSet<Operation *> members;
    for (Operation *op : ops)
      if (forward.contains(op) && op->getNumOperands() > 0 && isMemoryEffectFree(op))
        members.insert(op);
    auto isBackward = [&](Operation *user) {
      Operation *top = body.findAncestorOpInBlock(*user);
      return top && top != body.getTerminator() && !forward.contains(top);
    };

    // 3. Group outputs and the values to recompute.
    llvm::DenseSet<Value> outputs;
    SmallVector<Value> needed;
    for (Operation *op : ops) {
      if (!members.contains(op))
        continue;
      for (Value result : op->getResults()) {
        bool output = false, readByBackward = false;
        for (Operation *user : result.getUsers()) {
          Operation *top = body.findAncestorOpInBlock(*user);
          if (top && members.contains(top))
            continue;
          if (isBackward(user))
            readByBackward = true;
          else
            output = true;
        }
        if (output)
          outputs.insert(result);
        else if (readByBackward)
          needed.push_back(result);
      }
    }
    if (needed.empty())
      return;

    // 4. The members to copy, where, and whether the group's inputs are ready there.
    llvm::DenseSet<Operation *> slice;
    SmallVector<Operation *> work;
    for (Value v : needed)
      if (slice.insert(v.getDefiningOp()).second)
        work.push_back(v.getDefiningOp());
    while (!work.empty()) {
      Operation *op = work.pop_back_val();
      for (Operation *def : operandProducers(body, op)) {
        bool recomputed = members.contains(def) &&
                          llvm::none_of(def->getResults(),
                                        [&](Value r) { return outputs.contains(r); });
        if (recomputed && slice.insert(def).second)
          work.push_back(def);
      }
    }
    Operation *insertAt = nullptr;
    for (Value v : needed)
      for (Operation *user : v.getUsers())
        if (isBackward(user)) {
          Operation *top = body.findAncestorOpInBlock(*user);
          if (!insertAt || top->isBeforeInBlock(insertAt))
            insertAt = top;
        }
    for (Operation *op : slice)
      for (Operation *def : operandProducers(body, op))
        if (!slice.contains(def) && !def->isBeforeInBlock(insertAt))
          return;

    IRMapping copies;
    OpBuilder builder(insertAt);
    IntegerAttr tag = builder.getI64IntegerAttr(group);
    llvm::DenseSet<Operation *> clones;
    SmallVector<Operation *> inOrder;
    for (Operation &op : body.without_terminator())
      if (slice.contains(&op))
        inOrder.push_back(&op);
    for (Operation *op : inOrder) {
      Operation *copy = builder.clone(*op, copies);
      copy->removeAttr(weft::kRecomputeAttr);
      copy->setAttr(weft::kRecomputedAttr, tag);
      clones.insert(copy);
      summary.addedFlops += weft::estimateCost(copy).flops;
      ++summary.ops;
    }
    for (Value v : needed)
      v.replaceUsesWithIf(copies.lookup(v), [&](OpOperand &use) {
        Operation *top = body.findAncestorOpInBlock(*use.getOwner());
        return !clones.contains(top) && isBackward(use.getOwner());
      });
    ++summary.groups;
  }
};

} // namespace
