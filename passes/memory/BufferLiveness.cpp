//===- BufferLiveness.cpp - arena buffers and their live ranges -----------===//
//
// This file implements the liveness half of weft's memory planning: the byte
// size of a value, the storage root behind reshape aliases, the live range of
// every arena buffer over a function's current op order (see MemoryPlan.h for
// the buffer model and the step numbering), the peak of live bytes, and the
// memory report built from them.
//
//===----------------------------------------------------------------------===//

#include "passes/memory/MemoryPlan.h"
#include "passes/memory/InPlaceUpdate.h"

#include "ir/AttrNames.h"
#include "ir/TensorSizeLimits.h"
#include "ir/WeftCollectiveOps.h"
#include "ir/WeftOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>

using namespace mlir;

namespace weft {

const char *stringifyBufferKind(BufferKind kind) {
  switch (kind) {
  case BufferKind::Input:
    return "input";
  case BufferKind::Temporary:
    return "temporary";
  case BufferKind::Output:
    return "output";
  case BufferKind::Persistent:
    return "persistent";
  case BufferKind::Alias:
    return "alias";
  }
  return "unknown";
}

int64_t getBufferByteSize(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape())
    return -1;
  if (!isa<FloatType, IntegerType>(tensor.getElementType()))
    return -1;
  // Checked: a shape of more than 2^62 bytes has no plannable size.
  std::optional<int64_t> bytes = tensorByteSize(tensor);
  return bytes ? *bytes : -1;
}

Value getStorageRoot(Value value) {
  while (auto reshape = value.getDefiningOp<ReshapeOp>())
    value = reshape.getInput();
  return value;
}

int64_t alignBytes(int64_t bytes, int64_t alignment) {
  return (bytes + alignment - 1) / alignment * alignment;
}

FailureOr<BufferLiveness> computeBufferLiveness(func::FuncOp func) {
  BufferLiveness result;
  if (func.isExternal())
    return result;
  Region &body = func.getBody();
  if (!llvm::hasSingleElement(body)) {
    func.emitError("memory planning expects a function with one block, '@")
        << func.getSymName() << "' has " << body.getBlocks().size()
        << "; hint: plan memory before lowering control flow";
    return failure();
  }
  Block &block = body.front();

  // Steps: 0 is the entry, then one per op; the terminator comes last.
  llvm::DenseMap<Operation *, int64_t> stepOf;
  int64_t step = 1;
  for (Operation &op : block)
    stepOf[&op] = step++;
  result.numSteps = step;
  const int64_t lastStep = step - 1;

  auto addBuffer = [&](Value value, BufferKind kind, int64_t start) {
    LiveBuffer buffer;
    buffer.value = value;
    buffer.size = getBufferByteSize(value.getType());
    buffer.kind = kind;
    // Persistent buffers occupy their region for the whole run.
    bool persistent = kind == BufferKind::Persistent;
    buffer.start = persistent ? 0 : start;
    buffer.end = persistent ? lastStep : start;
    result.bufferOf[value] = result.buffers.size();
    result.buffers.push_back(buffer);
  };

  // 1. Arguments: parameters and state (optimizer moments, key/value
  // caches) have storage of their own outside the arena; the rest are inputs.
  for (BlockArgument arg : block.getArguments()) {
    if (func.getArgAttr(arg.getArgNumber(), kParamAttr) ||
        func.getArgAttr(arg.getArgNumber(), kStateAttr))
      continue;
    if (getBufferByteSize(arg.getType()) < 0) {
      func.emitError("argument #")
          << arg.getArgNumber() << " of type " << arg.getType()
          << " has no known byte size; hint: memory planning needs statically "
             "shaped tensors of integers or floats, or tag the argument "
          << kParamAttr;
      return failure();
    }
    addBuffer(arg, BufferKind::Input, 0);
  }

  // 2. Op results: reshapes alias their input, constants and mesh indices
  // (written once at load) are persistent; an in-place update is written
  // into its argument's own storage and takes no arena bytes.
  llvm::DenseSet<Value> inPlace;
  if (auto ret = dyn_cast<func::ReturnOp>(block.getTerminator()))
    for (unsigned i = 0; i < ret.getNumOperands(); ++i)
      if (isInPlaceUpdate(func, i))
        inPlace.insert(ret.getOperand(i));
  for (Operation &op : block.without_terminator()) {
    if (auto reshape = dyn_cast<ReshapeOp>(op)) {
      auto it = result.bufferOf.find(reshape.getInput());
      if (it != result.bufferOf.end())
        result.bufferOf[reshape.getResult()] = it->second;
      continue;
    }
    BufferKind kind =
        isa<ConstantOp, AxisIndexOp>(op) ? BufferKind::Persistent : BufferKind::Temporary;
    for (OpResult value : op.getResults()) {
      if (getBufferByteSize(value.getType()) < 0) {
        op.emitOpError("result #")
            << value.getResultNumber() << " of type " << value.getType()
            << " has no known byte size; hint: memory planning needs "
               "statically shaped tensors of integers or floats";
        return failure();
      }
      if (!inPlace.contains(value))
        addBuffer(value, kind, stepOf[&op]);
    }
  }

  // The whole program's buffers, each aligned as generously as any target
  // aligns them, must fit kMaxArenaBytes: then no offset, arena size or
  // live-byte sum computed from them (plan, schedule, report) can overflow.
  int64_t total = 0;
  for (const LiveBuffer &buffer : result.buffers)
    if (llvm::AddOverflow(total, alignBytes(buffer.size, kMaxPlanAlignment), total) ||
        total > kMaxArenaBytes) {
      func.emitError("the buffers of '@")
          << func.getSymName() << "' add up to more than 2^62 bytes ("
          << result.buffers.size()
          << " buffers); weft cannot plan an arena that large: use smaller shapes or batches";
      return failure();
    }

  // 3. Each use (by a top-level op, or an op nested in one) extends the
  //    buffer behind the used value; a returned buffer lives to the end.
  for (auto &[value, index] : result.bufferOf) {
    LiveBuffer &buffer = result.buffers[index];
    for (OpOperand &use : value.getUses()) {
      Operation *user = block.findAncestorOpInBlock(*use.getOwner());
      if (!user)
        continue;
      if (user->hasTrait<OpTrait::IsTerminator>()) {
        buffer.end = lastStep;
        if (buffer.kind == BufferKind::Temporary)
          buffer.kind = BufferKind::Output;
        continue;
      }
      buffer.end = std::max(buffer.end, stepOf[user]);
    }
  }
  return result;
}

