//===- SavedPlan.h - a plan written by `weft plan -o`, to run -----*- C++ -*-===//
//
// This file declares SavedPlan: what `weft plan ... -o plan.json` wrote (the
// mesh, the device count, the model it was made for, every parameter's and
// input's layout by name) read back, and applied to a program so that
// `weft train/run/compile --plan plan.json` runs exactly that plan: the mesh
// set on the module, each named argument hinted with its layout (optimizer
// state as its parameter), the rest left to propagation. A plan for another
// model (an argument it names that the program lacks, or the other way
// round, or a layout that does not fit the argument's shape) or for another
// number of devices is refused with the reason.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_COMPILER_SAVEDPLAN_H
#define WEFT_COMPILER_SAVEDPLAN_H

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace mlir {
class ModuleOp;
} // namespace mlir

namespace weft {

struct SavedPlan {
  std::string path;  // where it was read from, for messages
  std::string model; // "gpt2 (models/configs/gpt3-175b.json)"
  int64_t devices = 0;
  std::string mesh;  // "dp=128,tp=8"
  std::map<std::string, std::string> arguments; // name -> "#weft.sharding<...>"

  /// Reads `path`; an error message naming the file and the key when it is
  /// not JSON or a key is missing or of the wrong type.
  static std::optional<SavedPlan> read(const std::string &path, std::string &error);
  /// The file's contents, for the compile cache's key.
  std::string text;

  /// Sets the mesh and the layouts on `module` (function @main); an error
  /// message when the plan does not fit the program.
  std::string applyTo(mlir::ModuleOp module) const;
};

} // namespace weft

#endif // WEFT_COMPILER_SAVEDPLAN_H
