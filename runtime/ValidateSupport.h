//===- ValidateSupport.h - shared pieces of Executable::validate -*- C++ -*-===//
//
// This file implements the helpers that the files of Executable::validate
// share (runtime/ExecutableValidate.cpp, runtime/ExecutableValidateMesh.cpp):
// the error reporter that prefixes the executable's source, how buffers and
// steps are named in errors, and which buffers have their own storage.
// Internal to the runtime.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_VALIDATESUPPORT_H
#define WEFT_RUNTIME_VALIDATESUPPORT_H

#include "runtime/Status.h"
#include "runtime/executable.pb.h"

#include <string>

namespace weft::rt::validate {

/// Builds error messages that all start with the executable's source.
struct Reporter {
  const std::string &source;
  Status fail(const std::string &what) const {
    return invalidArgument("invalid executable '" + source + "': " + what);
  }
};

inline std::string bufferRef(const proto::Executable &exe, uint64_t i) {
  return "buffer " + std::to_string(i) + " '" + exe.buffers(static_cast<int>(i)).name() + "'";
}

inline std::string stepRef(const proto::Executable &exe, int i) {
  return "step " + std::to_string(i) + " '" + exe.steps(i).label() + "'";
}

/// PARAMETER and STATE buffers have storage of their own, outside the arena.
inline bool ownsStorage(const proto::Buffer &b) {
  return b.kind() == proto::PARAMETER || b.kind() == proto::STATE;
}

inline bool livesInArena(const proto::Buffer &b) { return !b.has_alias_of() && !ownsStorage(b); }

/// A step may write buffer `id` (in range): not the storage of a PARAMETER or
/// STATE (nor a view of one) unless it is an update output, and not a buffer
/// written at load (CONSTANT, MESH_INDEX). `what` names the operand
/// ("<step>: gemm output c").
Status checkWritable(const proto::Executable &exe, uint32_t id, const std::string &what,
                     const Reporter &r);

/// Rule 9 of ExecutableValidate.cpp: the mesh, MESH_INDEX buffers and
/// collective steps (runtime/ExecutableValidateMesh.cpp).
Status checkMesh(const proto::Executable &exe, const Reporter &r);
/// Collective step `s` (exe.steps(s).has_collective()), after checkMesh.
Status checkCollective(const proto::Executable &exe, int s, const Reporter &r);

} // namespace weft::rt::validate

#endif // WEFT_RUNTIME_VALIDATESUPPORT_H
