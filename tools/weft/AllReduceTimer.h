//===- AllReduceTimer.h - timing all-reduces over the ranks ----*- C++ -*-===//
//
// This file declares how `weft calibrate` measures the link between ranks:
// f32 sum all-reduces through the runtime's Communicator (MPI on the CPU),
// one size at a time, every repetition started by a barrier so that the
// ranks enter together. A size's time is the slowest rank's median, which
// is what a collective costs a parallel program.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TOOLS_WEFT_ALLREDUCETIMER_H
#define WEFT_TOOLS_WEFT_ALLREDUCETIMER_H

#include "cost/Calibration.h"
#include "runtime/comm/Communicator.h"

#include <cstdint>
#include <vector>

namespace weft::cli {

/// Sizes in bytes from 8 B up to `maxBytes`, by factors of 4, with
/// `maxBytes` itself last (each a multiple of 4: whole f32 elements).
std::vector<int64_t> allReduceSizes(int64_t maxBytes);

/// Repetitions for one size: many for small messages (noisy, cheap), few
/// for large ones; `quick` divides them.
int allReduceRepetitions(int64_t bytes, bool quick);

/// Times an all-reduce of each of `sizes` bytes over `group` (every rank
/// calls it with the same sizes); returns the slowest rank's median per
/// size, on every rank.
std::vector<cost::AllReduceSample> timeAllReduces(rt::Communicator &group,
                                                  const std::vector<int64_t> &sizes, bool quick);

} // namespace weft::cli

#endif // WEFT_TOOLS_WEFT_ALLREDUCETIMER_H
