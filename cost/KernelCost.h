//===- KernelCost.h - the time of one kernel on a device --------*- C++ -*-===//
//
// This file declares the compute model the strategy search, `weft plan` and
// `weft calibrate --check` share: a kernel that performs `flops` and moves
// `bytes` (read + written) takes
//     max(flops / rate, bytes / bandwidth) + one launch
// where, when the device description carries measured tables
// (ClusterSpec.h), the rate of a GEMM is read from its type's shape grid at
// the GEMM's (m, n, k) and the bandwidth from the curve at the kernel's
// bytes (small working sets stay in the caches); without them, the peak x
// gemm_efficiency and memory_gbps x memory_efficiency, as before the tables
// existed. Where the description gives a per-element time for an element
// function (exp, tanh, the GELUs), the elements a kernel passes through it
// add that time to its compute time. Plain C++, no MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_COST_KERNELCOST_H
#define WEFT_COST_KERNELCOST_H

#include "cost/ClusterSpec.h"

namespace weft::cost {

/// What one kernel does. A GEMM (gemm = true) gives the shape of one of its
/// `batch` products (m x k by k x n); `flops` is the whole kernel's
/// (all products, any epilogue).
struct KernelWork {
  double flops = 0, bytes = 0;
  MathType type = MathType::F32;
  bool gemm = false;
  double batch = 1, m = 0, n = 0, k = 0;
  /// Elements passed through each element function (ElementFunction order).
  std::array<double, kElementFunctions> functionElements{};
  /// Loop nests run one after another (a fused kernel with reductions: one
  /// per reduction and one for the elementwise results). With more than one,
  /// a compute-bound nest (a softmax's exp) does not hide the memory-bound
  /// others: the kernel takes compute + memory instead of the larger.
  double passes = 1;
  /// The part of `bytes` read from values last touched so long ago that the
  /// caches no longer hold them (cacheBytes): moved at the DRAM rate
  /// (memory_gbps x memory_efficiency) rather than the curve's rate for
  /// the kernel's bytes. AdamW's moments and a backward pass's saved
  /// activations are such; a value its producer wrote just before is not.
  double coldBytes = 0;
};

/// FLOP/s the kernel's arithmetic runs at on `device`.
double computeRate(const KernelWork &work, const DeviceKind &device);

/// Bytes/s (read + written) a kernel moving `bytes` reaches on `device`.
double memoryRate(double bytes, const DeviceKind &device);

/// Seconds to move `bytes` (read + written) at memoryRate, no launch.
double memorySeconds(double bytes, const DeviceKind &device);

/// Bytes/s of a stream far larger than the caches: memory_gbps x
/// memory_efficiency.
double dramRate(const DeviceKind &device);

/// How many bytes touched since a value was last read or written leave it
/// in the caches, from the bandwidth curve: the largest working set the
/// curve measured at least 1.25x the DRAM rate (0 without a curve, or when
/// no size beats the DRAM rate: then nothing is treated as cold, as the
/// flat curve would price it alike).
double cacheBytes(const DeviceKind &device);

/// max(flops / computeRate + the element functions' time, (bytes -
/// coldBytes) / memoryRate + coldBytes / dramRate) + the device's launch
/// cost; the sum of the two instead of
/// the larger for a kernel of several passes (KernelWork::passes).
double kernelSeconds(const KernelWork &work, const DeviceKind &device);

} // namespace weft::cost

#endif // WEFT_COST_KERNELCOST_H
