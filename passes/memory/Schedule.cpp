//===- Schedule.cpp - the weft-schedule pass ------------------------------===//
//
// This file implements weft-schedule, which reorders the ops of a function
// body into another topological order that lowers the peak of live arena
// bytes (see Passes.td and the buffer model in MemoryPlan.h), with a greedy
// list scheduler. Ops with memory side effects stay where they are. An op
// that updates a parameter or optimizer state in place (InPlaceUpdate.h)
// runs after every other reader of the old value. A copy made by
// weft-recompute runs after the op that preceded it in the input order.
//
//===----------------------------------------------------------------------===//

#include "ir/AttrNames.h"
#include "passes/memory/InPlaceUpdate.h"
#include "passes/memory/MemoryPlan.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <set>

namespace weft {
#define GEN_PASS_DEF_SCHEDULEPASS
#include "passes/Passes.h.inc"
} // namespace weft

using namespace mlir;

namespace {

/// The dependence graph and buffer use counts of one block, and the greedy
/// memory-aware list scheduler over it.
class MemoryScheduler {
public:
  MemoryScheduler(Block &block, const weft::BufferLiveness &liveness,
                  int64_t alignment)
      : liveness(liveness), alignment(alignment) {
    for (Operation &op : block.without_terminator()) {
      indexOf[&op] = ops.size();
      ops.push_back(&op);
    }
    const unsigned n = ops.size();
    consumers.resize(n);
    pendingDeps.assign(n, 0);
    uses.resize(n);
    owned.resize(n);
    remainingUses.assign(liveness.buffers.size(), 0);
    pinned.assign(liveness.buffers.size(), false);
    const int64_t lastStep = liveness.numSteps - 1;
    for (unsigned b = 0; b < liveness.buffers.size(); ++b) {
      const weft::LiveBuffer &buffer = liveness.buffers[b];
      pinned[b] =
          buffer.kind == weft::BufferKind::Persistent || buffer.end == lastStep;
      if (auto result = dyn_cast<OpResult>(buffer.value))
        owned[indexOf[result.getOwner()]].push_back(b);
    }
    for (unsigned i = 0; i < n; ++i) {
      std::set<unsigned> deps, buffers;
      ops[i]->walk([&](Operation *nested) {
        for (Value operand : nested->getOperands()) {
          auto it = liveness.bufferOf.find(operand);
          if (it != liveness.bufferOf.end())
            buffers.insert(it->second);
          Operation *def = operand.getDefiningOp();
          if (def && def->getBlock() == &block && def != ops[i])
            deps.insert(indexOf[def]);
        }
      });
      for (unsigned d : deps)
        consumers[d].push_back(i);
      pendingDeps[i] = deps.size();
      uses[i].assign(buffers.begin(), buffers.end());
      for (unsigned b : buffers)
        ++remainingUses[b];
    }
    // Copies made by weft-recompute wait for the op that preceded their run
    // of copies (a backward op): recomputing earlier would keep the copies
    // alive through the forward pass, which is what they exist to avoid.
    Operation *anchor = nullptr;
    for (unsigned i = 0; i < n; ++i) {
      if (!ops[i]->hasAttr(weft::kRecomputedAttr)) {
        anchor = ops[i];
        continue;
      }
      if (anchor) {
        consumers[indexOf[anchor]].push_back(i);
        ++pendingDeps[i];
      }
    }
    // In-place updates wait for the readers of the value they overwrite.
    weft::forEachOldValueReader(
        cast<func::FuncOp>(block.getParentOp()), [&](Operation *writer, Operation *reader) {
          consumers[indexOf[reader]].push_back(indexOf[writer]);
          ++pendingDeps[indexOf[writer]];
        });
  }

