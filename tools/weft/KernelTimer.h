//===- KernelTimer.h - compiling and timing one small program ---*- C++ -*-===//
//
// This file declares what `weft calibrate` measures a device with: the small
// programs it times (a matmul, an elementwise pass over a large buffer, a
// one-op program, the element functions in their contexts), each built with
// the DSL, compiled by the real compiler (through the compile cache) for a
// target and run by the runtime's Executor (calibrate/ExecutableTimer.h), so
// that the figures are those of weft's own kernels and library calls. The
// device suite's probes (calibrate/DeviceSuite.h) are built by the same
// builders (buildProbe).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TOOLS_WEFT_KERNELTIMER_H
#define WEFT_TOOLS_WEFT_KERNELTIMER_H

#include "calibrate/DeviceSuite.h"
#include "calibrate/ExecutableTimer.h"
#include "cost/ClusterSpec.h"
#include "frontend/Types.h"
#include "runtime/Executable.h"
#include "runtime/comm/Communicator.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace weft {
class Program;
} // namespace weft

namespace weft::cli {

using calibrate::KernelTiming;
using calibrate::TimingPlan;

/// Builds a program with `build` (inputs and outputs declared on it) and
/// compiles it for `target` through the compile cache; the compile's seconds
/// and whether the cache had it go to `timing` when given. Throws with
/// `what` when the compile fails.
rt::Executable compileProgram(const std::string &what, const std::function<void(Program &)> &build,
                              const std::string &target = "cpu", KernelTiming *timing = nullptr);

/// compileProgram for the CPU, then calibrate::timeExecutable per `plan`
/// (every run after a barrier of `group` when given). Throws on failure.
KernelTiming timeProgram(const std::string &what, const std::function<void(Program &)> &build,
                         const TimingPlan &plan, rt::Communicator *group);

/// The builders: each declares its inputs and outputs on `p`.
/// c = a @ b, a [m, k] and b [k, n] of `dtype`; `copies` such matmuls one
/// after another, each on operands of its own (outputs c0, c1, ...): each
/// then finds its operands out of the caches, as a training step's GEMMs
/// find their weights and saved activations.
void buildMatmul(Program &p, int64_t m, int64_t n, int64_t k, DType dtype, int copies = 1);
/// y = -x over `elements` f32 values (reads and writes 4 bytes each).
void buildNegate(Program &p, int64_t elements);
/// y = x + x over `elements` f32 values: one tiny kernel, the fixed cost of
/// a run; `copies` such kernels (inputs x0, x1, ... and outputs y0, y1, ...).
void buildDouble(Program &p, int64_t elements, int copies = 1);
/// y = x * f(x) over `elements` f32 values for an element function of the
/// DSL (not log: its inputs would need to be positive), or y = x * x without
/// one: one fused kernel either way, the two programs moving the same bytes
/// so that their difference is the function's cost.
void buildElementFunction(Program &p, std::optional<cost::ElementFunction> f, int64_t elements);
/// y = f(x @ w + b) for x [rows, k], w [k, n], b [n] with f a GELU (or
/// none): the compiler fuses it into one GEMM with an epilogue.
void buildLinear(Program &p, int64_t rows, int64_t k, int64_t n, std::optional<cost::ElementFunction> activation);
/// softmax(x) over the last axis of x [rows, cols]: one fused kernel.
void buildSoftmax(Program &p, int64_t rows, int64_t cols);
/// The program of a device-suite probe (one of the builders above).
void buildProbe(Program &p, const calibrate::Probe &probe);

/// The builders timed on the CPU (timeProgram); a matmul with `copies` > 1
/// is timed per matmul.
KernelTiming timeMatmul(int64_t m, int64_t n, int64_t k, DType dtype, const TimingPlan &plan,
                        rt::Communicator *group, int copies = 1);
KernelTiming timeStreaming(int64_t elements, const TimingPlan &plan, rt::Communicator *group);
KernelTiming timeElementFunction(std::optional<cost::ElementFunction> f, int64_t elements, const TimingPlan &plan,
                                 rt::Communicator *group);
KernelTiming timeLinear(int64_t rows, int64_t k, int64_t n, std::optional<cost::ElementFunction> activation,
                        const TimingPlan &plan, rt::Communicator *group);
KernelTiming timeSoftmax(int64_t rows, int64_t cols, const TimingPlan &plan, rt::Communicator *group);
KernelTiming timeTinyProgram(int64_t elements, const TimingPlan &plan, rt::Communicator *group);

} // namespace weft::cli

#endif // WEFT_TOOLS_WEFT_KERNELTIMER_H
