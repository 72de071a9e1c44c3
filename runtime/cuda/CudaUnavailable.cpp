//===- CudaUnavailable.cpp - the CUDA entry points of a build without CUDA ===//
//
// This file implements openCudaDevice, openGpuCommunicator and
// CudaProgram::load for builds made without the CUDA toolkit: all fail with
// UNAVAILABLE and say how to get a runtime that runs "cuda" Executables.
//
//===----------------------------------------------------------------------===//

#include "runtime/cuda/CudaProgram.h"

namespace weft::rt {
namespace {

Status notBuilt() {
  return unavailable("cuda: this weft runtime was built without the CUDA toolkit; install it "
                     "(/usr/local/cuda) and rebuild to run \"cuda\" executables");
}

} // namespace

bool cudaRuntimeBuilt() { return false; }

bool cudaGraphsEnabledByEnvironment() { return false; }

StatusOr<std::unique_ptr<Device>> openCudaDevice(int) { return notBuilt(); }

StatusOr<std::shared_ptr<Communicator>> openGpuCommunicator(Device &, std::shared_ptr<Communicator>) {
  return notBuilt();
}

StatusOr<std::unique_ptr<CudaProgram>> CudaProgram::load(Device &, const proto::Executable &,
                                                         const std::vector<void *> &,
                                                         const std::string &,
                                                         const std::vector<Communicator *> &) {
  return notBuilt();
}

} // namespace weft::rt
