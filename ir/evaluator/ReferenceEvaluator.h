//===- ReferenceEvaluator.h - double-precision oracle for weft --*- C++ -*-===//
//
// This file declares the reference evaluator of the weft dialect: it runs a
// func.func of weft ops on host tensors of doubles, op by op, following the op
// descriptions in ir/WeftOps.td. It is the oracle every codegen test compares
// against. The header is kept light: it forward-declares the MLIR classes it
// names, so callers include mlir/Dialect/Func/IR/FuncOps.h themselves (they
// already have a func::FuncOp to pass).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_IR_EVALUATOR_REFERENCEEVALUATOR_H
#define WEFT_IR_EVALUATOR_REFERENCEEVALUATOR_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace llvm {
class Twine;
} // namespace llvm

namespace mlir {
class Operation;
class RankedTensorType;
class Type;
namespace func {
class FuncOp;
} // namespace func
} // namespace mlir

namespace weft {

/// A dense row-major tensor of doubles (integers and i1 are stored exactly as
/// doubles). A rank-0 tensor has an empty shape and one element.
struct RefTensor {
  std::vector<int64_t> shape;
  std::vector<double> data;
  /// The product of the dimensions (1 for rank 0).
  int64_t numElements() const;
};

/// Thrown when evaluation fails; what() names the op and its location, e.g.
/// "file:line:col: 'weft.gather' op index 70000 out of range [0, 50257)".
struct EvaluationError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Evaluates `func` (weft ops, func.return) on `args` (one per function
/// argument, in order, shapes must match the argument types — otherwise
/// EvaluationError naming the argument) and returns its results.
///
/// Floats are computed in double without rounding to their element type;
/// weft.cast is the only op that rounds. Integer results wrap to their width
/// (i32), and i1 results are 0 or 1. The function is verified first; an op
/// without an evaluator throws EvaluationError naming it, and so does a
/// collective (weft.all_reduce, ...): those need evaluateSpmd
/// (ir/evaluator/SpmdEvaluator.h). weft.sharding_constraint is the identity.
std::vector<RefTensor> evaluate(mlir::func::FuncOp func,
                                llvm::ArrayRef<RefTensor> args);

/// Fills a tensor of the given type with reproducible random values: floats
/// uniform in [lo, hi) (and representable in the element type, so that the
/// compiled code and the evaluator see the same inputs), integers uniform in
/// [lo, hi) rounded down, i1 0/1. The same (type, seed, lo, hi) always gives
/// the same tensor on every platform. Throws EvaluationError if lo >= hi or
/// the type has a dynamic shape.
RefTensor randomTensor(mlir::RankedTensorType type, uint64_t seed,
                       double lo = -1.0, double hi = 1.0);

/// Internal pieces shared by ReferenceEvaluator.cpp (the driver),
/// ReferenceEvaluatorOps.cpp (one function per op) and SpmdEvaluator.cpp.
/// Not for other callers.
namespace detail {

/// Evaluates one op on its operand tensors and returns its results; throws
/// EvaluationError for an op without an evaluator or invalid values.
std::vector<RefTensor> evaluateOp(mlir::Operation *op,
                                  llvm::ArrayRef<const RefTensor *> operands);

/// The operands of one op on every rank: operands[r][i] is operand i on rank r.
using RankOperands = llvm::ArrayRef<std::vector<const RefTensor *>>;

/// Evaluates one op on every rank and returns results[r][i], result i on rank r.
using LockstepOpFn = llvm::function_ref<std::vector<std::vector<RefTensor>>(
    mlir::Operation *, RankOperands)>;

/// The driver of evaluate() and evaluateSpmd(): verifies `func`, checks every
/// rank's arguments against its signature, walks the body in order calling
/// `evalOp` with all ranks' operands of each op, checks and normalizes the
/// results, frees values after their last use, and returns each rank's
/// func.return operands.
std::vector<std::vector<RefTensor>>
evaluateLockstep(mlir::func::FuncOp func,
                 llvm::ArrayRef<llvm::ArrayRef<RefTensor>> argsPerRank,
                 LockstepOpFn evalOp);

/// Formats "file:line:col: 'op.name' op <message>" for an EvaluationError.
std::string opErrorMessage(mlir::Operation *op, const llvm::Twine &message);

/// Converts `value`, held in a `from` element type, to the `to` element type
/// as weft.cast does: f32 rounds through float, f16/bf16 round to nearest
/// even, floats to integers truncate toward zero (saturating, NaN -> 0),
/// integers to narrower integers wrap, anything to i1 is value != 0.
double convertElement(double value, mlir::Type from, mlir::Type to);

} // namespace detail
} // namespace weft

#endif // WEFT_IR_EVALUATOR_REFERENCEEVALUATOR_H
