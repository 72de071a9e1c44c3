//===- AttrVerifier.cpp - the weft.* attributes are well formed -----------===//
//
// This file implements the weft dialect's verification of its discardable
// attributes (ir/AttrNames.h), so a malformed tag is an error at the function
// or op that carries it rather than an internal error of a later pass:
//   - arguments: weft.param, weft.input, weft.state name them (a non-empty
//     string); weft.offset is a byte offset (an integer >= 0); weft.sharding
//     is a #weft.sharding valid for the argument's type on the module's mesh;
//   - results: weft.output and weft.update name them (a non-empty string);
//     weft.sharding as for arguments;
//   - ops: weft.offset as above (an array<i64> of one per result on an op
//     with several, -1 for a result without arena storage); weft.arena_size and
//     weft.arena_persistent_size are integers >= 0, weft.arena_alignment a
//     power of two; weft.shardings one #weft.sharding per result; weft.mesh
//     a #weft.mesh, on a builtin.module only.
// Any other weft.* name is an error that lists the known ones.
//
//===----------------------------------------------------------------------===//

#include "ir/AttrNames.h"
#include "ir/Sharding.h"
#include "ir/WeftDialect.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Operation.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

using namespace mlir;

namespace weft {
namespace {

/// The attribute must be a non-empty string (a name).
LogicalResult expectName(Operation *op, const Twine &where, NamedAttribute attr) {
  auto s = dyn_cast<StringAttr>(attr.getValue());
  if (s && !s.getValue().empty())
    return success();
  return op->emitError() << where << " has " << attr.getName() << " = " << attr.getValue()
                         << "; expected a non-empty string naming it, e.g. "
                         << attr.getName() << " = \"wte.weight\"";
}

/// The attribute must be an integer >= 0 (and a power of two if asked).
LogicalResult expectSize(Operation *op, const Twine &where, NamedAttribute attr,
                         bool powerOfTwo = false) {
  auto i = dyn_cast<IntegerAttr>(attr.getValue());
  if (i && i.getType().isSignlessInteger(64) && i.getInt() >= 0 &&
      (!powerOfTwo || (i.getInt() > 0 && (i.getInt() & (i.getInt() - 1)) == 0)))
    return success();
  return op->emitError() << where << " has " << attr.getName() << " = " << attr.getValue()
                         << "; expected " << (powerOfTwo ? "a power of two" : "an integer >= 0")
                         << " of type i64 (bytes), as weft-plan-memory writes it";
}

/// weft.offset: one offset (an integer >= 0), or one per result of an op
/// with several (an array<i64> of them, -1 for a result without arena
/// storage: an in-place update written into its argument's storage).
LogicalResult expectOffsets(Operation *op, const Twine &where, NamedAttribute attr) {
  auto many = dyn_cast<DenseI64ArrayAttr>(attr.getValue());
  if (!many)
    return expectSize(op, where, attr);
  if (many.size() == op->getNumResults() &&
      llvm::all_of(many.asArrayRef(), [](int64_t v) { return v >= -1; }))
    return success();
  return op->emitError() << where << " has " << attr.getName() << " = " << attr.getValue()
                         << "; expected one offset >= 0 (or -1: no arena storage) per result ("
                         << op->getNumResults() << ")";
}

/// weft.sharding / one entry of weft.shardings: a #weft.sharding that fits
/// `type` on the mesh of the enclosing module (which must have one).
LogicalResult expectSharding(Operation *op, const Twine &where, StringAttr name,
                             Attribute value, Type type) {
  auto sharding = dyn_cast<ShardingAttr>(value);
  if (!sharding)
    return op->emitError() << where << " has " << name << " = " << value
                           << "; expected a #weft.sharding, e.g. #weft.sharding<[{}, {tp}]>";
  MeshAttr mesh = getMesh(op);
  if (!mesh)
    return op->emitError() << where << " has " << name << " = " << sharding
                           << " but the enclosing module has no " << kMeshAttr
                           << "; add one, e.g. module attributes {" << kMeshAttr
                           << " = #weft.mesh<dp = 2>}";
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor)
    return op->emitError() << where << " has " << name << " = " << sharding
                           << " but its type " << type << " is not a ranked tensor";
  return verifySharding(sharding, mesh, tensor, [&] {
    return op->emitError() << where << " has an invalid " << name << ": ";
  });
}

/// weft.shardings: an array of one #weft.sharding per result.
LogicalResult expectShardings(Operation *op, NamedAttribute attr) {
  auto array = dyn_cast<ArrayAttr>(attr.getValue());
  if (!array || array.size() != op->getNumResults())
    return op->emitError() << "the op has " << attr.getName() << " = " << attr.getValue()
                           << "; expected an array of one #weft.sharding per result ("
                           << op->getNumResults() << ")";
  for (auto [i, value] : llvm::enumerate(array))
    if (failed(expectSharding(op, "result #" + Twine(i), attr.getName(), value,
                              op->getResult(i).getType())))
      return failure();
  return success();
}

/// weft.sharding or weft.global_shape of a function argument or result of
/// type `type` (attributes `all`). Before partitioning the sharding fits the
/// type; after it, the type is the local piece of weft.global_shape split by
/// the sharding, and the global shape needs a sharding.
LogicalResult expectLayout(Operation *op, const Twine &where, NamedAttribute attr, Type type,
                           DictionaryAttr all) {
  auto global = all ? all.getAs<DenseI64ArrayAttr>(kGlobalShapeAttr) : DenseI64ArrayAttr();
  Attribute sharding = all ? all.get(kShardingAttr) : Attribute();
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (attr.getName() == kGlobalShapeAttr) {
    if (!global || !tensor || global.size() != tensor.getRank() ||
        llvm::any_of(global.asArrayRef(), [](int64_t d) { return d < 0; }))
      return op->emitError() << where << " has " << attr.getName() << " = " << attr.getValue()
                             << "; expected array<i64: ...> of one size >= 0 per dimension of "
                             << type;
    if (!sharding)
      return op->emitError() << where << " has " << attr.getName() << " but no " << kShardingAttr
                             << " saying how the global value is split";
    return success(); // checked with the sharding
  }
  if (!global)
    return expectSharding(op, where, attr.getName(), attr.getValue(), type);
  if (!tensor || global.size() != tensor.getRank())
    return success(); // reported for weft.global_shape
  auto globalType = RankedTensorType::get(global.asArrayRef(), tensor.getElementType());
  if (failed(expectSharding(op, where, attr.getName(), attr.getValue(), globalType)))
    return failure();
  RankedTensorType local = localType(globalType, cast<ShardingAttr>(sharding), getMesh(op));
  if (local != tensor)
    return op->emitError() << where << " has type " << type << " but its " << kGlobalShapeAttr
                           << " " << globalType << " split by " << sharding << " is " << local;
  return success();
}

/// weft.sharding on argument or result `index` of a function.
LogicalResult expectFunctionSharding(Operation *op, const Twine &where, NamedAttribute attr,
                                     bool isResult, unsigned index) {
  auto fn = dyn_cast<FunctionOpInterface>(op);
  if (!fn)
    return op->emitError() << where << " has " << attr.getName() << " but "
                           << op->getName() << " is not a function";
  ArrayRef<Type> types = isResult ? fn.getResultTypes() : fn.getArgumentTypes();
  return expectLayout(op, where, attr, types[index],
                      isResult ? fn.getResultAttrDict(index) : fn.getArgAttrDict(index));
}

LogicalResult unknown(Operation *op, const Twine &where, NamedAttribute attr,
                      const char *known) {
  return op->emitError() << where << " has the unknown attribute " << attr.getName()
                         << "; weft knows " << known << " there";
}

} // namespace

