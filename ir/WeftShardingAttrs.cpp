//===- WeftShardingAttrs.cpp - mesh and sharding attributes ---------------===//
//
// This file implements the weft dialect's attributes: it instantiates the
// generated attribute classes (the enum attributes of WeftDialect.td and
// #weft.mesh, #weft.dim_sharding, #weft.sharding of WeftShardingAttrs.td) and
// implements the sharding attributes' textual form, their structural
// verifiers (each mesh axis used once, blocks >= 1, unique mesh axes) and
// their query methods.
//
//===----------------------------------------------------------------------===//

#include "ir/Sharding.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;

#define GET_ATTRDEF_CLASSES
#include "ir/WeftAttrs.cpp.inc"

namespace weft {

void WeftDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "ir/WeftAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// #weft.mesh
//===----------------------------------------------------------------------===//

LogicalResult MeshAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                               ArrayRef<StringAttr> axisNames,
                               ArrayRef<int64_t> axisSizes) {
  if (axisNames.empty())
    return emitError() << "a mesh needs at least one axis, e.g. #weft.mesh<dp = 2>";
  if (axisNames.size() != axisSizes.size())
    return emitError() << "mesh has " << axisNames.size() << " axis names but "
                       << axisSizes.size() << " sizes";
  for (auto [i, name] : llvm::enumerate(axisNames)) {
    if (!name || name.getValue().empty())
      return emitError() << "mesh axis #" << i << " has an empty name";
    for (size_t j = 0; j < i; ++j)
      if (axisNames[j] == name)
        return emitError() << "mesh axis '" << name.getValue()
                           << "' is declared twice (axes #" << j << " and #" << i
                           << "); axis names must be unique";
    if (axisSizes[i] < 1)
      return emitError() << "mesh axis '" << name.getValue() << "' has size "
                         << axisSizes[i] << "; sizes must be >= 1";
  }
  return success();
}

Attribute MeshAttr::parse(AsmParser &parser, Type) {
  SmallVector<StringAttr> names;
  SmallVector<int64_t> sizes;
  auto parseAxis = [&]() -> ParseResult {
    std::string name;
    int64_t size;
    if (parser.parseKeywordOrString(&name) || parser.parseEqual() ||
        parser.parseInteger(size))
      return failure();
    names.push_back(StringAttr::get(parser.getContext(), name));
    sizes.push_back(size);
    return success();
  };
  if (parser.parseCommaSeparatedList(AsmParser::Delimiter::LessGreater, parseAxis))
    return {};
  return getChecked([&] { return parser.emitError(parser.getNameLoc()); },
                    parser.getContext(), names, sizes);
}

void MeshAttr::print(AsmPrinter &printer) const {
  printer << "<";
  llvm::interleaveComma(llvm::zip(getAxisNames(), getAxisSizes()), printer,
                        [&](auto axis) {
                          printer.printKeywordOrString(std::get<0>(axis).getValue());
                          printer << " = " << std::get<1>(axis);
                        });
  printer << ">";
}

int64_t MeshAttr::numDevices() const {
  int64_t n = 1;
  for (int64_t s : getAxisSizes())
    n *= s;
  return n;
}

std::optional<unsigned> MeshAttr::axisIndex(StringRef name) const {
  for (auto [i, axis] : llvm::enumerate(getAxisNames()))
    if (axis.getValue() == name)
      return i;
  return std::nullopt;
}

int64_t MeshAttr::axisSize(StringRef name) const {
  std::optional<unsigned> i = axisIndex(name);
  assert(i && "axisSize: the mesh has no such axis");
  return getAxisSizes()[*i];
}

int64_t MeshAttr::groupSize(ArrayRef<StringAttr> axes) const {
  int64_t n = 1;
  for (StringAttr a : axes)
    n *= axisSize(a.getValue());
  return n;
}

SmallVector<int64_t> MeshAttr::coordinates(int64_t rank) const {
  ArrayRef<int64_t> sizes = getAxisSizes();
  SmallVector<int64_t> coords(sizes.size());
  for (size_t i = sizes.size(); i-- > 0;) {
    coords[i] = rank % sizes[i];
    rank /= sizes[i];
  }
  return coords;
}

//===----------------------------------------------------------------------===//
// #weft.dim_sharding
//===----------------------------------------------------------------------===//

namespace {

/// Parses `{name, ...}` into `axes`.
ParseResult parseAxisList(AsmParser &parser, SmallVectorImpl<StringAttr> &axes) {
  return parser.parseCommaSeparatedList(AsmParser::Delimiter::Braces, [&]() -> ParseResult {
    std::string name;
    if (parser.parseKeywordOrString(&name))
      return failure();
    axes.push_back(StringAttr::get(parser.getContext(), name));
    return success();
  });
}

void printAxisList(AsmPrinter &printer, ArrayRef<StringAttr> axes) {
  printer << "{";
  llvm::interleaveComma(axes, printer,
                        [&](StringAttr a) { printer.printKeywordOrString(a.getValue()); });
  printer << "}";
}

} // namespace

