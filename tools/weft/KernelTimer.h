//===- KernelTimer.h - timing one small compiled program -------*- C++ -*-===//
//
// This file declares what `weft calibrate` measures a device with: the small
// programs it times (a matmul, an elementwise pass over a large buffer, a
// one-op program), each built with the DSL, compiled by the real compiler
// (through the compile cache) and run by the runtime's Executor, so that the
// figures are those of weft's own kernels and library calls. Under mpirun
// every rank times its own copy at the same moment (a barrier before each
// run), as the devices of a parallel program share the machine; with more
// ranks than cores each sample is a sustained stretch of runs
// (TimingPlan::sustainSeconds).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TOOLS_WEFT_KERNELTIMER_H
#define WEFT_TOOLS_WEFT_KERNELTIMER_H

#include "cost/ClusterSpec.h"
#include "frontend/Types.h"
#include "runtime/comm/Communicator.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace weft {
class Program;
} // namespace weft

namespace weft::cli {

/// How often a program runs: untimed warm-up runs, then timed ones.
struct TimingPlan {
  int warmup = 2;
  int runs = 7;
  /// Time the program's steps (the Executor's profiler, their sum) instead
  /// of whole runs: a kernel's own time, without the run's staging of inputs.
  bool stepsOnly = false;
  /// When > 0, each timed sample runs the program back to back (no barrier
  /// between the runs) for at least this many seconds and reports the mean
  /// run. Ranks that outnumber the cores need it: a run shorter than the
  /// scheduler's time slice is otherwise timed on a core of its own while
  /// the other ranks wait, but a parallel step's ops share the cores.
  double sustainSeconds = 0;
};

/// The median seconds of one Executor::run of a program, and the compile.
struct KernelTiming {
  double seconds = 0;
  std::vector<double> samples; ///< every timed run's seconds, in order
  int runs = 0;
  double compileSeconds = 0;
  bool cacheHit = false;
};

/// Builds a program with `build` (inputs and outputs declared on it),
/// compiles it for the CPU, fills its inputs with values in [-1, 1) (bf16 and
/// f16 inputs too) and times it per `plan`. With `group`, every run starts
/// after a barrier of the group. `what` names the program in errors.
KernelTiming timeProgram(const std::string &what, const std::function<void(Program &)> &build,
                         const TimingPlan &plan, rt::Communicator *group);

/// An m x k by k x n matmul of `dtype` inputs. With `copies` > 1 the
/// program runs that many such matmuls one after another, each on operands of
/// its own, and the timing is per matmul: each then finds its operands out of
/// the caches (the others' evicted them), as a training step's GEMMs find
/// their weights and saved activations.
KernelTiming timeMatmul(int64_t m, int64_t n, int64_t k, DType dtype, const TimingPlan &plan,
                        rt::Communicator *group, int copies = 1);

/// y = -x over `elements` f32 values (reads and writes 4 bytes each).
KernelTiming timeStreaming(int64_t elements, const TimingPlan &plan, rt::Communicator *group);

/// y = x * f(x) over `elements` f32 values in [-1, 1) for an element
/// function of the DSL (not log: its inputs would need to be positive), or
/// y = x * x without one: one fused kernel either way, the function inside a
/// fusion as a step's elementwise chains run it (a lone weft.tanh kernel ran
/// several times slower than the same loop in a fusion), the two programs
/// moving the same bytes so that their difference is the function's cost.
KernelTiming timeElementFunction(std::optional<cost::ElementFunction> f, int64_t elements, const TimingPlan &plan,
                                 rt::Communicator *group);

/// y = f(x @ w + b) for x [rows, k], w [k, n], b [n] with f a GELU (gelu,
/// gelu_tanh or fast_gelu; or none): the compiler fuses it into one GEMM
/// with a bias and activation epilogue.
KernelTiming timeLinear(int64_t rows, int64_t k, int64_t n, std::optional<cost::ElementFunction> activation,
                        const TimingPlan &plan, rt::Communicator *group);

/// softmax(x) over the last axis of x [rows, cols]: one fused kernel.
KernelTiming timeSoftmax(int64_t rows, int64_t cols, const TimingPlan &plan, rt::Communicator *group);

/// y = x + x over `elements` f32 values: one tiny kernel, the fixed cost of
/// a run.
KernelTiming timeTinyProgram(int64_t elements, const TimingPlan &plan, rt::Communicator *group);

} // namespace weft::cli

#endif // WEFT_TOOLS_WEFT_KERNELTIMER_H
