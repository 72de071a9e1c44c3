//===- MemoryPlan.cpp - arena offsets of a function's buffers -------------===//
//
// This file implements the offset half of weft's memory planning: in-place
// reuse for elementwise ops and a scatter_add's init, the persistent region,
// the packing of the other buffers into the smallest arena found by several
// greedy placements, and the attributes that record a plan on the IR (write,
// read, clear).
//
//===----------------------------------------------------------------------===//

#include "passes/memory/MemoryPlan.h"

#include "ir/AttrNames.h"
#include "ir/WeftOps.h"
#include "ir/WeftTrainingOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <numeric>

using namespace mlir;

namespace weft {
namespace {

/// A set of buffers sharing one storage (an in-place chain), to be placed.
struct Slot {
  int64_t size = 0; // rounded up to the alignment
  int64_t start = 0, end = 0;
};

/// Union-find over buffer indices, to merge in-place chains.
struct DisjointSets {
  std::vector<unsigned> parent;
  explicit DisjointSets(unsigned n) : parent(n) {
    std::iota(parent.begin(), parent.end(), 0u);
  }
  unsigned find(unsigned x) {
    while (parent[x] != x)
      x = parent[x] = parent[parent[x]];
    return x;
  }
  void unite(unsigned a, unsigned b) { parent[find(a)] = find(b); }
};

/// The operands whose storage the result of `op` may take: every operand of
/// an Elementwise op, the init of a weft.scatter_add (its kernel copies the
/// init into the result element by element before adding rows), none else.
SmallVector<Value> inPlaceDonors(Operation *op) {
  if (op->hasTrait<OpTrait::Elementwise>())
    return SmallVector<Value>(op->getOperands());
  if (auto scatter = dyn_cast<ScatterAddOp>(op); scatter && scatter.getInit())
    return {scatter.getInit()};
  return {};
}

/// Finds in-place pairs: the result of an op of inPlaceDonors() takes the
/// storage of such an operand buffer (an input or temporary) with the same
/// byte size and element count that dies at that op. Each dying buffer is
/// given away once, and each result takes at most one.
void mergeInPlace(const BufferLiveness &liveness, DisjointSets &sets) {
  std::vector<bool> donated(liveness.buffers.size(), false);
  for (unsigned index = 0; index < liveness.buffers.size(); ++index) {
    const LiveBuffer &buffer = liveness.buffers[index];
    if (buffer.kind != BufferKind::Temporary &&
        buffer.kind != BufferKind::Output)
      continue;
    Operation *op = buffer.value.getDefiningOp();
    if (!op)
      continue;
    int64_t elements =
        cast<ShapedType>(buffer.value.getType()).getNumElements();
    for (Value operand : inPlaceDonors(op)) {
      auto it = liveness.bufferOf.find(operand);
      if (it == liveness.bufferOf.end())
        continue;
      unsigned donor = it->second;
      const LiveBuffer &dying = liveness.buffers[donor];
      if (donated[donor] || dying.end != buffer.start ||
          (dying.kind != BufferKind::Input &&
           dying.kind != BufferKind::Temporary) ||
          dying.size != buffer.size ||
          cast<ShapedType>(operand.getType()).getNumElements() != elements)
        continue;
      donated[donor] = true;
      sets.unite(index, donor);
      break;
    }
  }
}

/// Places `slots` in the order `order`, each at an offset that overlaps no
/// already placed slot with an intersecting live range: the lowest such offset
/// (first fit) or the one in the tightest gap (best fit). Returns the highest
/// byte used and fills `offsets`.
int64_t placeSlots(const std::vector<Slot> &slots,
                   const std::vector<unsigned> &order, bool bestFit,
                   std::vector<int64_t> &offsets) {
  offsets.assign(slots.size(), -1);
  std::vector<unsigned> placed;
  std::vector<std::pair<int64_t, int64_t>> busy;
  int64_t top = 0;
  for (unsigned index : order) {
    const Slot &slot = slots[index];
    busy.clear();
    for (unsigned other : placed) {
      const Slot &o = slots[other];
      if (o.start <= slot.end && slot.start <= o.end && o.size > 0)
        busy.push_back({offsets[other], offsets[other] + o.size});
    }
    std::sort(busy.begin(), busy.end());
    int64_t cursor = 0, chosen = -1;
    int64_t tightest = std::numeric_limits<int64_t>::max();
    for (auto [begin, end] : busy) {
      int64_t gap = begin - cursor;
      if (gap > 0 && gap >= slot.size) {
        if (!bestFit) {
          chosen = cursor;
          break;
        }
        if (gap < tightest) {
          tightest = gap;
          chosen = cursor;
        }
      }
      cursor = std::max(cursor, end);
    }
    if (chosen < 0)
      chosen = cursor;
    offsets[index] = chosen;
    top = std::max(top, chosen + slot.size);
    placed.push_back(index);
  }
  return top;
}

/// Tries several placement orders with first fit and best fit and keeps the
/// smallest region (the first one found on ties, so the result is stable).
int64_t packSlots(const std::vector<Slot> &slots,
                  std::vector<int64_t> &offsets) {
  using Less = std::function<bool(const Slot &, const Slot &)>;
  auto length = [](const Slot &s) { return s.end - s.start + 1; };
  const Less orders[] = {
      // Largest first (TFLite's greedy by size), earlier first on ties.
      [](const Slot &a, const Slot &b) {
        return a.size != b.size ? a.size > b.size : a.start < b.start;
      },
      // Largest size x lifetime first.
      [&](const Slot &a, const Slot &b) {
        return a.size * length(a) > b.size * length(b);
      },
      // Longest lived first, then largest.
      [&](const Slot &a, const Slot &b) {
        return length(a) != length(b) ? length(a) > length(b) : a.size > b.size;
      },
      // In order of birth (a linear scan), larger first on ties.
      [](const Slot &a, const Slot &b) {
        return a.start != b.start ? a.start < b.start : a.size > b.size;
      },
  };
  int64_t best = std::numeric_limits<int64_t>::max();
  std::vector<int64_t> trial;
  for (const Less &less : orders) {
    std::vector<unsigned> order(slots.size());
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(), [&](unsigned a, unsigned b) {
      return less(slots[a], slots[b]);
    });
    for (bool bestFit : {false, true}) {
      int64_t top = placeSlots(slots, order, bestFit, trial);
      if (top < best) {
        best = top;
        offsets = trial;
      }
    }
  }
  return slots.empty() ? 0 : best;
}

/// Adds an Alias entry for every reshape result that shares a planned buffer.
void addAliases(const BufferLiveness &liveness, MemoryPlan &plan) {
  for (auto &[value, index] : liveness.bufferOf) {
    const LiveBuffer &owner = liveness.buffers[index];
    if (value == owner.value)
      continue;
    BufferAssignment alias = plan.assignments.lookup(owner.value);
    alias.kind = BufferKind::Alias;
    plan.assignments[value] = alias;
  }
}

bool isPowerOfTwo(int64_t x) { return x > 0 && (x & (x - 1)) == 0; }

} // namespace

