//===- GemmAutotune.h - choosing a cuBLASLt algorithm by timing -*- C++ -*-===//
//
// This file implements the declaration of the GEMM autotuner's parts that do
// not depend on cuBLASLt: the switch (WEFT_GEMM_AUTOTUNE), the key under which
// identical GEMMs share one tuned choice, the record of what was chosen per
// plan, the decision rule (the fastest candidate that ran, failures ignored;
// pure, so it is tested without a GPU) and the timing loop (CUDA events: a
// couple of warm-up calls, then the median of a few timed calls per
// candidate). CublasLtGemms supplies the candidates and the call that
// enqueues one. Included only by runtime/cuda/*.cpp and the CUDA tests.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_CUDA_GEMMAUTOTUNE_H
#define WEFT_RUNTIME_CUDA_GEMMAUTOTUNE_H

#include "runtime/cuda/CudaDevice.h"
#include "runtime/executable.pb.h"

#include <functional>
#include <string>
#include <vector>

namespace weft::rt::cuda {

/// False when the environment variable WEFT_GEMM_AUTOTUNE is "0" (each GEMM
/// then runs the heuristic's first algorithm); true otherwise.
bool gemmAutotuneEnabledByEnvironment();

/// The key under which GEMMs share a tuned choice: dtype, batch, m, n, k,
/// transposes, epilogue and bias dtype, whether beta is 0, and TF32. Buffer
/// ids, alpha and labels do not enter it.
std::string gemmTuneKey(const proto::Gemm &gemm, proto::DType biasDtype, bool allowTf32);

/// One candidate's outcome: whether every call succeeded, and its median time.
struct CandidateTiming {
  bool ok = false;
  float ms = 0;
  std::string error; // the failure, when !ok
};

/// The decision rule: the index of the fastest candidate with `ok` (the
/// earlier one on a tie, so the heuristic's order breaks ties), or -1 when
/// every candidate failed (or there are none).
int pickFastest(const std::vector<CandidateTiming> &timings);

/// The median of `samples` (the upper middle one for an even count); 0 when
/// empty.
float medianMs(std::vector<float> samples);

/// What the autotuner did for one GEMM plan.
struct GemmTuning {
  std::string label;     ///< the step, as given to plan()
  size_t candidates = 0; ///< algorithms cuBLASLt's heuristic returned
  size_t timed = 0;      ///< candidates timed without error here (0: not tuned here)
  int chosen = 0;        ///< index of the algorithm in use, in the heuristic's order
  float ms = -1;         ///< median ms of the chosen algorithm; -1 when not timed
  bool shared = false;   ///< the choice came from an earlier plan with the same key
  bool decided = false;  ///< false until the plan's first run
};

/// Times `count` candidates on `device`'s stream: per candidate `warmup`
/// calls of enqueue(i), then `iterations` calls each between two events.
/// A candidate whose enqueue fails is skipped (ok = false, with the error).
/// Fails only when an event call fails. Nothing may be capturing the stream.
StatusOr<std::vector<CandidateTiming>> timeCandidates(CudaDevice &device, size_t count,
                                                      const std::function<Status(size_t)> &enqueue,
                                                      int warmup = 2, int iterations = 5);

} // namespace weft::rt::cuda

#endif // WEFT_RUNTIME_CUDA_GEMMAUTOTUNE_H
