//===- GradientOutputs.cpp - the gradient results of a training function --===//
//
// This file implements collectGradientOutputs (GradientOutputs.h): one pass
// over the arguments for the parameters by name, one over the results for
// the `grad:<param>` tags.
//
//===----------------------------------------------------------------------===//

#include "passes/training/GradientOutputs.h"

#include "ir/AttrNames.h"
#include "ir/gradients/GradientUtils.h"

#include "llvm/ADT/StringMap.h"

using namespace mlir;

namespace weft {

LogicalResult collectGradientOutputs(func::FuncOp main, SmallVectorImpl<GradientOutput> &out) {
  llvm::StringMap<BlockArgument> params;
  for (BlockArgument arg : main.getArguments())
    if (auto name = main.getArgAttrOfType<StringAttr>(arg.getArgNumber(), kParamAttr))
      params[name.getValue()] = arg;
  auto ret = cast<func::ReturnOp>(main.getBody().front().getTerminator());
  for (unsigned i = 0; i < main.getNumResults(); ++i) {
    auto tag = main.getResultAttrOfType<StringAttr>(i, kOutputAttr);
    if (!tag || !tag.getValue().starts_with(kGradOutputPrefix))
      continue;
    StringRef name = tag.getValue().drop_front(kGradOutputPrefix.size());
    auto it = params.find(name);
    if (it == params.end())
      return main.emitOpError("has the gradient output '")
             << tag.getValue() << "' but no weft.param argument named '" << name
             << "'; gradient outputs must name a parameter of the function";
    Type type = ret.getOperand(i).getType();
    if (type != it->second.getType() || !grad::isFloatTensor(type))
      return main.emitOpError("has the gradient output '")
             << tag.getValue() << "' of type " << type << " for a parameter of type " << it->second.getType()
             << "; a gradient must have its float parameter's type";
    out.push_back({i, it->second, name.str()});
  }
  return success();
}

} // namespace weft
