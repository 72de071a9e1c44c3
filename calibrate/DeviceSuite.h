//===- DeviceSuite.h - the programs that measure one device ------*- C++ -*-===//
//
// This file declares the device suite: the small programs ("probes") whose
// times give a device's figures in a cluster description (cost/ClusterSpec.h)
// and how the figures follow from their medians:
//   - the peaks: an f32, a bf16 and an f16 square matmul (achieved FLOP/s);
//   - the GEMM efficiency: a transformer-sized f32 matmul's share of the f32
//     peak;
//   - the GEMM rate grids (f32; on a GPU bf16 too): m x k by k x n matmuls,
//     each program several copies on operands of their own (~256 MiB in all)
//     so that every matmul finds its operands out of the caches, as a
//     training step's GEMMs find their weights;
//   - the memory bandwidth (y = -x over a buffer far larger than the caches)
//     and the bandwidth curve (y = -x moving 64 KiB and up);
//   - the launch overhead: a one-op program on 16 floats;
//   - the element functions, each where the compiler puts it: the GELUs as a
//     GEMM's epilogue (less the same linear without one), exp in a softmax,
//     tanh and sigmoid in a fusion y = x * f(x) (less y = x * x).
// The sizes depend on the target: a GPU's grid reaches 8192 x 12288 x 12288,
// its buffers 1 GiB; the CPU's are those `weft calibrate` measures this
// machine with (suiteSizes, shared with its multi-rank path). The CPU's
// probes are timed step by step, as `weft calibrate` times them; a GPU's
// as whole runs replaying a CUDA graph (a training step's way: kernels
// back to back, ~2 us apart, where a step timed alone pays a launch and a
// synchronize, ~10 us), less the run's fixed cost: a program of one tiny
// kernel gives that cost plus one kernel, a program of 64 such kernels the
// cost of each (the launch figure).
// The probes are plain data: `weft calibrate` builds each as a program with
// the DSL and compiles it (tools/weft/KernelTimer.h); the figures come from
// the probes' medians here, without the compiler.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_CALIBRATE_DEVICESUITE_H
#define WEFT_CALIBRATE_DEVICESUITE_H

#include "cost/ClusterSpec.h"
#include "runtime/HostTensor.h"
#include "runtime/Status.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace weft::calibrate {

/// The sizes of a device's measurement on `target` ("cpu" or "cuda"); quick:
/// small sizes, a few seconds.
struct SuiteSizes {
  int64_t gemmF32, gemmNarrow;       // the f32 peak's n^3, bf16 and f16's
  int64_t shapedM, shapedN, shapedK; // a transformer-sized GEMM: tokens x (4 x width) x width
  std::vector<double> gridM, gridNK; // the rate grids: m x n x k with n and k from gridNK
  std::vector<rt::DType> gridTypes;  // the grids measured (f32 first)
  int64_t coldBytes = 256ll << 20;   // a grid program's operands at least (copies, at most maxCopies)
  int maxCopies = 64;
  int64_t streamElements;            // the DRAM pass: y = -x over this many f32
  std::vector<int64_t> streamBytes;  // the bandwidth curve's smaller working sets (bytes moved)
  int64_t tinyElements = 16;
  int64_t functionRows;              // the element functions: rows x 768 by 768 x 3072 linears,
  int64_t functionWidth = 768, functionWide = 3072; // fusions over rows x 3072
  int64_t softmaxRows, softmaxCols;  // exp: a softmax over these
};
rt::StatusOr<SuiteSizes> suiteSizes(const std::string &target, bool quick);

/// The copies of a grid matmul (m x k by k x n of `dtype`) whose operands
/// and result together reach sizes.coldBytes, at most sizes.maxCopies; 1 in
/// a quick measurement.
int gridCopies(const SuiteSizes &sizes, bool quick, double m, double n, double k, rt::DType dtype);

/// An element function's seconds per element: a probe's time less its
/// context's (the base program's; at least 1% of the probe's is kept) over
/// the elements it applies the function to.
double functionSecondsPerElement(double probeSeconds, double baseSeconds, int64_t elements);

