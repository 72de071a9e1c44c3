//===- PlanChecker.cpp - independent checks of a memory plan --------------===//
//
// This file implements the memory tests' own lifetime model and the checks of
// a recorded plan (see PlanChecker.h). The model: a buffer per non-reshape op
// result and per non-parameter argument; a reshape's uses count as uses of the
// value its chain of reshapes starts from; arguments start at step 0, op k of
// the body at step k + 1; returned values and constants live to the last step.
//
//===----------------------------------------------------------------------===//

#include "tests/passes/memory/PlanChecker.h"

#include "ir/WeftDialect.h"
#include "ir/WeftOps.h"
#include "ir/WeftTrainingOps.h"
#include "passes/memory/MemoryPlan.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

using namespace mlir;

namespace weft::testing {
namespace {

struct RefBuffer {
  Value owner;
  int64_t size = 0, start = 0, end = 0;
  bool constant = false;
};

int64_t bytesOf(Type type) {
  auto t = cast<RankedTensorType>(type);
  unsigned bits = t.getElementType().getIntOrFloatBitWidth();
  return t.getNumElements() * (bits == 1 ? 1 : bits / 8);
}

Value rootOf(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (!isa<ReshapeOp>(def))
      break;
    v = def->getOperand(0);
  }
  return v;
}

/// The tests' own lifetimes of `func`'s buffers, in definition order.
std::vector<RefBuffer> referenceBuffers(func::FuncOp func) {
  Block &block = func.getBody().front();
  std::vector<RefBuffer> buffers;
  llvm::DenseMap<Value, size_t> index;
  int64_t last = block.getOperations().size();
  for (BlockArgument arg : block.getArguments()) {
    if (func.getArgAttr(arg.getArgNumber(), "weft.param"))
      continue;
    index[arg] = buffers.size();
    buffers.push_back({arg, bytesOf(arg.getType()), 0, 0, false});
  }
  int64_t step = 0;
  for (Operation &op : block) {
    ++step;
    // Uses first (an op reads before its results exist).
    op.walk([&](Operation *nested) {
      for (Value operand : nested->getOperands()) {
        auto it = index.find(rootOf(operand));
        if (it == index.end())
          continue;
        RefBuffer &b = buffers[it->second];
        b.end =
            std::max(b.end, op.hasTrait<OpTrait::IsTerminator>() ? last : step);
      }
    });
    if (isa<ReshapeOp>(op))
      continue;
    for (Value result : op.getResults()) {
      bool constant = isa<ConstantOp>(op);
      index[result] = buffers.size();
      buffers.push_back({result, bytesOf(result.getType()), constant ? 0 : step,
                         constant ? last : step, constant});
    }
  }
  return buffers;
}

bool intersects(const RefBuffer &a, const RefBuffer &b) {
  return a.start <= b.end && b.start <= a.end;
}

/// Whether `later` may share `earlier`'s storage: `later` is the result of an
/// Elementwise op that reads `earlier` (through reshapes) as it dies, or of a
/// weft.scatter_add adding rows into `earlier` (its init), with the same byte
/// size.
bool allowedInPlace(const RefBuffer &earlier, const RefBuffer &later) {
  if (earlier.constant || earlier.end != later.start ||
      earlier.size != later.size)
    return false;
  Operation *op = later.owner.getDefiningOp();
  if (auto scatter = dyn_cast_or_null<ScatterAddOp>(op))
    return scatter.getInit() && rootOf(scatter.getInit()) == earlier.owner;
  if (!op || !op->hasTrait<OpTrait::Elementwise>())
    return false;
  for (Value operand : op->getOperands())
    if (rootOf(operand) == earlier.owner)
      return true;
  return false;
}

} // namespace

std::unique_ptr<MLIRContext> makeContext() {
  auto context = std::make_unique<MLIRContext>();
  context->loadDialect<WeftDialect, func::FuncDialect>();
  return context;
}

OwningOpRef<ModuleOp> parseModule(MLIRContext &context,
                                  const std::string &text) {
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, &context);
  EXPECT_TRUE(module) << "cannot parse:\n" << text;
  return module;
}

