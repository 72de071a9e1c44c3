//===- Module.h - helpers shared by the nn modules --------------*- C++ -*-===//
//
// This file implements the conventions every nn module follows: a module is
// constructed with the Program, a (possibly dotted) name under the open
// scopes, its sizes and the caller's Loc; the constructor creates the
// parameters "<scope>.<name>.<param>"; operator() applies the module inside a
// ModuleCall frame, so its ops are located at callsite(<module line> at
// <model line>) and errors are reported at the model line.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_FRONTEND_NN_MODULE_H
#define WEFT_FRONTEND_NN_MODULE_H

#include "frontend/Program.h"

#include <optional>
#include <string>

namespace weft::nn {

/// "a.b"; just the other part when one of them is empty.
inline std::string joinName(const std::string &a, const std::string &b) {
  if (a.empty())
    return b;
  if (b.empty())
    return a;
  return a + "." + b;
}

/// A scope named `name`, or none when `name` is empty.
inline std::optional<Scope> openScope(Program &p, const std::string &name) {
  if (name.empty())
    return std::nullopt;
  return p.scope(name);
}

} // namespace weft::nn

#endif // WEFT_FRONTEND_NN_MODULE_H