/// What a probe's median measures.
enum class ProbeRole {
  PeakF32, PeakBF16, PeakF16, // square matmuls
  Shaped,                     // the transformer-sized f32 matmul
  Grid,                       // a point of the grid of its dtype
  Dram,                       // y = -x over streamElements
  Curve,                      // y = -x, a point of the bandwidth curve
  Launch,                     // y = x + x over 16 f32 (on a GPU 64 such kernels: the cost of one in a graph)
  EmptyRun,                   // on a GPU: one such kernel, a whole run (the run's own fixed cost is the rest)
  Function,                   // an element function in its context
  EpilogueBase,               // the linear without an activation
  FusionBase,                 // y = x * x
};

/// The program a probe runs.
enum class ProbeProgram {
  Matmul,          // c = a @ b, a [m, k], b [k, n], `copies` times on operands of their own
  Negate,          // y = -x over `elements` f32
  Double,          // y = x + x over `elements` f32, `copies` times on inputs of their own (a kernel each)
  ElementFunction, // y = x * f(x) (or x * x without a function) over `elements` f32
  Linear,          // y = f(x @ w + b), x [m, k], w [k, n] (f: a GELU, or none)
  Softmax,         // y = softmax(x), x [m, n]
};

struct Probe {
  std::string name; // the program's name: errors and the bundle's file name
  ProbeRole role;
  ProbeProgram program;
  rt::DType dtype = rt::DType::F32;
  int64_t m = 0, n = 0, k = 0, elements = 0;
  int copies = 1;
  std::optional<cost::ElementFunction> function;
  /// A sample is the sum of the program's step times (each step then a
  /// synchronize: the CPU's probes), or a whole Executor::run when false
  /// (the CPU's launch probe: a run's fixed cost, as a step pays it; every
  /// GPU probe: a run replays a CUDA graph as a training step does, and the
  /// run's own fixed cost, launching the graph and waiting for it, is
  /// measured apart and subtracted).
  bool stepsOnly = true;
  /// Timed runs: about this many seconds of them, between these counts.
  double budgetSeconds = 0.1;
  int leastRuns = 3, mostRuns = 30;

  /// The elements a Function probe applies its function to.
  int64_t functionElements() const;
};

struct DeviceSuite {
  std::string target; // "cpu" or "cuda": what the probes are compiled for
  bool quick = false;
  SuiteSizes sizes;
  std::vector<Probe> probes;
};

/// The suite for `target` (INVALID_ARGUMENT for another target).
rt::StatusOr<DeviceSuite> deviceSuite(const std::string &target, bool quick);

/// The element functions the suite times, each in its context (see the
/// file comment).
struct TimedFunction {
  cost::ElementFunction f;
  ProbeProgram context; // Linear (an epilogue), Softmax or ElementFunction (a fusion)
};
const std::vector<TimedFunction> &timedFunctions();

/// The device's figures from every probe's median seconds (`seconds[i]`
/// for suite.probes[i]) and its memory: peaks, GEMM efficiency, bandwidth,
/// launch, the grids, the bandwidth curve and the per-element function
/// costs; memory_efficiency 1. INVALID_ARGUMENT when the counts differ, a
/// time is not positive or a role the figures need is missing.
rt::StatusOr<cost::DeviceKind> deriveDevice(const DeviceSuite &suite, const std::vector<double> &seconds,
                                            uint64_t memoryBytes);

/// A report's line for one probe: its name, median (per copy) and the
/// figure it gives (GFLOP/s of a matmul, GB/s of a pass).
std::string formatProbeLine(const Probe &probe, double seconds);

/// `bytes` for a report: "256 B", "4 KiB", "1.5 MiB", "1 GiB".
std::string sizeText(double bytes);

/// What the suite measured and how, for a description's "description".
std::string describeSuite(const DeviceSuite &suite);

} // namespace weft::calibrate

#endif // WEFT_CALIBRATE_DEVICESUITE_H
