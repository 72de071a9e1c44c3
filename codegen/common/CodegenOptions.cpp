//===- CodegenOptions.cpp - the code generators' phases and targets -------===//
//
// This file implements the lists of code generation phases per target, the
// per-target arena alignment, and the check of a requested stop phase.
//
//===----------------------------------------------------------------------===//

#include "codegen/common/CodegenOptions.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"

#include <algorithm>

namespace weft::codegen {

const std::vector<std::string> &codegenPhases(const std::string &target) {
  static const std::vector<std::string> cpu = {"linalg", "bufferized", "llvm"};
  static const std::vector<std::string> cuda = {"linalg", "bufferized", "loops", "gpu"};
  static const std::vector<std::string> none;
  return target == "cpu" ? cpu : target == "cuda" ? cuda : none;
}

uint64_t arenaAlignment(const std::string &target) { return target == "cuda" ? 256 : 64; }

mlir::FailureOr<size_t> stopPhaseIndex(const CodegenOptions &options, const std::string &target,
                                       mlir::Location loc) {
  const std::vector<std::string> &phases = codegenPhases(target);
  if (options.stopAfter.empty())
    return phases.size();
  auto it = std::find(phases.begin(), phases.end(), options.stopAfter);
  if (it != phases.end())
    return static_cast<size_t>(it - phases.begin());
  std::string names;
  for (size_t i = 0; i < phases.size(); ++i)
    names += (i == 0 ? "" : i + 1 == phases.size() ? " or " : ", ") + phases[i];
  return mlir::emitError(loc) << "unknown " << (target == "cpu" ? "" : target + " ")
                              << "code generation phase '" << options.stopAfter << "'; use "
                              << names;
}

} // namespace weft::codegen
