//===- MemoryPlan.h - buffer liveness and arena offsets ---------*- C++ -*-===//
//
// This file declares weft's memory-planning analysis: which values of a
// function own storage in the device arena, the steps during which each buffer
// holds data (liveness over the current op order), the offsets that pack the
// buffers into one arena, recording a plan on the IR (the `weft.offset` and
// `weft.arena_*` attributes of ir/AttrNames.h), and the memory report of
// `weft compile --memory-report`.
//
// The buffer model (shared with the code generators):
//  - every result of a top-level op of the function body is one buffer of
//    numElements * element bytes (i1 takes one byte), except
//  - a weft.reshape result aliases its input (no storage of its own; the
//    input's buffer stays live until the reshape result's last use);
//  - function arguments tagged `weft.param` or `weft.state` (optimizer state)
//    live outside the arena and are never planned (nor are reshapes of them);
//  - op results returned as `weft.update` (the new value of a parameter or
//    state) are written into that argument's storage and are not planned;
//  - other function arguments (`weft.input`, or untagged) live in the arena
//    from the function's entry until their last use;
//  - weft.constant results are persistent: they sit in a region at the start
//    of the arena that is never reused;
//  - values returned by the function (`weft.output`) live until its end.
//
// Steps: step 0 is the function's entry, the k-th op of the body (k from 0)
// runs at step k + 1, and the terminator at step numOps + 1. A buffer is live
// over the inclusive range [start, end] of steps.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_MEMORY_MEMORYPLAN_H
#define WEFT_PASSES_MEMORY_MEMORYPLAN_H

#include "mlir/IR/Value.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/DenseMap.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace mlir::func {
class FuncOp;
} // namespace mlir::func

