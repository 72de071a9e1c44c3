//===- Phases.cpp - the named phases of a compile -------------------------===//
//
// This file implements the list of phases (Phases.h): the graph-level ones
// named here, the code generator's from codegenPhases(target).
//
//===----------------------------------------------------------------------===//

#include "compiler/Phases.h"

#include "codegen/common/CodegenOptions.h"

#include <map>

namespace weft {
namespace {

std::vector<Phase> buildPhases(const std::string &target) {
  std::vector<Phase> phases = {
      {"weft", "the program as the DSL (or the .mlir file) built it", false},
      {"train", "after the training passes (mixed precision, autodiff, optimizer, loss scaling)",
       false},
      {"parallel", "after sharding propagation and SPMD partitioning (a module with a weft.mesh, or --mesh auto)",
       false},
      {"graph", "after the graph passes (fusion, schedule, memory plan)", false}};
  static const std::map<std::string, std::string> codegenDescriptions = {
      {"linalg", "kernels lowered to linalg on tensors"},
      {"bufferized", "kernels on memrefs"},
      {"llvm", "kernels in the LLVM dialect (cpu)"},
      {"loops", "kernels as parallel loops (cuda)"},
      {"gpu", "kernels as a gpu.module of launches (cuda)"}};
  for (const std::string &name : codegen::codegenPhases(target))
    phases.push_back({name, codegenDescriptions.at(name), true});
  phases.push_back({"executable", "the Executable (the default)", true});
  return phases;
}

} // namespace

const std::vector<Phase> &compilePhases(const std::string &target) {
  static const std::vector<Phase> cpu = buildPhases("cpu");
  static const std::vector<Phase> cuda = buildPhases("cuda");
  static const std::vector<Phase> none;
  return target == "cpu" ? cpu : target == "cuda" ? cuda : none;
}

bool isCompilePhase(const std::string &name, const std::string &target) {
  for (const Phase &p : compilePhases(target))
    if (p.name == name)
      return true;
  return false;
}

std::string phaseNames(const std::string &target) {
  std::string names;
  for (const Phase &p : compilePhases(target))
    names += (names.empty() ? "" : ", ") + p.name;
  return names;
}

} // namespace weft
