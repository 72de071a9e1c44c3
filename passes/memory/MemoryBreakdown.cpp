//===- MemoryBreakdown.cpp - what a device's memory holds at its peak ------===//
//
// This file implements computeMemoryBreakdown: the bytes outside the arena by
// argument kind, and the arena's live buffers at its peak step sorted into
// activations, gradients, inputs, constants and workspace (MemoryBreakdown.h).
//
//===----------------------------------------------------------------------===//

#include "passes/memory/MemoryBreakdown.h"

#include "ir/AttrNames.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"

#include <algorithm>

using namespace mlir;

namespace weft {
namespace {

/// Whether a `weft.state` argument named `name` is optimizer or loss-scaling
/// state ("adamw.m:<param>", "sgd.momentum:<param>", "amp.good_steps") rather
/// than a cache.
bool isOptimizerState(StringRef name) { return name.contains(':') || name.starts_with("amp."); }

/// The ops `root` depends on (itself included), in one block.
llvm::DenseSet<Operation *> dependencies(Value root) {
  llvm::DenseSet<Operation *> seen;
  SmallVector<Operation *> work;
  if (Operation *op = root.getDefiningOp())
    work.push_back(op);
  while (!work.empty()) {
    Operation *op = work.pop_back_val();
    if (!seen.insert(op).second)
      continue;
    for (Value operand : op->getOperands())
      if (Operation *def = operand.getDefiningOp())
        work.push_back(def);
  }
  return seen;
}

/// The number of elements of a ranked tensor type, -1 for anything else.
int64_t elementCount(Type type) {
  auto t = dyn_cast<RankedTensorType>(type);
  return t && t.hasStaticShape() ? t.getNumElements() : -1;
}

/// The gradients: walking back from each parameter's new value through
/// values of the parameter's shape (in any element type: a bf16 gradient
/// before its cast to f32 too) made outside the forward pass, the ones
/// computed from the forward pass's results (not, e.g., a learning rate
/// broadcast to the parameter's shape) that read no optimizer state.
llvm::DenseSet<Value> gradientValues(func::FuncOp func, const llvm::DenseSet<Operation *> &forward,
                                     const llvm::DenseSet<Value> &readsState,
                                     const llvm::DenseSet<Value> &readsForward) {
  llvm::StringMap<int64_t> paramElements;
  for (BlockArgument arg : func.getArguments())
    if (auto name = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), kParamAttr))
      paramElements[name.getValue()] = elementCount(arg.getType());
  llvm::DenseSet<Value> gradients, visited;
  Operation *ret = func.getBody().front().getTerminator();
  for (auto [i, operand] : llvm::enumerate(ret->getOperands())) {
    auto name = func.getResultAttrOfType<StringAttr>(i, kUpdateAttr);
    if (!name || !paramElements.count(name.getValue()))
      continue;
    int64_t elements = paramElements.lookup(name.getValue());
    SmallVector<Value> work{operand};
    while (!work.empty()) {
      Value v = work.pop_back_val();
      Operation *op = v.getDefiningOp();
      if (!op || forward.count(op) || !visited.insert(v).second)
        continue;
      if (v != operand && readsForward.count(v) && !readsState.count(v))
        gradients.insert(v);
      for (Value in : op->getOperands())
        if (elementCount(in.getType()) == elements)
          work.push_back(in);
    }
  }
  return gradients;
}

} // namespace

const char *stringifyPeakRole(PeakRole role) {
  switch (role) {
  case PeakRole::Activation:
    return "activation";
  case PeakRole::Gradient:
    return "gradient";
  case PeakRole::Input:
    return "input";
  case PeakRole::Constant:
    return "constant";
  case PeakRole::Workspace:
    return "workspace";
  }
  return "?";
}

FailureOr<MemoryBreakdown> computeMemoryBreakdown(func::FuncOp func, const MemoryPlanOptions &options,
                                                  StringRef loss) {
  FailureOr<BufferLiveness> liveness = computeBufferLiveness(func);
  if (failed(liveness))
    return failure();
  FailureOr<MemoryPlan> plan = recordedOrComputedPlan(func, options);
  if (failed(plan))
    return failure();
  MemoryBreakdown b;
  b.arena = plan->arenaSize;

  // 1. Outside the arena: parameters, optimizer state, caches.
  llvm::DenseSet<Value> readsState;
  for (BlockArgument arg : func.getArguments()) {
    int64_t bytes = std::max<int64_t>(0, getBufferByteSize(arg.getType()));
    if (func.getArgAttr(arg.getArgNumber(), kParamAttr)) {
      b.weights += bytes;
    } else if (auto state = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), kStateAttr)) {
      bool optimizer = isOptimizerState(state.getValue());
      (optimizer ? b.optimizerState : b.cache) += bytes;
      if (optimizer)
        readsState.insert(arg);
    }
  }

  // 2. The forward pass: what the loss output depends on (everything
  //    without one); which values read optimizer state; the gradients.
  Block &body = func.getBody().front();
  Operation *ret = body.getTerminator();
  std::optional<llvm::DenseSet<Operation *>> forward;
  for (auto [i, operand] : llvm::enumerate(ret->getOperands()))
    if (auto name = func.getResultAttrOfType<StringAttr>(i, kOutputAttr); name && name.getValue() == loss)
      forward = dependencies(operand);
  if (!forward) {
    forward.emplace();
    for (Operation &op : body.without_terminator())
      forward->insert(&op);
  }
  llvm::DenseSet<Value> readsForward;
  for (Operation &op : body.without_terminator()) {
    bool state = llvm::any_of(op.getOperands(), [&](Value v) { return readsState.count(v); });
    bool fromForward =
        forward->count(&op) || llvm::any_of(op.getOperands(), [&](Value v) { return readsForward.count(v); });
    for (Value r : op.getResults()) {
      if (state)
        readsState.insert(r);
      if (fromForward)
        readsForward.insert(r);
    }
  }
  llvm::DenseSet<Value> gradients = gradientValues(func, *forward, readsState, readsForward);

  // 3. The peak step of the aligned live bytes, and what is live there.
  b.peakStep = computeLivePeak(*liveness, plan->alignment).step;
  for (const LiveBuffer &buffer : liveness->buffers) {
    if (buffer.start > b.peakStep || buffer.end < b.peakStep)
      continue;
    int64_t bytes = alignBytes(buffer.size, plan->alignment);
    Operation *op = buffer.value.getDefiningOp();
    PeakRole role = buffer.kind == BufferKind::Input        ? PeakRole::Input
                    : buffer.kind == BufferKind::Persistent ? PeakRole::Constant
                    : gradients.count(buffer.value)         ? PeakRole::Gradient
                    : op && forward->count(op)              ? PeakRole::Activation
                                                            : PeakRole::Workspace;
    int64_t &row = role == PeakRole::Input        ? b.inputs
                   : role == PeakRole::Constant   ? b.constants
                   : role == PeakRole::Gradient   ? b.gradients
                   : role == PeakRole::Activation ? b.activations
                                                  : b.workspace;
    row += bytes;
    b.peakBuffers.push_back({buffer.value, bytes, role});
  }
  std::stable_sort(b.peakBuffers.begin(), b.peakBuffers.end(),
                   [](const PeakBuffer &x, const PeakBuffer &y) { return x.bytes > y.bytes; });
  return b;
}

} // namespace weft