FailureOr<MemoryPlan> computeMemoryPlan(func::FuncOp func,
                                        const MemoryPlanOptions &options) {
  if (!isPowerOfTwo(options.alignment) || options.alignment > kMaxPlanAlignment) {
    func.emitError("memory plan alignment must be a power of two, got ")
        << options.alignment << "; hint: use 64 for CPU or 256 for GPU (at most 2^20)";
    return failure();
  }
  FailureOr<BufferLiveness> liveness = computeBufferLiveness(func);
  if (failed(liveness))
    return failure();
  const std::vector<LiveBuffer> &buffers = liveness->buffers;
  const int64_t alignment = options.alignment;
  MemoryPlan plan;
  plan.alignment = alignment;

  // 1. In-place chains share one slot.
  DisjointSets sets(buffers.size());
  mergeInPlace(*liveness, sets);

  // 2. Persistent buffers first, back to back.
  std::vector<int64_t> offsetOf(buffers.size(), -1);
  for (unsigned i = 0; i < buffers.size(); ++i) {
    if (buffers[i].kind != BufferKind::Persistent)
      continue;
    offsetOf[i] = plan.persistentSize;
    plan.persistentSize += alignBytes(buffers[i].size, alignment);
  }

  // 3. One slot per in-place chain, covering its members' lifetimes.
  std::vector<Slot> slots;
  std::vector<int> slotOfRoot(buffers.size(), -1);
  std::vector<int> slotOf(buffers.size(), -1);
  for (unsigned i = 0; i < buffers.size(); ++i) {
    if (buffers[i].kind == BufferKind::Persistent)
      continue;
    unsigned root = sets.find(i);
    if (slotOfRoot[root] < 0) {
      slotOfRoot[root] = slots.size();
      slots.push_back({0, buffers[i].start, buffers[i].end});
    }
    Slot &slot = slots[slotOfRoot[root]];
    slot.size = std::max(slot.size, alignBytes(buffers[i].size, alignment));
    slot.start = std::min(slot.start, buffers[i].start);
    slot.end = std::max(slot.end, buffers[i].end);
    slotOf[i] = slotOfRoot[root];
  }

  // 4. Pack the slots above the persistent region.
  std::vector<int64_t> slotOffsets;
  int64_t reusable = packSlots(slots, slotOffsets);
  plan.arenaSize = alignBytes(plan.persistentSize + reusable, alignment);

  for (unsigned i = 0; i < buffers.size(); ++i) {
    BufferAssignment assignment;
    assignment.size = buffers[i].size;
    assignment.kind = buffers[i].kind;
    assignment.offset = slotOf[i] >= 0
                            ? plan.persistentSize + slotOffsets[slotOf[i]]
                            : offsetOf[i];
    plan.assignments[buffers[i].value] = assignment;
  }
  addAliases(*liveness, plan);
  return plan;
}