LogicalResult WeftDialect::verifyRegionArgAttribute(Operation *op, unsigned region,
                                                    unsigned argIndex, NamedAttribute attr) {
  std::string where = "argument #" + std::to_string(argIndex);
  StringRef name = attr.getName().getValue();
  if (name == kParamAttr || name == kInputAttr || name == kStateAttr)
    return expectName(op, where, attr);
  if (name == kOffsetAttr)
    return expectSize(op, where, attr);
  if (name == kShardingAttr || name == kGlobalShapeAttr)
    return expectFunctionSharding(op, where, attr, /*isResult=*/false, argIndex);
  if (name == kFrozenAttr) {
    auto fn = dyn_cast<FunctionOpInterface>(op);
    DictionaryAttr all = fn ? fn.getArgAttrDict(argIndex) : DictionaryAttr();
    if (!isa<UnitAttr>(attr.getValue()) || !all || !all.get(kParamAttr))
      return op->emitError() << where << " has " << attr.getName() << " = " << attr.getValue()
                             << "; it is a unit attribute of a weft.param argument";
    return success();
  }
  return unknown(op, where, attr,
                 "weft.param, weft.frozen, weft.input, weft.state, weft.offset, weft.sharding and "
                 "weft.global_shape");
}

LogicalResult WeftDialect::verifyRegionResultAttribute(Operation *op, unsigned region,
                                                       unsigned resultIndex, NamedAttribute attr) {
  std::string where = "result #" + std::to_string(resultIndex);
  StringRef name = attr.getName().getValue();
  if (name == kOutputAttr || name == kUpdateAttr)
    return expectName(op, where, attr);
  if (name == kShardingAttr || name == kGlobalShapeAttr)
    return expectFunctionSharding(op, where, attr, /*isResult=*/true, resultIndex);
  return unknown(op, where, attr,
                 "weft.output, weft.update, weft.sharding and weft.global_shape");
}

