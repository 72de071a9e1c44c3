//===- CpuProgram.h - the steps of a "cpu" Executable -----------*- C++ -*-===//
//
// This file implements the declaration of CpuProgram: the steps of a "cpu"
// Executable on the host, each kernel call one indirect call into the
// executable's kernel library (an ELF shared object loaded by KernelLibrary)
// with the addresses of its buffers, each GEMM one cblas_sgemm per batch (bf16
// and f16 ones through runtime/cpu/NarrowGemm.h), each collective one call on
// its group's Communicator (runtime/comm/).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_CPUPROGRAM_H
#define WEFT_RUNTIME_CPUPROGRAM_H

#include "runtime/KernelLibrary.h"
#include "runtime/Program.h"

#include <memory>
#include <string>
#include <vector>

namespace weft::rt {

class Communicator;
class NarrowGemm;

/// The steps of a "cpu" Executable, run on the calling thread.
class CpuProgram final : public Program {
public:
  /// Loads exe.kernel_library (when there are kernels), resolves every
  /// kernel's symbol and packs, per step, the addresses of the buffers it
  /// reads and writes (`addresses` is indexed by buffer id). `exe` must be
  /// validated and outlive the program; `source` names it in errors.
  /// `stepComms[s]` is the communicator of collective step s (indexed by
  /// step; it must outlive the program); a collective without one fails
  /// FAILED_PRECONDITION when it runs.
  static StatusOr<std::unique_ptr<CpuProgram>> load(const proto::Executable &exe,
                                                    const std::vector<void *> &addresses,
                                                    const std::string &source,
                                                    std::vector<Communicator *> stepComms = {});

  ~CpuProgram() override;

  /// Runs each step in turn; the host has no graphs (`useGraph` is ignored).
  Status runAll(bool useGraph) override;

  /// How GEMM step `step` runs: "sgemm", "small-m f32" / "small-m bf16" /
  /// "small-m f16" (runtime/cpu/Gemv.h), "onednn" or "widened to f32"
  /// (NarrowGemm), "small-m int8" or "int8"; "" for other steps.
  std::string stepRoute(int step) const override;

private:
  explicit CpuProgram(const proto::Executable &exe);
  Status bind(const std::vector<void *> &addresses, const std::string &source);
  Status runKernelCall(int step) override;
  Status runGemm(int step) override;
  /// A Gemm whose b is int8 with per-channel scales (b_dtype I8).
  Status runInt8WeightGemm(int step);
  static bool runsSmallM(const proto::Gemm &g);
  Status runCollective(int step) override;

  std::unique_ptr<KernelLibrary> library_;
  std::vector<KernelFn> stepKernel_;          // per step: its kernel, or null for a gemm
  std::vector<std::vector<void *>> stepArgs_; // per step: a call's args, a gemm's a, b, c, or a
                                              // collective's input, output
  std::vector<Communicator *> stepComms_;     // per step: a collective's group, or null
  std::vector<std::unique_ptr<NarrowGemm>> narrowGemms_; // per step: a bf16/f16 gemm's plan, or null
};

} // namespace weft::rt

#endif // WEFT_RUNTIME_CPUPROGRAM_H
