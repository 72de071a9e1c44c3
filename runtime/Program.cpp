//===- Program.cpp - the steps of an Executable on one device -------------===//
//
// This file implements what every device's Program shares: the dispatch of a
// step on its kind (a kernel call, a GEMM or a collective), the loop that runs each step in
// order, and the step names used in errors and step timings.
//
//===----------------------------------------------------------------------===//

#include "runtime/Program.h"
#include "runtime/comm/CollectiveStep.h"

namespace weft::rt {

Status Program::runStep(int step) {
  // Every kind of step is dispatched here.
  switch (exe_.steps(step).kind_case()) {
  case proto::Step::kKernelCall:
    return runKernelCall(step);
  case proto::Step::kGemm:
    return runGemm(step);
  case proto::Step::kCollective:
    return runCollective(step);
  case proto::Step::KIND_NOT_SET:
    break;
  }
  return internalError("a step that is neither a kernel call, a gemm nor a collective (not "
                       "validated?)");
}

Status Program::runEachStep() {
  for (int s = 0; s < exe_.steps_size(); ++s) {
    Status st = runStep(s);
    if (!st.isOk())
      return inStep(s, st);
  }
  return Status::ok();
}

std::string Program::stepKind(int step) const {
  const proto::Step &s = exe_.steps(step);
  if (s.has_gemm())
    return "gemm";
  if (s.has_collective())
    return std::string("collective:") + collectiveKindName(s.collective().kind());
  return "kernel:" + exe_.kernels(static_cast<int>(s.kernel_call().kernel())).symbol();
}

Status Program::inStep(int step, const Status &status) const {
  return Status(status.code(), "step " + std::to_string(step) + " '" + exe_.steps(step).label() +
                                   "': " + status.message());
}

} // namespace weft::rt
