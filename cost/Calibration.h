//===- Calibration.h - turning measurements into a machine description -*- C++ -*-===//
//
// This file declares the arithmetic of `weft calibrate` (tools/weft/
// CalibrateCommand.cpp), kept apart from the measuring so that it is tested
// without MPI or a compiler: the median of repeated timings, the achieved
// rates of a timed kernel (FLOP/s, bytes/s), and the least-squares fit of the
// ring all-reduce model
//     t(S) = 2(n-1) alpha + 2(n-1)/n S / beta
// to measured (S, t) pairs, which gives a link's latency alpha and bandwidth
// beta for ClusterSpec's topology (the same formula CollectiveCost.h uses to
// cost an all-reduce, so the fitted link predicts the measured times back);
// and the measured tables of a description (ClusterSpec.h): a GEMM rate grid
// from timed matmuls, a bandwidth curve from timed streaming kernels, and a
// collective's step-time curve from timed collectives.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_COST_CALIBRATION_H
#define WEFT_COST_CALIBRATION_H

#include "cost/ClusterSpec.h"
#include "runtime/Status.h"

#include <vector>

namespace weft::cost {

/// The median of `seconds` (the mean of the middle two for an even count);
/// 0 for an empty list.
double median(std::vector<double> seconds);

/// One measured collective (or kernel): S (the buffer's bytes, as
/// CollectiveCost's S; a kernel's bytes moved) and the median seconds it took.
struct CollectiveSample {
  double bytes = 0;
  double seconds = 0;
};
using AllReduceSample = CollectiveSample;

/// The link a fit found, and how well the model reproduces the samples.
struct LinkFit {
  Link link;                       ///< bandwidth (bytes/s) and latency (s)
  double maxRelativeError = 0;     ///< max over samples of |model - t| / t
};

/// Seconds the ring all-reduce model gives for `bytes` over `ranks` devices
/// on `link` (2(n-1) latencies plus 2(n-1)/n S bytes at the bandwidth).
double ringAllReduceSeconds(int ranks, double bytes, const Link &link);

/// Fits alpha and beta of the ring all-reduce over `ranks` (>= 2) devices to
/// `samples` by least squares on the relative error (each equation divided by
/// its measured time, so the microsecond latencies of small messages weigh as
/// much as the milliseconds of large ones). Needs at least two distinct
/// sizes and positive times; a fit whose latency or inverse bandwidth comes
/// out non-positive (noise on a flat curve) is refitted with that term pinned
/// (latency: 0.1% of the smallest time; bandwidth: from the largest sample).
/// INVALID_ARGUMENT names what is missing.
rt::StatusOr<LinkFit> fitRingAllReduce(int ranks, const std::vector<AllReduceSample> &samples);

/// The step-time curve of `kind` over `ranks` (>= 2) devices from measured
/// samples: per sample, the chunk one step moves (S / n) and the seconds per
/// step (the time / the ring's steps), in size order; samples of one size
/// are merged (their median). INVALID_ARGUMENT for fewer than 2 ranks, a
/// permute, no samples or a non-positive size or time.
rt::StatusOr<SizeCurve> collectiveStepCurve(CollectiveKind kind, int ranks,
                                           const std::vector<CollectiveSample> &samples);

/// The bandwidth curve of a device from timed streaming kernels (bytes
/// moved, seconds per run): bytes / (seconds - launchSeconds), the launch
/// counted apart as the cost model does (at least 1% of the time is kept).
/// INVALID_ARGUMENT as for collectiveStepCurve.
rt::StatusOr<SizeCurve> bandwidthCurve(const std::vector<CollectiveSample> &samples, double launchSeconds);

/// The rate grid of timed matmuls: `seconds` m-major over the axes (as
/// GemmRateGrid::flopsPerSecond), each turned into 2mnk / (seconds -
/// launchSeconds). INVALID_ARGUMENT when the counts do not match or a time
/// is not positive.
rt::StatusOr<GemmRateGrid> gemmRateGrid(const std::vector<double> &m, const std::vector<double> &n,
                                        const std::vector<double> &k, const std::vector<double> &seconds,
                                        double launchSeconds);

/// FLOP/s of an m x k by k x n matmul that took `seconds` (2mnk FLOPs).
double matmulFlopsPerSecond(double m, double n, double k, double seconds);

/// Bytes/s of a kernel that read `bytesRead` and wrote `bytesWritten` in
/// `seconds`.
double bytesPerSecond(double bytesRead, double bytesWritten, double seconds);

} // namespace weft::cost

#endif // WEFT_COST_CALIBRATION_H