void clearMemoryPlan(func::FuncOp func) {
  func->removeAttr(kArenaSizeAttr);
  func->removeAttr(kArenaPersistentSizeAttr);
  func->removeAttr(kArenaAlignmentAttr);
  if (func.isExternal())
    return;
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    func.removeArgAttr(i, kOffsetAttr);
  for (Operation &op : func.getBody().front())
    op.removeAttr(kOffsetAttr);
}

void writeMemoryPlan(func::FuncOp func, const MemoryPlan &plan) {
  clearMemoryPlan(func);
  if (func.isExternal())
    return;
  Builder builder(func.getContext());
  Block &block = func.getBody().front();
  for (BlockArgument arg : block.getArguments()) {
    auto it = plan.assignments.find(arg);
    if (it != plan.assignments.end())
      func.setArgAttr(arg.getArgNumber(), kOffsetAttr,
                      builder.getI64IntegerAttr(it->second.offset));
  }
  for (Operation &op : block.without_terminator()) {
    if (isa<ReshapeOp>(op) || op.getNumResults() == 0)
      continue;
    SmallVector<int64_t> offsets;
    for (Value result : op.getResults()) {
      auto it = plan.assignments.find(result);
      offsets.push_back(it == plan.assignments.end() ? -1 : it->second.offset);
    }
    if (llvm::all_of(offsets, [](int64_t o) { return o < 0; }))
      continue; // no arena storage (an in-place update)
    if (offsets.size() == 1)
      op.setAttr(kOffsetAttr, builder.getI64IntegerAttr(offsets[0]));
    else
      op.setAttr(kOffsetAttr, builder.getDenseI64ArrayAttr(offsets));
  }
  func->setAttr(kArenaSizeAttr, builder.getI64IntegerAttr(plan.arenaSize));
  func->setAttr(kArenaPersistentSizeAttr,
                builder.getI64IntegerAttr(plan.persistentSize));
  func->setAttr(kArenaAlignmentAttr, builder.getI64IntegerAttr(plan.alignment));
}

std::optional<MemoryPlan> readMemoryPlan(func::FuncOp func) {
  auto arena = func->getAttrOfType<IntegerAttr>(kArenaSizeAttr);
  if (!arena)
    return std::nullopt;
  auto persistent = func->getAttrOfType<IntegerAttr>(kArenaPersistentSizeAttr);
  auto alignment = func->getAttrOfType<IntegerAttr>(kArenaAlignmentAttr);
  if (!persistent || !alignment || !isPowerOfTwo(alignment.getInt())) {
    func.emitError("memory plan of '@")
        << func.getSymName() << "' lacks " << kArenaPersistentSizeAttr
        << " or a power-of-two " << kArenaAlignmentAttr
        << "; hint: run weft-plan-memory again";
    return std::nullopt;
  }
  FailureOr<BufferLiveness> liveness = computeBufferLiveness(func);
  if (failed(liveness))
    return std::nullopt;
  MemoryPlan plan;
  plan.arenaSize = arena.getInt();
  plan.persistentSize = persistent.getInt();
  plan.alignment = alignment.getInt();

  for (const LiveBuffer &buffer : liveness->buffers) {
    std::optional<int64_t> offset;
    Operation *where;
    if (auto arg = dyn_cast<BlockArgument>(buffer.value)) {
      where = func;
      if (auto attr = func.getArgAttrOfType<IntegerAttr>(arg.getArgNumber(),
                                                         kOffsetAttr))
        offset = attr.getInt();
    } else {
      auto result = cast<OpResult>(buffer.value);
      where = result.getOwner();
      Attribute attr = where->getAttr(kOffsetAttr);
      if (auto single = dyn_cast_or_null<IntegerAttr>(attr);
          single && where->getNumResults() == 1)
        offset = single.getInt();
      else if (auto many = dyn_cast_or_null<DenseI64ArrayAttr>(attr);
               many && many.size() == (int64_t)where->getNumResults())
        offset = many[result.getResultNumber()];
    }
    if (!offset) {
      InFlightDiagnostic diag = where->emitError();
      if (auto arg = dyn_cast<BlockArgument>(buffer.value))
        diag << "argument #" << arg.getArgNumber();
      else
        diag << "'" << where->getName() << "' op result #"
             << cast<OpResult>(buffer.value).getResultNumber();
      diag << " has no " << kOffsetAttr
           << " although its function has a memory plan; hint: run "
              "weft-plan-memory after the last pass that adds or changes ops";
      return std::nullopt;
    }
    if (*offset < 0 || *offset % plan.alignment != 0 ||
        *offset + buffer.size > plan.arenaSize) {
      where->emitError() << kOffsetAttr << " = " << *offset
                         << " of a buffer of " << buffer.size
                         << " bytes is unaligned or outside "
                         << "the arena of " << plan.arenaSize
                         << " bytes; hint: run weft-plan-memory again";
      return std::nullopt;
    }
    plan.assignments[buffer.value] = {*offset, buffer.size, buffer.kind};
  }
  addAliases(*liveness, plan);
  return plan;
}

} // namespace weft
