//===- InPlaceUpdate.h - results written into their argument ----*- C++ -*-===//
//
// This file implements the rules shared by memory planning and the code
// generators for results tagged `weft.update` (see ir/AttrNames.h):
// which argument a result updates, whether the op computing it writes
// straight into that argument's storage (in place) or into a temporary that
// is copied at the end, and the check that no op reads an argument's old
// value after the op that overwrites it.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_MEMORY_INPLACEUPDATE_H
#define WEFT_PASSES_MEMORY_INPLACEUPDATE_H

#include "mlir/IR/Value.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace mlir::func {
class FuncOp;
} // namespace mlir::func

namespace weft {

class DynamicUpdateSliceOp;

/// The argument of `func` (tagged weft.param or weft.state) that result
/// `index` updates, or null when the result has no weft.update tag or names
/// no such argument.
mlir::BlockArgument getUpdatedArgument(mlir::func::FuncOp func, unsigned index);

/// True when result `index` of `func` is a weft.update whose value the op
/// computing it writes directly into the updated argument's storage. That is
/// the case when the value is a result of an op that is not a reshape or a
/// constant, is returned once, and the op either does not read the
/// argument's old value or reads each of its elements only at the index it
/// writes: an Elementwise op, or a weft.fusion in whose body everything
/// computed from the argument is computed by Elementwise ops (its kernel must
/// then not be noalias), or a weft.dynamic_update_slice of the argument
/// itself (it writes only its block), or a weft.scatter_add into the
/// argument itself (it adds rows where they are). Otherwise the value gets arena storage
/// and is copied into the argument after every other step.
bool isInPlaceUpdate(mlir::func::FuncOp func, unsigned index);

/// True when `op` (in its function's body) writes into the storage of the
/// argument behind its operand: its result is returned as that argument's
/// in-place weft.update. Its kernel then writes only the block, without
/// copying the operand.
bool updatesOperandInPlace(DynamicUpdateSliceOp op);

/// Checks the weft.update results of `func` (one block): each names a
/// weft.param or weft.state argument of its type, no argument is updated
/// twice, and no op (the return included) reads an argument's old value,
/// directly or through a reshape, after the op that updates it in place.
/// Errors are emitted at the offending op with a note at the update.
mlir::LogicalResult verifyInPlaceUpdates(mlir::func::FuncOp func);

/// Calls `edge(writer, reader)` for every top-level op `reader` of `func`
/// that reads (directly or through a reshape) the old value of an argument
/// that the top-level op `writer` updates in place: any schedule must run
/// `reader` before `writer`.
void forEachOldValueReader(
    mlir::func::FuncOp func,
    llvm::function_ref<void(mlir::Operation *writer, mlir::Operation *reader)> edge);

} // namespace weft

#endif // WEFT_PASSES_MEMORY_INPLACEUPDATE_H