namespace weft {

/// What a buffer holds, which decides where it may live.
enum class BufferKind {
  /// A function argument copied into the arena before the function runs.
  Input,
  /// An op result that dies inside the function.
  Temporary,
  /// An op result the function returns (live until the end).
  Output,
  /// A weft.constant result (in the never-reused region).
  Persistent,
  /// A weft.reshape result: the storage of its root buffer.
  Alias,
};

/// Returns a short lowercase name of `kind` ("input", "temporary", ...).
const char *stringifyBufferKind(BufferKind kind);

/// One arena buffer and the steps during which it must hold its data.
struct LiveBuffer {
  /// The op result or block argument that owns the storage.
  mlir::Value value;
  /// Bytes the buffer needs (not rounded to the alignment).
  int64_t size = 0;
  /// First and last step (inclusive) at which the buffer is live.
  int64_t start = 0, end = 0;
  /// Input, Temporary, Output or Persistent (never Alias).
  BufferKind kind = BufferKind::Temporary;
};

/// The live ranges of every arena buffer of a function, over its op order.
struct BufferLiveness {
  /// Owners of storage: arguments first, then op results in op order.
  std::vector<LiveBuffer> buffers;
  /// Every value with arena storage, reshape aliases included, to the index
  /// of its buffer in `buffers`.
  llvm::DenseMap<mlir::Value, unsigned> bufferOf;
  /// Number of steps (numOps + 2: the entry, each op, the terminator).
  int64_t numSteps = 0;
};

/// The bytes a value of `type` needs, or -1 when `type` is not a statically
/// shaped tensor of integers or floats.
int64_t getBufferByteSize(mlir::Type type);

/// Follows weft.reshape results back to the value that owns their storage.
mlir::Value getStorageRoot(mlir::Value value);

/// Rounds `bytes` up to a multiple of `alignment` (a power of two).
int64_t alignBytes(int64_t bytes, int64_t alignment);

/// The largest arena (and sum of a function's buffers) weft plans: 2^62
/// bytes, so that offsets and sizes never overflow int64_t.
inline constexpr int64_t kMaxArenaBytes = int64_t(1) << 62;
/// The largest plan alignment weft-schedule and weft-plan-memory accept.
inline constexpr int64_t kMaxPlanAlignment = int64_t(1) << 20;

/// Computes the live range of each arena buffer of `func` (a function with one
/// block) over its current op order. Emits an error at the offending op or
/// argument and fails on values whose size is unknown.
mlir::FailureOr<BufferLiveness> computeBufferLiveness(mlir::func::FuncOp func);

/// The largest sum of live buffer sizes, each rounded up to `alignment`, at
/// any step, persistent buffers included, and the first step where it occurs.
struct LivePeak {
  int64_t bytes = 0;
  int64_t step = 0;
};
LivePeak computeLivePeak(const BufferLiveness &liveness, int64_t alignment);

/// computeLivePeak's bytes.
inline int64_t computePeakLiveBytes(const BufferLiveness &liveness, int64_t alignment) {
  return computeLivePeak(liveness, alignment).bytes;
}

/// How to plan.
struct MemoryPlanOptions {
  /// Alignment of every offset, in bytes (64 on CPU, 256 on GPU); a power of
  /// two.
  int64_t alignment = 64;
};

/// Where one value's data lives in the arena.
struct BufferAssignment {
  int64_t offset = 0;
  int64_t size = 0;
  BufferKind kind = BufferKind::Temporary;
};

/// A memory plan: every value with arena storage (reshape aliases included,
/// parameters and their reshapes excluded) and the arena's layout.
struct MemoryPlan {
  llvm::DenseMap<mlir::Value, BufferAssignment> assignments;
  /// Total bytes of the arena (a multiple of the alignment).
  int64_t arenaSize = 0;
  /// Bytes at the start of the arena holding persistent buffers.
  int64_t persistentSize = 0;
  /// The alignment the plan was made with.
  int64_t alignment = 64;
};

/// Plans `func`'s arena over its current op order:
/// 1. liveness of every buffer (see computeBufferLiveness);
/// 2. in-place: the result of an Elementwise op may take the storage of an
///    operand buffer of the same byte size that dies at that op;
/// 3. persistent buffers packed at the start of the arena;
/// 4. the other buffers (merged in-place chains) placed by several
///    size/lifetime orders with first-fit and best-fit, keeping the smallest.
mlir::FailureOr<MemoryPlan> computeMemoryPlan(mlir::func::FuncOp func,
                                              const MemoryPlanOptions &options);

/// Records `plan` on `func` as attributes (kOffsetAttr, kArenaSizeAttr,
/// kArenaPersistentSizeAttr, kArenaAlignmentAttr), replacing any earlier plan.
void writeMemoryPlan(mlir::func::FuncOp func, const MemoryPlan &plan);

/// Removes every plan attribute from `func`.
void clearMemoryPlan(mlir::func::FuncOp func);

/// The plan recorded on `func`, else one computed with `options`; fails
/// (with the diagnostic) when the recorded plan is stale or planning fails.
mlir::FailureOr<MemoryPlan> recordedOrComputedPlan(mlir::func::FuncOp func,
                                                   const MemoryPlanOptions &options);

/// Reads the plan recorded on `func` by weft-plan-memory. Returns std::nullopt
/// when `func` carries no plan; emits an error (at the op missing its offset or
/// lying outside the arena) and returns std::nullopt when the plan is stale.
std::optional<MemoryPlan> readMemoryPlan(mlir::func::FuncOp func);

/// The numbers of `weft compile --memory-report`, all in bytes and with every
/// buffer rounded up to the plan's alignment.
struct MemoryReport {
  /// Every arena buffer side by side (no reuse).
  int64_t noReuseBytes = 0;
  /// The largest total live at any step of the current schedule.
  int64_t lowerBoundBytes = 0;
  /// The arena size of the plan.
  int64_t plannedBytes = 0;
  /// The never-reused region (constants).
  int64_t persistentBytes = 0;
};

/// Computes the memory report of `func`: from its recorded plan when it has
/// one, else from a plan computed with `options`.
mlir::FailureOr<MemoryReport>
computeMemoryReport(mlir::func::FuncOp func,
                    const MemoryPlanOptions &options = {});

} // namespace weft

#endif // WEFT_PASSES_MEMORY_MEMORYPLAN_H
