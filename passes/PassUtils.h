//===- PassUtils.h - helpers shared by weft's module passes -----*- C++ -*-===//
//
// This file declares what weft's module-level passes share: finding the
// function they transform (option `function`, @main by default) and
// reporting, in one wording, a module without it; and changing that
// function's interface (the tags of new arguments and results, a new list of
// results).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_PASSUTILS_H
#define WEFT_PASSES_PASSUTILS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"

namespace weft {

/// The function @`name` of `module` when it exists and has a body. Otherwise
/// emits "<pass>: the module has no function @<name> with a body; <hint>" at
/// the module and returns a null function.
mlir::func::FuncOp lookupFunctionOrError(mlir::ModuleOp module,
                                         llvm::StringRef pass,
                                         llvm::StringRef name,
                                         const llvm::Twine &hint);

/// The attribute dictionary {`attr` = "`value`"} of one tagged argument or
/// result, e.g. {weft.state = "amp.good_steps"}.
mlir::DictionaryAttr tagAttrs(mlir::MLIRContext *ctx, llvm::StringRef attr,
                              llvm::StringRef value);

/// Makes `func` (one block) return `results`, result i with the attribute
/// dictionary `attrs[i]`; the function type follows.
void setFunctionResults(mlir::func::FuncOp func, mlir::ValueRange results,
                        llvm::ArrayRef<mlir::DictionaryAttr> attrs);

} // namespace weft

#endif // WEFT_PASSES_PASSUTILS_H