LogicalResult WeftDialect::verifyOperationAttribute(Operation *op, NamedAttribute attr) {
  StringRef name = attr.getName().getValue();
  if (name == kOffsetAttr)
    return expectOffsets(op, "the op", attr);
  if (name == kArenaSizeAttr || name == kArenaPersistentSizeAttr)
    return expectSize(op, "the op", attr);
  if (name == kArenaAlignmentAttr)
    return expectSize(op, "the op", attr, /*powerOfTwo=*/true);
  if (name == kShardingsAttr)
    return expectShardings(op, attr);
  if (name == kMeshAttr) {
    if (!isa<ModuleOp>(op))
      return op->emitError() << "the op has " << name
                             << " but only a builtin.module carries the mesh";
    if (!isa<MeshAttr>(attr.getValue()))
      return op->emitError() << "the module has " << name << " = " << attr.getValue()
                             << "; expected a #weft.mesh, e.g. #weft.mesh<dp = 2, tp = 4>";
    return success();
  }
  if (name == kCostAttr) {
    auto seconds = dyn_cast<FloatAttr>(attr.getValue());
    if (!seconds || seconds.getValueAsDouble() < 0)
      return op->emitError() << "the op has " << name << " = " << attr.getValue()
                             << "; expected predicted seconds, a non-negative float";
    return success();
  }
  if (name == kRecomputeAttr || name == kRecomputedAttr) {
    auto group = dyn_cast<IntegerAttr>(attr.getValue());
    if (!group || !group.getType().isInteger(64) || group.getInt() < 0)
      return op->emitError() << "the op has " << name << " = " << attr.getValue()
                             << "; expected a recompute group, a non-negative i64 (e.g. "
                             << name << " = 0 : i64)";
    return success();
  }
  if (name == kRecomputeSummaryAttr) {
    if (!isa<FunctionOpInterface>(op) || !isa<DictionaryAttr>(attr.getValue()))
      return op->emitError() << "the op has " << name
                             << " but only a func.func carries it, as a dictionary";
    return success();
  }
  if (name == kPlanAttr) {
    if (!isa<ModuleOp>(op) || !isa<DictionaryAttr>(attr.getValue()))
      return op->emitError() << "the op has " << name
                             << " but only a builtin.module carries the plan, as a dictionary";
    return success();
  }
  return unknown(op, "the op", attr,
                 "weft.offset, weft.arena_size, weft.arena_persistent_size, "
                 "weft.arena_alignment, weft.shardings, weft.cost, weft.recompute, weft.recomputed, weft.recompute_summary (on a function), and weft.mesh and weft.plan (on the module)");
}

} // namespace weft
