//===- Strategies.cpp - named parallel strategies -------------------------===//
//
// This file implements the named strategies of Strategies.h: a name is a
// comma-separated set of dp, tp and sp (or "none"); each part needs its mesh
// axis and sets its field of the plan.
//
//===----------------------------------------------------------------------===//

#include "models/catalog/Strategies.h"

#include <set>
#include <stdexcept>

namespace weft {

namespace {
constexpr const char *kDataAxis = "dp", *kTensorAxis = "tp";
} // namespace

const char *strategyNames() { return "none, dp, tp, sp, dp,tp (or tp,dp), dp,sp"; }

nn::ParallelPlan strategyPlan(const std::string &name, const MeshSpec &mesh) {
  nn::ParallelPlan plan;
  if (name == "none")
    return plan;
  std::set<std::string> parts;
  size_t pos = 0;
  while (pos <= name.size()) {
    size_t comma = name.find(',', pos);
    std::string part = name.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? name.size() + 1 : comma + 1;
    if ((part != "dp" && part != "tp" && part != "sp") || !parts.insert(part).second)
      throw std::invalid_argument("unknown strategy '" + name + "'; strategies: " +
                                  strategyNames());
  }
  if (parts.count("tp") && parts.count("sp"))
    throw std::invalid_argument("unknown strategy '" + name + "' (sp already includes tp); " +
                                "strategies: " + strategyNames());
  auto axis = [&](const char *a) {
    if (!mesh.has(a))
      throw std::invalid_argument("strategy " + name + " needs a mesh axis '" + a +
                                  "'; the mesh is " + (mesh.empty() ? "one device" : mesh.str()));
    return std::string(a);
  };
  if (parts.count("dp"))
    plan.dataAxis = axis(kDataAxis);
  if (parts.count("tp") || parts.count("sp"))
    plan.tensorAxis = axis(kTensorAxis);
  plan.sequenceParallel = parts.count("sp") > 0;
  return plan;
}

std::string defaultStrategy(const MeshSpec &mesh) {
  if (mesh.empty())
    return "none";
  bool dp = mesh.has(kDataAxis), tp = mesh.has(kTensorAxis);
  if (size_t(dp) + size_t(tp) != mesh.axes.size())
    throw std::invalid_argument("the mesh " + mesh.str() +
                                " has axes other than dp and tp, so it implies no strategy; "
                                "name one with --strategy (" + strategyNames() + ")");
  return dp && tp ? "dp,tp" : dp ? "dp" : "tp";
}

} // namespace weft
