//===- Phases.h - the named phases of a compile -----------------*- C++ -*-===//
//
// This file declares the one list of the phases a compile goes through, per
// target, with a line describing each. `--compile-to=PHASE` stops after one,
// the CLI's help text prints them, and weft::compile checks against them.
// The code generators' own phases come from codegen/common/CodegenOptions.h
// (their stop points), so each name is spelled once.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_COMPILER_PHASES_H
#define WEFT_COMPILER_PHASES_H

#include <string>
#include <vector>

namespace weft {

/// One phase of a compile.
struct Phase {
  std::string name;
  std::string description;
  /// True for the phases the code generator runs (after "graph").
  bool codegen = false;
};

/// The phases of a compile for `target`, in order: "weft" (as built by the
/// DSL), "train" (after the training passes; the same IR for a forward
/// program), "graph" (after the graph passes), the code generator's phases
/// ("linalg", "bufferized", then "llvm" for cpu or "loops", "gpu" for cuda),
/// and "executable". Empty for an unknown target.
const std::vector<Phase> &compilePhases(const std::string &target = "cpu");

/// Whether `name` is one of compilePhases(target).
bool isCompilePhase(const std::string &name, const std::string &target);

/// The phase names of `target` joined with ", " (for help and error texts).
std::string phaseNames(const std::string &target);

} // namespace weft

#endif // WEFT_COMPILER_PHASES_H
