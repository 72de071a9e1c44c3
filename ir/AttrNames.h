//===- AttrNames.h - names of the attributes on a weft function -*- C++ -*-===//
//
// This file declares the one spelling of every attribute name that weft puts
// on a function (`@main`), its arguments and its results: the DSL's tags of
// parameters, inputs and outputs, the training passes' optimizer state and
// in-place updates, and the memory plan's offsets and arena sizes. Passes,
// code generators and the compiler read and write them through these
// constants; .mlir text and lit tests spell them out. The mesh and sharding
// attributes (ir/WeftShardingAttrs.td) are tagged here too.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_IR_ATTRNAMES_H
#define WEFT_IR_ATTRNAMES_H

#include "llvm/ADT/StringRef.h"

namespace weft {

//===----------------------------------------------------------------------===//
// Parameters, inputs and outputs (the DSL, weft-autodiff, weft-optimizer)
//===----------------------------------------------------------------------===//

/// On a function argument: `weft.param = "<name>"`, a weight bound by name at
/// run time, with storage of its own that persists between runs.
inline constexpr llvm::StringLiteral kParamAttr = "weft.param";

/// On a `weft.param` argument: `weft.frozen` (unit), a parameter the
/// training step leaves as it is: weft-autodiff builds no gradient for it,
/// so weft-optimizer keeps no state for it and never updates it.
inline constexpr llvm::StringLiteral kFrozenAttr = "weft.frozen";

/// On a function argument: `weft.input = "<name>"`, a value the caller sets
/// before each run (copied into the arena).
inline constexpr llvm::StringLiteral kInputAttr = "weft.input";

/// On a function result: `weft.output = "<name>"`, a value the caller reads
/// after each run (gradients are named "grad:<param>").
inline constexpr llvm::StringLiteral kOutputAttr = "weft.output";

//===----------------------------------------------------------------------===//
// Training step (weft-optimizer, weft-loss-scaling)
//===----------------------------------------------------------------------===//

/// On a function argument: `weft.state = "<kind>:<param>"`, optimizer state
/// (e.g. "adamw.m:h.0.attn.c_attn.weight") that persists between steps, like
/// a parameter, and starts at zero.
inline constexpr llvm::StringLiteral kStateAttr = "weft.state";

/// On a function result: `weft.update = "<param or state name>"`, the new
/// value of that `weft.param` or `weft.state` argument. Code generators write
/// it into the argument's own storage (in place, no copy), so every other
/// reader of the old value must run before the op that produces it.
inline constexpr llvm::StringLiteral kUpdateAttr = "weft.update";

//===----------------------------------------------------------------------===//
// Gradient checkpointing (the DSL's RecomputeScope, weft-recompute)
//===----------------------------------------------------------------------===//

/// On an op of the forward: `weft.recompute = <i64 group>`, built under a
/// RecomputeScope (frontend/Program.h). weft-recompute rebuilds the group's
/// values the backward reads from the group's inputs instead of keeping them.
/// The fusion passes give a fused op the group its ops share.
inline constexpr llvm::StringLiteral kRecomputeAttr = "weft.recompute";

/// On a copy weft-recompute made: `weft.recomputed = <i64 group>`. It keeps
/// the copy apart from its original (CSE compares attributes) and tells
/// weft-schedule not to run it before the op it was placed after.
inline constexpr llvm::StringLiteral kRecomputedAttr = "weft.recomputed";

/// On the function after weft-recompute: `weft.recompute_summary = {groups,
/// ops, added_flops, step_flops, kept_bytes_before, kept_bytes_after}` (i64
/// each): the groups recomputed, the ops copied, the FLOPs the copies add to
/// the step's, and the bytes of forward activations the backward reads
/// before and after. The compile copies it into the Executable's report.
inline constexpr llvm::StringLiteral kRecomputeSummaryAttr = "weft.recompute_summary";

//===----------------------------------------------------------------------===//
// Memory plan (weft-plan-memory; read by the code generators)
//===----------------------------------------------------------------------===//

/// On an op (not a reshape, nor an in-place weft.update written into its
/// argument's own storage) and on input arguments: `weft.offset`, the byte
/// offset of the buffer in the arena: i64 for one result, array<i64> with one
/// entry per result for several (-1 for a result without arena storage).
inline constexpr llvm::StringLiteral kOffsetAttr = "weft.offset";

/// On the function: `weft.arena_size` (i64), the bytes of the whole arena.
inline constexpr llvm::StringLiteral kArenaSizeAttr = "weft.arena_size";

/// On the function: `weft.arena_persistent_size` (i64), the bytes at the
/// start of the arena that hold constants and are never reused.
inline constexpr llvm::StringLiteral kArenaPersistentSizeAttr =
    "weft.arena_persistent_size";

/// On the function: `weft.arena_alignment` (i64, a power of two), the byte
/// alignment of every offset of the plan.
inline constexpr llvm::StringLiteral kArenaAlignmentAttr =
    "weft.arena_alignment";

//===----------------------------------------------------------------------===//
// Mesh and sharding (the DSL's shard hints, the sharding passes)
//===----------------------------------------------------------------------===//

/// On the builtin.module: `weft.mesh = #weft.mesh<dp = 2, tp = 4>`, the
/// devices the program runs on. Shardings and collectives need one.
inline constexpr llvm::StringLiteral kMeshAttr = "weft.mesh";

/// On a function argument or result: `weft.sharding = #weft.sharding<...>`,
/// the layout of that value over the module's mesh.
inline constexpr llvm::StringLiteral kShardingAttr = "weft.sharding";

/// On an op: `weft.shardings = [#weft.sharding<...>, ...]`, the layout of
/// each of its results (one per result).
inline constexpr llvm::StringLiteral kShardingsAttr = "weft.shardings";

/// On an argument or result of a partitioned function (weft-spmd-partition):
/// `weft.global_shape = array<i64: ...>`, the value's shape in the global
/// program; its type is the local piece, and its weft.sharding says how the
/// global value is split (what the runtime splits and gathers).
inline constexpr llvm::StringLiteral kGlobalShapeAttr = "weft.global_shape";

/// On an op after weft-auto-shard: `weft.cost = <f64>`, the predicted seconds
/// of the strategy chosen for it (for reports and the test printer).
inline constexpr llvm::StringLiteral kCostAttr = "weft.cost";

/// On the module after weft-auto-shard: `weft.plan = {method, seconds,
/// lower_bound, solve_seconds, nodes, groups, solved_groups, bytes}`, what the
/// search found.
inline constexpr llvm::StringLiteral kPlanAttr = "weft.plan";

} // namespace weft

#endif // WEFT_IR_ATTRNAMES_H
