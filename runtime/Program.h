//===- Program.h - the steps of an Executable on one device -----*- C++ -*-===//
//
// This file implements the declaration of Program: the steps of a validated
// Executable loaded onto one device, every step's buffer addresses bound at
// load (the Executor owns the memory: the arena and the storage of each
// parameter and state buffer). The Executor runs every target through this
// interface: CpuProgram (runtime/CpuProgram.h) calls the kernel library's
// functions and BLAS, CudaProgram (runtime/cuda/CudaProgram.h) enqueues
// launches and cuBLASLt GEMMs on the GPU's stream. A step is dispatched on its
// kind in one place, runStep(): a kernel call, a GEMM, or a collective (handed
// to the Communicator of its group, runtime/comm/).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_PROGRAM_H
#define WEFT_RUNTIME_PROGRAM_H

#include "runtime/Status.h"
#include "runtime/executable.pb.h"

#include <string>

namespace weft::rt {

/// The steps of one Executable, loaded on one device. Not thread-safe.
class Program {
public:
  virtual ~Program() = default;
  Program(const Program &) = delete;
  Program &operator=(const Program &) = delete;

  /// Runs step `step` (on devices with a stream: enqueues it), dispatching on
  /// the step's kind. Errors name the kernel or the failing call, not the
  /// step (see inStep).
  Status runStep(int step);

  /// Runs every step in order, once. With `useGraph`, a device that can
  /// replay captured work does so (CudaProgram::runAll); others ignore it.
  /// Errors name the step.
  virtual Status runAll(bool useGraph) = 0;

  /// True once runAll(true) has captured the steps as a graph.
  virtual bool graphCaptured() const { return false; }

  /// What step `step` runs, for StepTime: "gemm", "kernel:<symbol>" or
  /// "collective:<kind>" (e.g. "collective:all_reduce").
  std::string stepKind(int step) const;

  /// How the device runs step `step` where it has several ways (a GEMM on
  /// the CPU: CpuProgram::stepRoute), for StepTime and tests; "" otherwise.
  virtual std::string stepRoute(int /*step*/) const { return ""; }

  /// `status` with "step <step> '<label>': " before its message.
  Status inStep(int step, const Status &status) const;

protected:
  /// `exe` (validated) must outlive the program.
  explicit Program(const proto::Executable &exe) : exe_(exe) {}

  /// Runs each step in order through runStep(); the first error, inStep.
  Status runEachStep();

  /// Runs kernel-call step `step`.
  virtual Status runKernelCall(int step) = 0;
  /// Runs GEMM step `step`.
  virtual Status runGemm(int step) = 0;
  /// Runs collective step `step` on its group's communicator.
  virtual Status runCollective(int step) = 0;

  const proto::Executable &exe() const { return exe_; }

private:
  const proto::Executable &exe_;
};

} // namespace weft::rt

#endif // WEFT_RUNTIME_PROGRAM_H
