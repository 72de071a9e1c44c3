//===- PassUtils.cpp - helpers shared by weft's module passes -------------===//
//
// This file implements the function lookup and the interface changes of
// PassUtils.h.
//
//===----------------------------------------------------------------------===//

#include "passes/PassUtils.h"

using namespace mlir;

func::FuncOp weft::lookupFunctionOrError(ModuleOp module, StringRef pass,
                                         StringRef name, const Twine &hint) {
  auto fn = module.lookupSymbol<func::FuncOp>(name);
  if (fn && !fn.isExternal())
    return fn;
  module.emitError(pass) << ": the module has no function @" << name
                         << " with a body; " << hint;
  return {};
}

DictionaryAttr weft::tagAttrs(MLIRContext *ctx, StringRef attr,
                              StringRef value) {
  return DictionaryAttr::get(
      ctx, {NamedAttribute(StringAttr::get(ctx, attr), StringAttr::get(ctx, value))});
}

void weft::setFunctionResults(func::FuncOp func, ValueRange results,
                              ArrayRef<DictionaryAttr> attrs) {
  func.getBody().front().getTerminator()->setOperands(results);
  func.setType(FunctionType::get(func.getContext(), func.getArgumentTypes(),
                                 results.getTypes()));
  func.setAllResultAttrs(attrs);
}