bool runMemoryPasses(ModuleOp module, bool schedule, int64_t alignment) {
  PassManager pm(module.getContext());
  if (schedule) {
    SchedulePassOptions options;
    options.alignment = alignment;
    pm.addNestedPass<func::FuncOp>(createSchedulePass(options));
  }
  PlanMemoryPassOptions options;
  options.alignment = alignment;
  pm.addNestedPass<func::FuncOp>(createPlanMemoryPass(options));
  return succeeded(pm.run(module));
}

int64_t referencePeak(func::FuncOp func, int64_t alignment) {
  std::vector<RefBuffer> buffers = referenceBuffers(func);
  int64_t last = func.getBody().front().getOperations().size();
  int64_t peak = 0;
  for (int64_t step = 0; step <= last; ++step) {
    int64_t live = 0;
    for (const RefBuffer &b : buffers)
      if (b.start <= step && step <= b.end)
        live += alignBytes(b.size, alignment);
    peak = std::max(peak, live);
  }
  return peak;
}

PlanStats checkRecordedPlan(func::FuncOp func, int64_t alignment,
                            const std::string &context) {
  PlanStats stats;
  std::optional<MemoryPlan> plan = readMemoryPlan(func);
  if (!plan) {
    ADD_FAILURE() << context << ": no readable plan";
    return stats;
  }
  EXPECT_EQ(plan->alignment, alignment) << context;
  EXPECT_EQ(plan->arenaSize % alignment, 0) << context;
  stats.arena = plan->arenaSize;
  std::vector<RefBuffer> buffers = referenceBuffers(func);
  stats.buffers = buffers.size();
  std::vector<int64_t> offsets;
  for (const RefBuffer &b : buffers) {
    auto it = plan->assignments.find(b.owner);
    if (it == plan->assignments.end()) {
      ADD_FAILURE() << context << ": buffer without an offset";
      return stats;
    }
    int64_t offset = it->second.offset;
    EXPECT_EQ(it->second.size, b.size) << context;
    EXPECT_EQ(offset % alignment, 0) << context << ": unaligned " << offset;
    EXPECT_GE(offset, 0) << context;
    EXPECT_LE(offset + b.size, plan->arenaSize) << context;
    if (b.constant)
      EXPECT_LE(offset + b.size, plan->persistentSize) << context;
    else
      EXPECT_GE(offset, plan->persistentSize) << context;
    offsets.push_back(offset);
  }
  // Every value with storage (reshapes too) maps to its root's place.
  func.walk([&](ReshapeOp reshape) {
    auto it = plan->assignments.find(rootOf(reshape.getResult()));
    if (it == plan->assignments.end())
      return;
    auto alias = plan->assignments.find(reshape.getResult());
    EXPECT_TRUE(alias != plan->assignments.end() &&
                alias->second.offset == it->second.offset)
        << context << ": reshape not mapped to its root";
  });
  for (size_t i = 0; i < buffers.size(); ++i) {
    for (size_t j = i + 1; j < buffers.size(); ++j) {
      const RefBuffer &a = buffers[i], &b = buffers[j];
      if (offsets[i] == offsets[j])
        ++stats.sharedOffsets;
      bool overlapInMemory = a.size > 0 && b.size > 0 &&
                             offsets[i] < offsets[j] + b.size &&
                             offsets[j] < offsets[i] + a.size;
      if (!overlapInMemory || !intersects(a, b))
        continue;
      // Definition order: i is the earlier buffer.
      if (offsets[i] == offsets[j] && allowedInPlace(a, b)) {
        ++stats.inPlacePairs;
        continue;
      }
      ADD_FAILURE() << context << ": buffers #" << i << " [" << a.start << ", "
                    << a.end << "] at " << offsets[i] << "+" << a.size
                    << " and #" << j << " [" << b.start << ", " << b.end
                    << "] at " << offsets[j] << "+" << b.size
                    << " are live together and overlap";
    }
  }
  return stats;
}

std::vector<std::string> opNames(func::FuncOp func) {
  std::vector<std::string> names;
  for (Operation &op : func.getBody().front())
    names.push_back(op.getName().getStringRef().str());
  return names;
}

} // namespace weft::testing
