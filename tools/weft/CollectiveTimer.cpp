//===- CollectiveTimer.cpp - timing collectives over the ranks ------------===//
//
// This file implements the collective measurement of `weft calibrate`
// (CollectiveTimer.h): in each of three passes over the sizes (one with
// --quick), per size untimed warm-ups (three, one for 64 MiB and more; in
// later passes one, none), then a third of its repetitions of barrier + timed collective; each rank's
// median over all passes, and the maximum over the ranks (one more
// all-reduce) as the size's time.
//
//===----------------------------------------------------------------------===//

#include "tools/weft/CollectiveTimer.h"

#include "tools/weft/Check.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace weft::cli {

std::vector<int64_t> collectiveSizes(int64_t minBytes, int64_t maxBytes, double factor) {
  std::vector<int64_t> sizes;
  for (double s = double(std::max<int64_t>(4, minBytes)); s < double(maxBytes) * 0.999; s *= factor)
    sizes.push_back(std::max<int64_t>(4, int64_t(std::llround(s)) / 4 * 4));
  sizes.push_back(std::max<int64_t>(4, maxBytes / 4 * 4));
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
  return sizes;
}

int collectiveRepetitions(int64_t bytes, bool quick) {
  int reps = bytes <= (64 << 10) ? 45 : bytes <= (4 << 20) ? 15 : bytes <= (64 << 20) ? 6 : 3;
  return quick ? std::max(3, reps / 4) : reps;
}

std::vector<cost::CollectiveSample> timeCollective(rt::Communicator &group, cost::CollectiveKind kind,
                                                   const std::vector<int64_t> &sizes, bool quick) {
  const size_t n = size_t(group.size());
  // The repetitions of every size are spread over `rounds` passes over the
  // sizes: a burst of load from other processes (or a rank descheduled on an
  // oversubscribed machine) then spoils a few runs of many sizes, not all
  // runs of one.
  const int rounds = quick ? 1 : 3;
  std::vector<std::vector<double>> seconds(sizes.size());
  std::vector<double> moved(sizes.size());
  for (int round = 0; round < rounds; ++round) {
    for (size_t at = 0; at < sizes.size(); ++at) {
      int64_t bytes = sizes[at];
      // Elements per rank's piece; the whole buffer S is n pieces (an
      // all-reduce's count is the whole buffer).
      size_t piece = std::max<size_t>(1, size_t(bytes) / 4 / n);
      size_t whole = kind == cost::CollectiveKind::AllReduce ? std::max<size_t>(1, size_t(bytes) / 4) : piece * n;
      moved[at] = double(whole) * 4;
      std::vector<float> send(whole, 1.0f), recv(whole);
      std::string label = std::string("calibration ") + cost::collectiveName(kind) + " of " +
                          std::to_string(whole * 4) + " bytes";
      auto once = [&] {
        switch (kind) {
        case cost::CollectiveKind::AllReduce:
          return group.allReduce(send.data(), recv.data(), whole, proto::F32, rt::ReduceOp::kSum, label);
        case cost::CollectiveKind::AllGather:
          return group.allGather(send.data(), recv.data(), piece, proto::F32, label);
        case cost::CollectiveKind::ReduceScatter:
          return group.reduceScatter(send.data(), recv.data(), piece, proto::F32, rt::ReduceOp::kSum, label);
        case cost::CollectiveKind::AllToAll:
          return group.allToAll(send.data(), recv.data(), piece, proto::F32, label);
        case cost::CollectiveKind::Permute:
          break;
        }
        throw std::logic_error("timeCollective: a permute is not timed");
      };
      const bool large = bytes >= (64 << 20); // warmed once, in the first pass
      for (int i = 0, warm = round == 0 ? (large ? 1 : 3) : (large ? 0 : 1); i < warm; ++i)
        check(once());
      for (int i = 0, reps = std::max(1, collectiveRepetitions(bytes, quick) / rounds); i < reps; ++i) {
        check(group.barrier(label));
        auto t0 = std::chrono::steady_clock::now();
        check(once());
        seconds[at].push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      }
    }
  }
  std::vector<float> medians; // this rank's, per size
  for (const std::vector<double> &runs : seconds)
    medians.push_back(float(cost::median(runs)));
  std::vector<float> slowest(medians.size());
  check(group.allReduce(medians.data(), slowest.data(), medians.size(), proto::F32, rt::ReduceOp::kMax,
                        "calibration timings"));
  std::vector<cost::CollectiveSample> samples;
  for (size_t i = 0; i < sizes.size(); ++i)
    samples.push_back({moved[i], double(slowest[i])});
  return samples;
}

} // namespace weft::cli
