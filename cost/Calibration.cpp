//===- Calibration.cpp - turning measurements into a machine description --===//
//
// This file implements the medians, rates and the ring all-reduce fit that
// `weft calibrate` uses (Calibration.h). The fit is a two-unknown linear
// least squares (alpha and 1/beta) solved by its normal equations.
//
//===----------------------------------------------------------------------===//

#include "cost/Calibration.h"

#include "cost/CollectiveCost.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <string>

namespace weft::cost {

double median(std::vector<double> seconds) {
  if (seconds.empty())
    return 0;
  std::sort(seconds.begin(), seconds.end());
  size_t n = seconds.size();
  return n % 2 ? seconds[n / 2] : 0.5 * (seconds[n / 2 - 1] + seconds[n / 2]);
}

double ringAllReduceSeconds(int ranks, double bytes, const Link &link) {
  if (ranks <= 1)
    return 0;
  return 2.0 * (ranks - 1) * link.latencySeconds +
         wireBytes(CollectiveKind::AllReduce, ranks, bytes) / link.bandwidth;
}

rt::StatusOr<LinkFit> fitRingAllReduce(int ranks, const std::vector<AllReduceSample> &samples) {
  if (ranks < 2)
    return rt::invalidArgument("fitting the ring all-reduce needs at least 2 ranks, got " +
                               std::to_string(ranks));
  std::set<double> sizes;
  for (const AllReduceSample &s : samples) {
    if (!(s.seconds > 0) || !(s.bytes > 0))
      return rt::invalidArgument("all-reduce sample of " + std::to_string(s.bytes) + " bytes took " +
                                 std::to_string(s.seconds) +
                                 " s: sizes and times must be positive");
    sizes.insert(s.bytes);
  }
  if (sizes.size() < 2)
    return rt::invalidArgument("fitting the ring all-reduce needs samples of at least 2 different "
                               "sizes, got " + std::to_string(sizes.size()));

  // t = alpha * u0 + invBeta * v0 with u0 = 2(n-1), v0 = 2(n-1)/n S; divided
  // by t: 1 = alpha * u + invBeta * v.
  const double steps = 2.0 * (ranks - 1);
  double suu = 0, suv = 0, svv = 0, su = 0, sv = 0;
  double smallest = samples.front().seconds;
  const AllReduceSample *largest = &samples.front();
  for (const AllReduceSample &s : samples) {
    double u = steps / s.seconds, v = wireBytes(CollectiveKind::AllReduce, ranks, s.bytes) / s.seconds;
    suu += u * u, suv += u * v, svv += v * v, su += u, sv += v;
    smallest = std::min(smallest, s.seconds);
    if (s.bytes > largest->bytes)
      largest = &s;
  }
  double det = suu * svv - suv * suv;
  double alpha = det != 0 ? (su * svv - sv * suv) / det : 0;
  double invBeta = det != 0 ? (sv * suu - su * suv) / det : 0;
  if (!(alpha > 0)) { // pin the latency, refit the bandwidth alone
    alpha = 1e-3 * smallest / steps;
    invBeta = (sv - alpha * suv) / svv;
  }
  if (!(invBeta > 0)) { // pin the bandwidth to the largest sample, refit the latency
    double wire = wireBytes(CollectiveKind::AllReduce, ranks, largest->bytes);
    invBeta = std::max(largest->seconds - alpha * steps, 1e-3 * largest->seconds) / wire;
    alpha = std::max((su - invBeta * suv) / suu, 1e-3 * smallest / steps);
  }

  LinkFit fit;
  fit.link.latencySeconds = alpha;
  fit.link.bandwidth = 1.0 / invBeta;
  for (const AllReduceSample &s : samples)
    fit.maxRelativeError =
        std::max(fit.maxRelativeError,
                 std::abs(ringAllReduceSeconds(ranks, s.bytes, fit.link) - s.seconds) / s.seconds);
  return fit;
}

namespace {

/// Samples sorted by size, those of one size merged into their median
/// time; INVALID_ARGUMENT when there are none or one is not positive.
rt::StatusOr<std::vector<CollectiveSample>> bySize(std::vector<CollectiveSample> samples, const char *what) {
  if (samples.empty())
    return rt::invalidArgument(std::string(what) + ": no samples");
  for (const CollectiveSample &s : samples)
    if (!(s.seconds > 0) || !(s.bytes > 0))
      return rt::invalidArgument(std::string(what) + ": the sample of " + std::to_string(s.bytes) + " bytes took " +
                                 std::to_string(s.seconds) + " s: sizes and times must be positive");
  std::stable_sort(samples.begin(), samples.end(),
                   [](const CollectiveSample &a, const CollectiveSample &b) { return a.bytes < b.bytes; });
  std::vector<CollectiveSample> merged;
  for (size_t i = 0; i < samples.size();) {
    size_t j = i;
    std::vector<double> times;
    for (; j < samples.size() && samples[j].bytes == samples[i].bytes; ++j)
      times.push_back(samples[j].seconds);
    merged.push_back({samples[i].bytes, median(times)});
    i = j;
  }
  return merged;
}

} // namespace

rt::StatusOr<SizeCurve> collectiveStepCurve(CollectiveKind kind, int ranks,
                                           const std::vector<CollectiveSample> &samples) {
  std::string what = std::string("the ") + collectiveName(kind) + " step curve";
  if (ranks < 2 || kind == CollectiveKind::Permute)
    return rt::invalidArgument(what + " needs a ring collective over at least 2 ranks, got " +
                               std::to_string(ranks));
  auto sorted = bySize(samples, what.c_str());
  if (!sorted.isOk())
    return sorted.status();
  SizeCurve curve;
  const double steps = double(collectiveSteps(kind, ranks));
  for (const CollectiveSample &s : *sorted) {
    curve.sizes.push_back(s.bytes / ranks);
    curve.values.push_back(s.seconds / steps);
  }
  return curve;
}

rt::StatusOr<SizeCurve> bandwidthCurve(const std::vector<CollectiveSample> &samples, double launchSeconds) {
  auto sorted = bySize(samples, "the bandwidth curve");
  if (!sorted.isOk())
    return sorted.status();
  SizeCurve curve;
  for (const CollectiveSample &s : *sorted) {
    curve.sizes.push_back(s.bytes);
    curve.values.push_back(s.bytes / std::max(s.seconds - launchSeconds, 0.01 * s.seconds));
  }
  return curve;
}

rt::StatusOr<GemmRateGrid> gemmRateGrid(const std::vector<double> &m, const std::vector<double> &n,
                                        const std::vector<double> &k, const std::vector<double> &seconds,
                                        double launchSeconds) {
  if (m.empty() || n.empty() || k.empty() || seconds.size() != m.size() * n.size() * k.size())
    return rt::invalidArgument("the GEMM rate grid: " + std::to_string(seconds.size()) + " times for " +
                               std::to_string(m.size()) + " x " + std::to_string(n.size()) + " x " +
                               std::to_string(k.size()) + " shapes");
  GemmRateGrid grid{m, n, k, {}};
  for (size_t i = 0, at = 0; i < m.size(); ++i)
    for (size_t j = 0; j < n.size(); ++j)
      for (size_t l = 0; l < k.size(); ++l, ++at) {
        double t = seconds[at];
        if (!(t > 0))
          return rt::invalidArgument("the GEMM rate grid: the " + std::to_string(int64_t(m[i])) + "x" +
                                     std::to_string(int64_t(k[l])) + " by " + std::to_string(int64_t(k[l])) +
                                     "x" + std::to_string(int64_t(n[j])) + " matmul took " + std::to_string(t) +
                                     " s; times must be positive");
        grid.flopsPerSecond.push_back(matmulFlopsPerSecond(m[i], n[j], k[l], std::max(t - launchSeconds, 0.01 * t)));
      }
  return grid;
}

double matmulFlopsPerSecond(double m, double n, double k, double seconds) {
  return seconds > 0 ? 2.0 * m * n * k / seconds : 0;
}

double bytesPerSecond(double bytesRead, double bytesWritten, double seconds) {
  return seconds > 0 ? (bytesRead + bytesWritten) / seconds : 0;
}

} // namespace weft::cost
