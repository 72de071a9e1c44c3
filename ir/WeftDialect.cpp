//===- WeftDialect.cpp - the weft dialect ---------------------------------===//
//
// This file implements the weft dialect's registration, its enum attributes and
// the constant materializer used by folding.
//
//===----------------------------------------------------------------------===//

#include "ir/WeftDialect.h"
#include "ir/WeftCollectiveOps.h"
#include "ir/WeftOps.h"
#include "ir/WeftQuantOps.h"
#include "ir/WeftStateOps.h"
#include "ir/WeftTrainingOps.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace weft;

#include "ir/WeftDialect.cpp.inc"
#include "ir/WeftEnums.cpp.inc"
// The attribute classes (ir/WeftAttrs.cpp.inc) are instantiated in
// ir/WeftShardingAttrs.cpp, next to the sharding attributes' methods.

void WeftDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "ir/WeftOps.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "ir/WeftFusedOps.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "ir/WeftTrainingOps.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "ir/WeftStateOps.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "ir/WeftQuantOps.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "ir/WeftCollectiveOps.cpp.inc"
      >();
  registerAttributes();
}

Operation *WeftDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                            Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return builder.create<ConstantOp>(loc, type, elements);
}