  /// 1. Split the ops at ops with side effects (barriers, kept in place).
  /// 2. Within each segment, repeatedly run the ready op that frees the most
  ///    bytes net of what it allocates (ties: the earlier op).
  std::vector<Operation *> schedule() {
    std::vector<Operation *> order;
    unsigned segmentStart = 0;
    for (unsigned i = 0; i <= ops.size(); ++i) {
      if (i < ops.size() && isMemoryEffectFree(ops[i]))
        continue;
      scheduleSegment(segmentStart, i, order);
      if (i < ops.size())
        run(i, order);
      segmentStart = i + 1;
    }
    return order;
  }

private:
  /// Bytes the live set shrinks by (negative: grows) once op `i` has run.
  int64_t netFreed(unsigned i) const {
    int64_t net = 0;
    for (unsigned b : uses[i])
      if (remainingUses[b] == 1 && !pinned[b])
        net += bytes(b);
    for (unsigned b : owned[i])
      if (liveness.buffers[b].kind != weft::BufferKind::Persistent &&
          (remainingUses[b] != 0 || pinned[b]))
        net -= bytes(b);
    return net;
  }

  int64_t bytes(unsigned b) const {
    return weft::alignBytes(liveness.buffers[b].size, alignment);
  }

  void run(unsigned i, std::vector<Operation *> &order) {
    order.push_back(ops[i]);
    for (unsigned b : uses[i])
      --remainingUses[b];
    for (unsigned c : consumers[i])
      if (--pendingDeps[c] == 0 && c >= currentStart && c < currentEnd)
        ready.insert(c);
  }

  void scheduleSegment(unsigned begin, unsigned end,
                       std::vector<Operation *> &order) {
    currentStart = begin;
    currentEnd = end;
    ready.clear();
    for (unsigned i = begin; i < end; ++i)
      if (pendingDeps[i] == 0)
        ready.insert(i);
    while (!ready.empty()) {
      unsigned best = *ready.begin();
      int64_t bestNet = netFreed(best);
      for (unsigned i : ready) {
        int64_t net = netFreed(i);
        if (net > bestNet) {
          best = i;
          bestNet = net;
        }
      }
      ready.erase(best);
      run(best, order);
    }
    currentStart = currentEnd = 0;
  }

  const weft::BufferLiveness &liveness;
  int64_t alignment;
  std::vector<Operation *> ops;
  llvm::DenseMap<Operation *, unsigned> indexOf;
  std::vector<std::vector<unsigned>> consumers, uses, owned;
  std::vector<unsigned> pendingDeps, remainingUses;
  std::vector<bool> pinned;
  std::set<unsigned> ready;
  unsigned currentStart = 0, currentEnd = 0;
};

void applyOrder(Block &block, ArrayRef<Operation *> order) {
  Operation *terminator = block.getTerminator();
  for (Operation *op : order)
    op->moveBefore(terminator);
}

struct SchedulePass : weft::impl::SchedulePassBase<SchedulePass> {
  using SchedulePassBase::SchedulePassBase;

  /// 1. Compute the buffers' liveness and the peak over the current order.
  /// 2. Build a new order with the greedy list scheduler and apply it.
  /// 3. Keep it only if its peak is lower; otherwise restore the old order.
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    if (alignment <= 0 || (alignment & (alignment - 1)) != 0 || alignment > weft::kMaxPlanAlignment) {
      func.emitError("weft-schedule alignment must be a power of two, got ")
          << alignment.getValue() << "; hint: use 64 for CPU or 256 for GPU (at most 2^20)";
      return signalPassFailure();
    }
    FailureOr<weft::BufferLiveness> before = weft::computeBufferLiveness(func);
    if (failed(before))
      return signalPassFailure();
    Block &block = func.getBody().front();
    std::vector<Operation *> original;
    for (Operation &op : block.without_terminator())
      original.push_back(&op);

    applyOrder(block, MemoryScheduler(block, *before, alignment).schedule());

    FailureOr<weft::BufferLiveness> after = weft::computeBufferLiveness(func);
    if (failed(after) || weft::computePeakLiveBytes(*after, alignment) >=
                             weft::computePeakLiveBytes(*before, alignment))
      applyOrder(block, original);
  }
};

} // namespace
