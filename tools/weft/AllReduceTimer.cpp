//===- AllReduceTimer.cpp - timing all-reduces over the ranks -------------===//
//
// This file implements the all-reduce measurement of `weft calibrate`
// (AllReduceTimer.h): per size, three untimed warm-up all-reduces, then
// repetitions of barrier + timed all-reduce; each rank's median, and the
// maximum over the ranks (one more all-reduce) as the size's time.
//
//===----------------------------------------------------------------------===//

#include "tools/weft/AllReduceTimer.h"

#include "tools/weft/Check.h"

#include <algorithm>
#include <chrono>
#include <string>

namespace weft::cli {

std::vector<int64_t> allReduceSizes(int64_t maxBytes) {
  std::vector<int64_t> sizes;
  for (int64_t s = 8; s < maxBytes; s *= 4)
    sizes.push_back(s);
  sizes.push_back(std::max<int64_t>(4, maxBytes / 4 * 4));
  return sizes;
}

int allReduceRepetitions(int64_t bytes, bool quick) {
  int reps = bytes <= (64 << 10) ? 40 : bytes <= (4 << 20) ? 15 : 7;
  return quick ? std::max(5, reps / 4) : reps;
}

std::vector<cost::AllReduceSample> timeAllReduces(rt::Communicator &group,
                                                  const std::vector<int64_t> &sizes, bool quick) {
  std::vector<float> medians; // this rank's, per size
  for (int64_t bytes : sizes) {
    size_t count = size_t(bytes / 4);
    std::vector<float> send(count, 1.0f), recv(count);
    std::string label = "calibration all-reduce of " + std::to_string(bytes) + " bytes";
    for (int i = 0; i < 3; ++i)
      check(group.allReduce(send.data(), recv.data(), count, proto::F32, rt::ReduceOp::kSum, label));
    std::vector<double> seconds;
    for (int i = 0, n = allReduceRepetitions(bytes, quick); i < n; ++i) {
      check(group.barrier(label));
      auto t0 = std::chrono::steady_clock::now();
      check(group.allReduce(send.data(), recv.data(), count, proto::F32, rt::ReduceOp::kSum, label));
      seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    medians.push_back(float(cost::median(seconds)));
  }
  std::vector<float> slowest(medians.size());
  check(group.allReduce(medians.data(), slowest.data(), medians.size(), proto::F32,
                        rt::ReduceOp::kMax, "calibration timings"));
  std::vector<cost::AllReduceSample> samples;
  for (size_t i = 0; i < sizes.size(); ++i)
    samples.push_back({double(sizes[i]), double(slowest[i])});
  return samples;
}

} // namespace weft::cli
