//===- GemmAutotune.cpp - choosing a cuBLASLt algorithm by timing ---------===//
//
// This file implements the GEMM autotuner's switch, key, decision rule and
// timing loop (see GemmAutotune.h). Timing uses two device events of its own
// (indices far from the small ones tests and benchmarks use); elapsedMs waits
// for the second, so when timeCandidates returns every timed call has
// finished and a scratch output may be freed.
//
//===----------------------------------------------------------------------===//

#include "runtime/cuda/GemmAutotune.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace weft::rt::cuda {

namespace {

/// Event indices of the tuning loop on CudaDevice (recordEvent/elapsedMs).
constexpr int kStartEvent = 0x7ff00000;
constexpr int kStopEvent = kStartEvent + 1;

} // namespace

bool gemmAutotuneEnabledByEnvironment() {
  const char *v = std::getenv("WEFT_GEMM_AUTOTUNE");
  return !(v && std::strcmp(v, "0") == 0);
}

std::string gemmTuneKey(const proto::Gemm &g, proto::DType biasDtype, bool allowTf32) {
  bool epilogue = g.epilogue() != proto::GEMM_EPILOGUE_NONE;
  return std::to_string(g.dtype()) + "|" + std::to_string(g.batch()) + "x" +
         std::to_string(g.m()) + "x" + std::to_string(g.n()) + "x" + std::to_string(g.k()) +
         "|t" + (g.trans_a() ? "1" : "0") + (g.trans_b() ? "1" : "0") + "|e" +
         std::to_string(g.epilogue()) + ":" + (epilogue ? std::to_string(biasDtype) : "-") +
         "|beta" + (g.beta() == 0 ? "0" : "x") + (allowTf32 ? "|tf32" : "");
}

int pickFastest(const std::vector<CandidateTiming> &timings) {
  int best = -1;
  for (size_t i = 0; i < timings.size(); ++i)
    if (timings[i].ok && (best < 0 || timings[i].ms < timings[static_cast<size_t>(best)].ms))
      best = static_cast<int>(i);
  return best;
}

float medianMs(std::vector<float> samples) {
  if (samples.empty())
    return 0;
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

StatusOr<std::vector<CandidateTiming>> timeCandidates(CudaDevice &device, size_t count,
                                                      const std::function<Status(size_t)> &enqueue,
                                                      int warmup, int iterations) {
  std::vector<CandidateTiming> timings(count);
  for (size_t i = 0; i < count; ++i) {
    CandidateTiming &t = timings[i];
    Status st = Status::ok();
    for (int w = 0; w < warmup && st.isOk(); ++w)
      st = enqueue(i);
    std::vector<float> samples;
    for (int it = 0; it < iterations && st.isOk(); ++it) {
      WEFT_RETURN_IF_ERROR(device.recordEvent(kStartEvent));
      st = enqueue(i);
      WEFT_RETURN_IF_ERROR(device.recordEvent(kStopEvent));
      StatusOr<float> ms = device.elapsedMs(kStartEvent, kStopEvent);
      if (!ms.isOk())
        return ms.status();
      samples.push_back(*ms);
    }
    t.ok = st.isOk();
    t.error = st.isOk() ? "" : st.message();
    t.ms = t.ok ? medianMs(std::move(samples)) : 0;
  }
  return timings;
}

} // namespace weft::rt::cuda
