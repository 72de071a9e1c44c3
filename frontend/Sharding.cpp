//===- Sharding.cpp - mesh and shard hints of the weft DSL ----------------===//
//
// This file implements MeshSpec (parsing and printing "dp=2,tp=2"),
// Program::setMesh (the module's weft.mesh) and shard(): the checks of a
// ShardSpec against the tensor and the mesh, with DslErrors at the model's
// line, then either a `weft.sharding` argument attribute (parameters and
// inputs) or a weft.sharding_constraint op (any other value).
//
//===----------------------------------------------------------------------===//

#include "frontend/Sharding.h"

#include "frontend/Builder.h"
#include "frontend/Program.h"

#include "ir/AttrNames.h"
#include "ir/Sharding.h"
#include "ir/WeftCollectiveOps.h"

#include <cctype>

using namespace mlir;

namespace weft {

namespace {

[[noreturn]] void meshError(const std::string &text, const std::string &message) {
  throw DslError("mesh '" + text + "': error: " + message +
                 "; write NAME=SIZE,..., e.g. dp=2,tp=2");
}

std::string trim(const std::string &s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

bool isIdentifier(const std::string &s) {
  if (s.empty() || !(std::isalpha((unsigned char)s[0]) || s[0] == '_'))
    return false;
  for (char c : s)
    if (!(std::isalnum((unsigned char)c) || c == '_'))
      return false;
  return true;
}

/// `text` as a whole number >= 1 that fits int64_t with room to multiply.
bool parseSize(const std::string &text, int64_t &out) {
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos)
    return false;
  out = std::stoll(text);
  return out >= 1;
}

/// The name tag (weft.param / weft.input value) of a function argument.
std::string argName(DictionaryAttr attrs) {
  for (StringRef tag : {kParamAttr, kInputAttr})
    if (auto s = attrs ? attrs.getAs<StringAttr>(tag) : StringAttr())
      return (tag == kParamAttr ? "parameter '" : "input '") + s.getValue().str() + "'";
  return "argument";
}

std::string attrStr(Attribute a) {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << a;
  return out;
}

/// The structural checks that need no MLIR: rank, known axes, each axis once,
/// blocks >= 1.
void checkSpec(detail::ProgramState &s, const Loc &loc, const Shape &shape,
               const ShardSpec &spec) {
  const std::string what = "shard " + shardSpecStr(spec) + " of a tensor " + shapeStr(shape);
  if (spec.size() != shape.size())
    s.fail(loc, what + ": the spec has " + std::to_string(spec.size()) +
                    " dimensions but the tensor has rank " + std::to_string(shape.size()) +
                    "; give one {axes} per dimension ({} for not split)");
  std::vector<std::pair<std::string, size_t>> used;
  for (size_t d = 0; d < spec.size(); ++d) {
    if (spec[d].blocks < 1)
      s.fail(loc, what + ": dimension " + std::to_string(d) + " has " +
                      std::to_string(spec[d].blocks) + " blocks; blocks must be >= 1");
    for (const std::string &axis : spec[d].axes) {
      if (!s.mesh.has(axis))
        s.fail(loc, what + ": dimension " + std::to_string(d) + " uses the axis '" + axis +
                        "' that the mesh " + s.mesh.str() + " does not have; its axes are " +
                        s.mesh.axisNames());
      for (auto &[prev, pd] : used)
        if (prev == axis)
          s.fail(loc, what + ": the axis '" + axis + "' is used twice (dimensions " +
                          std::to_string(pd) + " and " + std::to_string(d) +
                          "); each mesh axis splits at most one dimension");
      used.push_back({axis, d});
    }
  }
}

ShardingAttr toAttr(MLIRContext *ctx, const ShardSpec &spec) {
  SmallVector<DimShardingAttr> dims;
  for (const DimSplit &d : spec) {
    SmallVector<StringAttr> axes;
    for (const std::string &a : d.axes)
      axes.push_back(StringAttr::get(ctx, a));
    dims.push_back(DimShardingAttr::get(ctx, axes, d.blocks));
  }
  return ShardingAttr::get(ctx, dims);
}

/// Sets the weft.sharding of function argument `arg`, refusing a different
/// second hint.
void hintArgument(detail::ProgramState &s, const Loc &loc, BlockArgument arg, ShardingAttr attr) {
  DictionaryAttr &dict = s.argAttrs[arg.getArgNumber()];
  if (Attribute old = dict ? dict.get(kShardingAttr) : Attribute()) {
    if (old == attr)
      return;
    s.fail(loc, "shard: " + argName(dict) + " already has the hint " + attrStr(old) +
                    "; this second hint " + attrStr(attr) +
                    " differs (a parameter or input has one layout)");
  }
  NamedAttrList attrs(dict);
  attrs.set(kShardingAttr, attr);
  dict = attrs.getDictionary(s.context);
}

} // namespace

MeshSpec MeshSpec::parse(const std::string &text) {
  if (trim(text).empty())
    meshError(text, "the mesh is empty");
  MeshSpec m;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    std::string part = trim(text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
    pos = comma == std::string::npos ? text.size() + 1 : comma + 1;
    size_t eq = part.find('=');
    if (eq == std::string::npos)
      meshError(text, "'" + part + "' has no '=SIZE'");
    std::string name = trim(part.substr(0, eq)), sizeText = trim(part.substr(eq + 1));
    if (!isIdentifier(name))
      meshError(text, "'" + name + "' is not an axis name (letters, digits and _, not first a digit)");
    int64_t size;
    if (!parseSize(sizeText, size))
      meshError(text, "the size of axis '" + name + "' must be a whole number >= 1, got '" +
                          sizeText + "'");
    if (m.has(name))
      meshError(text, "the axis '" + name + "' is given twice");
    m.axes.push_back({name, size});
  }
  return m;
}

std::string MeshSpec::str() const {
  std::string s;
  for (auto &[name, size] : axes)
    s += (s.empty() ? "" : ",") + name + "=" + std::to_string(size);
  return s;
}

int64_t MeshSpec::size() const {
  int64_t n = 1;
  for (auto &axis : axes)
    n *= axis.second;
  return n;
}

int64_t MeshSpec::axisSize(const std::string &name) const {
  for (auto &[n, size] : axes)
    if (n == name)
      return size;
  return 0;
}

std::string MeshSpec::axisNames() const {
  std::string s;
  for (auto &axis : axes)
    s += (s.empty() ? "" : ", ") + axis.first;
  return s;
}

std::string shardSpecStr(const ShardSpec &spec) {
  std::string s = "[";
  for (size_t d = 0; d < spec.size(); ++d) {
    s += d ? ", {" : "{";
    for (size_t i = 0; i < spec[d].axes.size(); ++i)
      s += (i ? ", " : "") + spec[d].axes[i];
    s += "}";
    if (spec[d].blocks != 1)
      s += " x " + std::to_string(spec[d].blocks);
  }
  return s + "]";
}

void Program::setMesh(const MeshSpec &mesh, Loc loc) {
  detail::ProgramState &s = state();
  s.checkOpen(loc, "a mesh");
  if (s.meshSet)
    s.fail(loc, "setMesh: the program already has the mesh '" + s.mesh.str() +
                    "'; set the mesh once");
  Block &entry = s.func.getBody().front();
  if (entry.getNumArguments() != 0 || !entry.empty())
    s.fail(loc, "setMesh: the program already has inputs, parameters or ops; set the mesh "
                "before building anything");
  s.meshSet = true;
  s.mesh = mesh;
  if (mesh.empty())
    return;
  SmallVector<StringAttr> names;
  SmallVector<int64_t> sizes;
  for (auto &[name, size] : mesh.axes) {
    names.push_back(StringAttr::get(s.context, name));
    sizes.push_back(size);
  }
  (*s.module)->setAttr(kMeshAttr, MeshAttr::get(s.context, names, sizes));
}

const MeshSpec &Program::mesh() const { return state_->mesh; }

Tensor shard(const Tensor &t, const ShardSpec &spec, Loc loc) {
  detail::ProgramState &s = detail::stateOf(t, loc, "shard");
  s.checkOpen(loc, "a shard hint");
  if (s.mesh.empty())
    return t;
  Shape shape = t.shape();
  checkSpec(s, loc, shape, spec);
  ShardingAttr attr = toAttr(s.context, spec);
  auto mesh = cast<MeshAttr>((*s.module)->getAttr(kMeshAttr));
  auto type = cast<RankedTensorType>(t.value().getType());
  {
    detail::DiagnosticCapture capture(s.context);
    if (failed(verifySharding(attr, mesh, type,
                              [&] { return mlir::emitError(s.location(loc)); })))
      s.fail(loc, "shard " + shardSpecStr(spec) + " of a tensor " + shapeStr(shape) + ": " +
                      capture.message("the sharding does not fit the tensor"));
  }
  if (auto arg = dyn_cast<BlockArgument>(t.value());
      arg && arg.getOwner() == &s.func.getBody().front()) {
    hintArgument(s, loc, arg, attr);
    return t;
  }
  return detail::buildInferred<ShardingConstraintOp>(
      s, loc, {t.value()}, {detail::named(s, "sharding", attr)});
}

} // namespace weft
