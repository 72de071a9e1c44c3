//===- ClusterSpec.h - the devices and links a plan is costed for -*- C++ -*-===//
//
// This file declares ClusterSpec, what the cost model knows about the machine
// a program will run on: one device kind (peak FLOP/s per dtype, memory
// bandwidth and size, the fixed cost of a launch, and the fraction of the
// peaks that kernels reach) and the topology (devices per node, the bandwidth
// and latency of a link inside a node and between nodes). Descriptions are
// JSON files (cost/devices/*.json ship h100, h200, a100 and cpu; a user's own
// file has the same keys); `weft calibrate` writes one for the machine it
// measures. Everything here is plain C++: no MLIR.
//
// JSON keys (every one required unless marked optional):
//   name, description (optional)
//   device: peak_tflops {f32, bf16, f16, tf32 (optional)}, memory_gbps,
//           memory_gib, launch_us, gemm_efficiency, memory_efficiency
//   topology: devices_per_node, intra_node {gbps, latency_us},
//             inter_node {gbps, latency_us}
// Bandwidths are GB/s (1e9 bytes) per device in each direction.
// Optional measured tables (written by `weft calibrate`; a file without them
// is costed by the single figures above, as before they existed):
//   device.gemm_rates.{f32|tf32|bf16|f16}: {m: [..], n: [..], k: [..],
//       gflops: [[[..]]]}  achieved GFLOP/s of m x k by k x n matmuls on the
//       grid m x n x k (gflops[i][j][l] for m[i], n[j], k[l]); it replaces
//       peak x gemm_efficiency for GEMMs of that type;
//   device.bandwidth_by_bytes: {bytes: [..], gbps: [..]}  a streaming kernel's
//       bytes read + written per second by the bytes it moves (the caches
//       make small working sets faster); it replaces memory_gbps x
//       memory_efficiency;
//   device.element_ns.{exp|log|tanh|sigmoid|gelu|gelu_tanh|fast_gelu}:
//       nanoseconds per element of that function (a standalone y = f(x)
//       over a cache-resident tensor); added to the compute time of kernels
//       that evaluate it (a GELU epilogue, a softmax's exp);
//   topology.{intra_node|inter_node}.step_us.{all_reduce|all_gather|
//       reduce_scatter|all_to_all}: {chunk_bytes: [..], us: [..]}  measured
//       microseconds of one ring step by the bytes one step moves; it replaces
//       latency + bytes / bandwidth for that collective (CollectiveCost.h).
// Sizes in each table strictly increase; the reader reads between points
// (cost/RateTables.h).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_COST_CLUSTERSPEC_H
#define WEFT_COST_CLUSTERSPEC_H

#include "cost/RateTables.h"
#include "runtime/Status.h"

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace weft::cost {

/// Element types the cost model distinguishes for arithmetic rates.
enum class MathType { F32, TF32, BF16, F16 };

/// Element functions whose cost a description may give per element (they
/// cost far more than the one FLOP the cost model counts for them).
enum class ElementFunction { Exp, Log, Tanh, Sigmoid, Gelu, GeluTanh, FastGelu };
constexpr int kElementFunctions = 7;
/// "exp", "log", "tanh", "sigmoid", "gelu", "gelu_tanh", "fast_gelu".
const char *elementFunctionName(ElementFunction f);

/// The collectives the cost model prices (CollectiveCost.h has the formulas).
enum class CollectiveKind { AllReduce, AllGather, ReduceScatter, AllToAll, Permute };

struct DeviceKind {
  double peakFlopsF32 = 0, peakFlopsTF32 = 0, peakFlopsBF16 = 0, peakFlopsF16 = 0; // FLOP/s
  double memoryBandwidth = 0;   // bytes/s
  uint64_t memoryBytes = 0;     // per device
  double launchSeconds = 0;     // the fixed cost of one kernel or library call
  double gemmEfficiency = 1;    // fraction of the peak a large GEMM reaches
  double memoryEfficiency = 1;  // fraction of the bandwidth a streaming kernel reaches
  /// Measured GEMM rates by shape, per type (optional: a type without a grid
  /// runs GEMMs at its peak x gemmEfficiency).
  std::map<MathType, GemmRateGrid> gemmRates;
  /// Measured bytes/s (read + written) by the bytes a kernel moves (optional:
  /// without it memoryBandwidth x memoryEfficiency).
  SizeCurve bandwidthByBytes;
  /// Measured seconds per element of each element function, a standalone
  /// pass over a cache-resident tensor (optional: 0 adds nothing).
  std::array<double, kElementFunctions> elementFunctionSeconds{};

  /// The peak rate for `type` (TF32 falls back to F32 when not given).
  double peakFlops(MathType type) const;
};

/// One kind of link: bytes/s per device in each direction, and the latency of
/// one message.
struct Link {
  double bandwidth = 0;
  double latencySeconds = 0;
  /// Measured seconds of one ring step by the bytes it moves, per collective
  /// (optional: a collective without a curve costs latency + bytes / bandwidth
  /// per step).
  std::map<CollectiveKind, SizeCurve> stepSeconds;
};

struct Topology {
  int devicesPerNode = 1;
  Link intraNode, interNode;
};

struct ClusterSpec {
  std::string name, description;
  DeviceKind device;
  Topology topology;
};

/// The names of the shipped descriptions (cost/devices/*.json).
std::vector<std::string> builtinClusterNames();

/// Parses a description; errors (INVALID_ARGUMENT) name `source`, the key and
/// what is wrong with its value (missing, not a number, not positive).
rt::StatusOr<ClusterSpec> parseClusterSpec(const std::string &json, const std::string &source);

/// `nameOrPath`: a shipped name (h100, h200, a100, cpu) or a JSON file.
/// An unknown name that is not a file is NOT_FOUND listing the shipped names.
rt::StatusOr<ClusterSpec> loadClusterSpec(const std::string &nameOrPath);

/// `spec` as a description in the format above (keys in the shipped files'
/// order, rates in their units, 4 significant digits; tf32 only when set),
/// which parseClusterSpec reads back.
std::string formatClusterSpec(const ClusterSpec &spec);

/// Writes formatClusterSpec(spec) to `path` atomically (a temporary file in
/// the same folder, then rename); a failure names the path and the cause.
rt::Status writeClusterSpec(const ClusterSpec &spec, const std::string &path);

} // namespace weft::cost

#endif // WEFT_COST_CLUSTERSPEC_H
