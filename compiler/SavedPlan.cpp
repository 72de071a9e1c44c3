//===- SavedPlan.cpp - reading and applying a saved plan -------------------===//
//
// This file implements SavedPlan (SavedPlan.h).
//
//===----------------------------------------------------------------------===//

#include "compiler/SavedPlan.h"

#include "frontend/Sharding.h"
#include "frontend/DslError.h"
#include "ir/AttrNames.h"
#include "ir/Sharding.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Support/DebugStringHelper.h"
#include "llvm/Support/raw_ostream.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <set>
#include <sstream>

using namespace mlir;

namespace weft {

std::optional<SavedPlan> SavedPlan::read(const std::string &path, std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read the plan '" + path + "'";
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    error = "the plan '" + path + "' is not a JSON object (write one with weft plan ... -o FILE)";
    return std::nullopt;
  }
  SavedPlan p;
  p.path = path;
  p.text = text.str();
  auto need = [&](const char *key, bool (nlohmann::json::*is)() const noexcept, const char *what) {
    if (j.contains(key) && (j[key].*is)())
      return true;
    error = "the plan '" + path + "': '" + key + "' is missing or not " + what;
    return false;
  };
  if (!need("devices", &nlohmann::json::is_number_integer, "an integer") ||
      !need("mesh", &nlohmann::json::is_string, "a string") ||
      !need("arguments", &nlohmann::json::is_object, "an object"))
    return std::nullopt;
  p.devices = j["devices"].get<int64_t>();
  p.mesh = j["mesh"].get<std::string>();
  if (j.contains("model") && j["model"].is_string())
    p.model = j["model"].get<std::string>();
  for (auto &[name, layout] : j["arguments"].items()) {
    if (!layout.is_string()) {
      error = "the plan '" + path + "': the layout of '" + name + "' is not a string";
      return std::nullopt;
    }
    p.arguments[name] = layout.get<std::string>();
  }
  return p;
}

std::string SavedPlan::applyTo(ModuleOp module) const {
  MLIRContext *ctx = module.getContext();
  const std::string where = "the plan '" + path + "'" + (model.empty() ? "" : " (made for " + model + ")");
  MeshSpec spec;
  try {
    spec = MeshSpec::parse(mesh);
  } catch (const DslError &e) {
    return where + ": its mesh: " + e.what();
  }
  if (spec.size() != devices)
    return where + ": its mesh " + mesh + " has " + std::to_string(spec.size()) + " devices, it says " +
           std::to_string(devices);
  SmallVector<StringAttr> names;
  SmallVector<int64_t> sizes;
  for (auto &[name, size] : spec.axes) {
    names.push_back(StringAttr::get(ctx, name));
    sizes.push_back(size);
  }
  auto meshAttr = MeshAttr::get(ctx, names, sizes);
  auto func = module.lookupSymbol<func::FuncOp>("main");
  if (!func)
    return where + ": the program has no function @main";
  std::map<std::string, ShardingAttr> byName;
  std::set<std::string> used;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    std::string name, owner;
    if (auto a = func.getArgAttrOfType<StringAttr>(i, kParamAttr))
      name = a.getValue().str();
    else if (auto a = func.getArgAttrOfType<StringAttr>(i, kInputAttr))
      name = a.getValue().str();
    else if (auto a = func.getArgAttrOfType<StringAttr>(i, kStateAttr))
      owner = a.getValue().split(':').second.str(); // held as its parameter
    auto type = cast<RankedTensorType>(func.getArgument(i).getType());
    const std::string &key = owner.empty() ? name : owner;
    auto it = arguments.find(key);
    if (it == arguments.end()) {
      if (!owner.empty() || type.getRank() == 0)
        continue; // state of an unplanned parameter, a scalar (lr, step): left to propagation
      return where + ": it has no layout for '" + name + "' " + debugString(type) +
             " of this program: a plan for another model? (make one with weft plan for this model)";
    }
    used.insert(key);
    auto s = dyn_cast_or_null<ShardingAttr>(parseAttribute(it->second, ctx));
    if (!s)
      return where + ": the layout of '" + key + "' is not a #weft.sharding: " + it->second;
    std::string why;
    {
      ScopedDiagnosticHandler capture(ctx, [&](Diagnostic &d) {
        why = d.str();
        return success();
      });
      if (failed(verifySharding(s, meshAttr, type, [&]() { return emitError(UnknownLoc::get(ctx)); })))
        return where + ": the layout " + it->second + " does not fit '" + key + "' " + debugString(type) +
               " on the mesh " + mesh + ": " + why;
    }
    func.setArgAttr(i, kShardingAttr, s);
  }
  for (auto &[name, layout] : arguments)
    if (!used.count(name))
      return where + ": it lays out '" + name + "', which this program does not have: a plan for another model?";
  module->setAttr(kMeshAttr, meshAttr);
  return "";
}

} // namespace weft