LogicalResult DimShardingAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                      ArrayRef<StringAttr> axes, int64_t blocks) {
  if (blocks < 1)
    return emitError() << "dimension sharding " << AxesStr{axes} << " has " << blocks
                       << " blocks; blocks must be >= 1";
  for (auto [i, a] : llvm::enumerate(axes)) {
    if (!a || a.getValue().empty())
      return emitError() << "dimension sharding has an empty axis name";
    for (size_t j = 0; j < i; ++j)
      if (axes[j] == a)
        return emitError() << "mesh axis '" << a.getValue() << "' is used twice in "
                           << AxesStr{axes} << "; each axis splits a tensor once";
  }
  return success();
}

DimShardingAttr DimShardingAttr::parseBody(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  SmallVector<StringAttr> axes;
  int64_t blocks = 1;
  if (parseAxisList(parser, axes))
    return {};
  if (succeeded(parser.parseOptionalKeyword("x")) && parser.parseInteger(blocks))
    return {};
  return getChecked([&] { return parser.emitError(loc); }, parser.getContext(), axes,
                    blocks);
}

void DimShardingAttr::printBody(AsmPrinter &printer) const {
  printAxisList(printer, getAxes());
  if (getBlocks() != 1)
    printer << " x " << getBlocks();
}

Attribute DimShardingAttr::parse(AsmParser &parser, Type) {
  DimShardingAttr d;
  if (parser.parseLess() || !(d = parseBody(parser)) || parser.parseGreater())
    return {};
  return d;
}

void DimShardingAttr::print(AsmPrinter &printer) const {
  printer << "<";
  printBody(printer);
  printer << ">";
}

//===----------------------------------------------------------------------===//
// #weft.sharding
//===----------------------------------------------------------------------===//

LogicalResult ShardingAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                   ArrayRef<DimShardingAttr> dims,
                                   ArrayRef<StringAttr> partial) {
  // Where each axis is used first: a dimension index, or -1 for partial.
  llvm::DenseMap<StringAttr, int64_t> firstUse;
  auto describe = [](int64_t use) {
    return use < 0 ? std::string("partial") : "dimension " + std::to_string(use);
  };
  auto use = [&](StringAttr axis, int64_t where) -> LogicalResult {
    auto [it, inserted] = firstUse.try_emplace(axis, where);
    if (inserted)
      return success();
    if (it->second == where)
      return emitError() << "mesh axis '" << axis.getValue() << "' is used twice in "
                         << describe(where) << "; each axis splits a tensor once";
    return emitError() << "mesh axis '" << axis.getValue() << "' is used by both "
                       << describe(it->second) << " and " << describe(where)
                       << "; each axis splits a tensor once (or marks it partial)";
  };
  for (auto [d, dim] : llvm::enumerate(dims)) {
    if (!dim)
      return emitError() << "dimension " << d << " has no sharding";
    if (dim.getBlocks() < 1)
      return emitError() << "dimension " << d << " has " << dim.getBlocks()
                         << " blocks; blocks must be >= 1";
    for (StringAttr a : dim.getAxes())
      if (failed(use(a, d)))
        return failure();
  }
  for (StringAttr a : partial) {
    if (!a || a.getValue().empty())
      return emitError() << "partial has an empty axis name";
    if (failed(use(a, -1)))
      return failure();
  }
  return success();
}

Attribute ShardingAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  SmallVector<DimShardingAttr> dims;
  SmallVector<StringAttr> partial;
  if (parser.parseLess() ||
      parser.parseCommaSeparatedList(AsmParser::Delimiter::Square, [&]() -> ParseResult {
        DimShardingAttr d = DimShardingAttr::parseBody(parser);
        if (!d)
          return failure();
        dims.push_back(d);
        return success();
      }))
    return {};
  if (succeeded(parser.parseOptionalKeyword("partial")) && parseAxisList(parser, partial))
    return {};
  if (parser.parseGreater())
    return {};
  return getChecked([&] { return parser.emitError(loc); }, parser.getContext(), dims,
                    partial);
}

void ShardingAttr::print(AsmPrinter &printer) const {
  printer << "<[";
  llvm::interleaveComma(getDims(), printer, [&](DimShardingAttr d) { d.printBody(printer); });
  printer << "]";
  if (!getPartial().empty()) {
    printer << " partial ";
    printAxisList(printer, getPartial());
  }
  printer << ">";
}

bool ShardingAttr::isReplicated() const {
  return getPartial().empty() &&
         llvm::none_of(getDims(), [](DimShardingAttr d) { return d.isSplit(); });
}

SmallVector<StringAttr> ShardingAttr::usedAxes() const {
  SmallVector<StringAttr> axes;
  for (DimShardingAttr d : getDims())
    llvm::append_range(axes, d.getAxes());
  llvm::append_range(axes, getPartial());
  return axes;
}

ShardingAttr ShardingAttr::replicated(MLIRContext *ctx, unsigned rank) {
  SmallVector<DimShardingAttr> dims(rank, DimShardingAttr::get(ctx, ArrayRef<StringAttr>{}));
  return get(ctx, dims, ArrayRef<StringAttr>{});
}

ShardingAttr ShardingAttr::withPartial(ArrayRef<StringAttr> partial) const {
  return get(getContext(), getDims(), partial);
}

ShardingAttr ShardingAttr::withDim(unsigned d, DimShardingAttr dim) const {
  assert(d < getRank() && "withDim: dimension out of range");
  SmallVector<DimShardingAttr> dims(getDims());
  dims[d] = dim;
  return get(getContext(), dims, getPartial());
}

} // namespace weft