LivePeak computeLivePeak(const BufferLiveness &liveness, int64_t alignment) {
  std::vector<int64_t> delta(liveness.numSteps + 1, 0);
  for (const LiveBuffer &buffer : liveness.buffers) {
    int64_t bytes = alignBytes(buffer.size, alignment);
    delta[buffer.start] += bytes;
    delta[buffer.end + 1] -= bytes;
  }
  LivePeak peak;
  int64_t live = 0;
  for (int64_t step = 0; step < int64_t(delta.size()); ++step) {
    live += delta[step];
    if (live > peak.bytes) {
      peak.bytes = live;
      peak.step = step;
    }
  }
  return peak;
}

FailureOr<MemoryPlan> recordedOrComputedPlan(func::FuncOp func, const MemoryPlanOptions &options) {
  if (std::optional<MemoryPlan> plan = readMemoryPlan(func))
    return std::move(*plan);
  if (func->hasAttr(kArenaSizeAttr))
    return failure(); // A stale plan: readMemoryPlan said why.
  return computeMemoryPlan(func, options);
}

FailureOr<MemoryReport> computeMemoryReport(func::FuncOp func,
                                            const MemoryPlanOptions &options) {
  FailureOr<BufferLiveness> liveness = computeBufferLiveness(func);
  if (failed(liveness))
    return failure();
  FailureOr<MemoryPlan> plan = recordedOrComputedPlan(func, options);
  if (failed(plan))
    return failure();
  MemoryReport report;
  for (const LiveBuffer &buffer : liveness->buffers)
    report.noReuseBytes += alignBytes(buffer.size, plan->alignment);
  report.lowerBoundBytes = computePeakLiveBytes(*liveness, plan->alignment);
  report.plannedBytes = plan->arenaSize;
  report.persistentBytes = plan->persistentSize;
  return report;
}

} // namespace weft
