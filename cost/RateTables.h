//===- RateTables.h - measured rate tables and their interpolation -*- C++ -*-===//
//
// This file declares the measured tables a device description may carry
// beside its single peak figures, and how the cost model reads between their
// points:
// The tables are checked when read (ClusterSpec.cpp): axes positive and
// strictly increasing, a rate for every point.
//   - GemmRateGrid: achieved GEMM FLOP/s on a grid of shapes (m, n, k),
//     read by trilinear interpolation of log(rate) over log(m), log(n),
//     log(k), clamped to the grid's edges;
//   - SizeCurve: a positive quantity measured at increasing sizes (memory
//     bandwidth by working-set bytes, a collective's time per ring step by
//     chunk bytes), read by linear interpolation in log-log space, flat
//     below the first point and, above the last, either flat or growing in
//     proportion to the size (a constant bandwidth).
// Rates vary smoothly and roughly as powers of the sizes (caches, blocking,
// latency against bandwidth), which is why the interpolation is done on
// logarithms. Plain C++, no MLIR; every function is pure (the strategy search
// relies on its costs being deterministic).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_COST_RATETABLES_H
#define WEFT_COST_RATETABLES_H

#include <cstddef>
#include <vector>

namespace weft::cost {

/// Achieved FLOP/s of an m x k by k x n matmul on a grid of shapes.
struct GemmRateGrid {
  std::vector<double> m, n, k;        ///< strictly increasing, positive
  std::vector<double> flopsPerSecond; ///< |m| x |n| x |k|, index (i * |n| + j) * |k| + l

  bool empty() const { return flopsPerSecond.empty(); }
  /// The rate at (i, j, l) of the grid.
  double at(size_t i, size_t j, size_t l) const { return flopsPerSecond[(i * n.size() + j) * k.size() + l]; }
  /// The interpolated rate for any shape (sizes below 1 count as 1).
  double rate(double m, double n, double k) const;
};

/// What a SizeCurve gives above its largest size.
enum class AboveLast {
  Flat,         ///< the last value (a bandwidth that no longer changes)
  Proportional, ///< the last value times size / last size (a time at a constant rate)
};

/// A positive quantity measured at increasing sizes.
struct SizeCurve {
  std::vector<double> sizes, values; ///< sizes strictly increasing, both positive

  bool empty() const { return values.empty(); }
  /// The interpolated value at `size` (flat below the first point).
  double at(double size, AboveLast above) const;
};

} // namespace weft::cost

#endif // WEFT_COST_RATETABLES_H
