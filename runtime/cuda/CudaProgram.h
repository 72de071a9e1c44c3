//===- CudaProgram.h - the steps of a "cuda" Executable ---------*- C++ -*-===//
//
// This file implements the declaration of the CUDA runtime's entry points for
// the Executor: opening a GPU as a Device, and loading the steps of a "cuda"
// Executable onto it as a Program (its cubin's kernels and its cuBLASLt GEMM
// plans) so that each step is enqueued on the device's stream by one call. It
// includes no CUDA header: weft builds without the CUDA toolkit, and then both
// entry points fail with UNAVAILABLE and a message saying so. A whole run is
// replayed as one CUDA graph unless WEFT_CUDA_GRAPHS=0 (or
// Executor::setCudaGraphs(false)) or the program has collectives over several
// GPUs: those run on NCCL (runtime/comm/NcclCommunicator.h), which waits for
// each collective (to name a rank that died) and so cannot be captured.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_CUDA_CUDAPROGRAM_H
#define WEFT_RUNTIME_CUDA_CUDAPROGRAM_H

#include "runtime/Device.h"
#include "runtime/Program.h"

#include <memory>
#include <string>
#include <vector>

namespace weft::rt {

class Communicator;

/// Opens GPU `ordinal` as a Device for "cuda" Executables. UNAVAILABLE, with
/// the reason, when weft was built without the CUDA toolkit or when the driver
/// or that GPU is missing.
StatusOr<std::unique_ptr<Device>> openCudaDevice(int ordinal = 0);

/// The NCCL communicator of `hostGroup`'s ranks on `gpu` (a device from
/// openCudaDevice): every rank of the group calls it; NCCL's id is handed out
/// over `hostGroup` and its collectives are enqueued on the device's stream.
/// UNAVAILABLE when CUDA was not built or libnccl.so.2 cannot be loaded;
/// NCCL's own error (e.g. two ranks on one GPU) otherwise.
StatusOr<std::shared_ptr<Communicator>> openGpuCommunicator(Device &gpu,
                                                            std::shared_ptr<Communicator> hostGroup);

/// True when this build of the runtime includes the CUDA device.
bool cudaRuntimeBuilt();

/// The steps of a "cuda" Executable, loaded on a device from openCudaDevice().
/// runStep() enqueues a step's launches or its GEMM on the device's stream;
/// errors name the kernel and the driver or cuBLASLt call. runAll(useGraph)
/// enqueues every step in order, once: with `useGraph`, the first call
/// launches step by step (a warm-up: kernels load outside any capture), the
/// next captures the steps as a CUDA graph (nothing runs while capturing) and
/// launches it, and later calls replay the graph with one launch; the graph
/// keeps the addresses given to load(), which do not change. Its errors name
/// the step, or the driver call of the capture or replay.
class CudaProgram : public Program {
public:
  /// Loads the cubin in exe.kernel_library, resolves every launch's function,
  /// packs each kernel call's arguments (the device addresses of its buffers,
  /// `addresses` being indexed by buffer id) and plans each GEMM with
  /// cuBLASLt. `exe` must be validated; `source` names it in errors.
  /// `stepComms[s]` is collective step s's group (from openGpuCommunicator),
  /// needed for groups of several GPUs; a step without one whose group is one
  /// GPU is a copy on the stream. A collective over several GPUs without a
  /// communicator is INVALID_ARGUMENT naming the step.
  static StatusOr<std::unique_ptr<CudaProgram>> load(Device &device,
                                                     const proto::Executable &exe,
                                                     const std::vector<void *> &addresses,
                                                     const std::string &source,
                                                     const std::vector<Communicator *> &stepComms = {});

protected:
  using Program::Program;
};

/// False when the environment variable WEFT_CUDA_GRAPHS is "0" (graphs off,
/// for debugging: each step is launched on its own); true otherwise.
bool cudaGraphsEnabledByEnvironment();

} // namespace weft::rt

#endif // WEFT_RUNTIME_CUDA_CUDAPROGRAM_H
