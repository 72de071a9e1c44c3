//===- CollectiveTimer.h - timing collectives over the ranks ---*- C++ -*-===//
//
// This file declares how `weft calibrate` measures the links between ranks:
// f32 all-reduces (sum), all-gathers, reduce-scatters (sum) and all-to-alls
// through the runtime's Communicator (MPI on the CPU), one size at a time,
// every repetition started by a barrier so that the ranks enter together.
// A size's time is the slowest rank's median, which is what a collective
// costs a parallel program. Sizes are CollectiveCost.h's S (an all-gather's
// gathered result, a reduce-scatter's input, an all-to-all's buffer).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TOOLS_WEFT_COLLECTIVETIMER_H
#define WEFT_TOOLS_WEFT_COLLECTIVETIMER_H

#include "calibrate/DeviceSuite.h"
#include "cost/Calibration.h"
#include "cost/CollectiveCost.h"
#include "runtime/comm/Communicator.h"

#include <cstdint>
#include <string>
#include <vector>

namespace weft::cli {

/// Sizes in bytes from `minBytes` up to `maxBytes`, by factors of `factor`
/// (> 1), with `maxBytes` itself last (each a multiple of 4: whole f32
/// elements).
std::vector<int64_t> collectiveSizes(int64_t minBytes, int64_t maxBytes, double factor);

/// `bytes` for a table: "256 B", "4 KiB", "1.5 MiB" (the calibration's).
using calibrate::sizeText;

/// Repetitions for one size: many for small messages (noisy, cheap), few
/// for large ones (a 512 MiB all-reduce takes about a second here); `quick`
/// divides them.
int collectiveRepetitions(int64_t bytes, bool quick);

/// Times `kind` (not a permute) at each of `sizes` bytes over `group` (every
/// rank calls it with the same sizes); returns the slowest rank's median per
/// size, on every rank, with the bytes actually moved (S rounded down to
/// whole f32 elements per rank, at least one).
std::vector<cost::CollectiveSample> timeCollective(rt::Communicator &group, cost::CollectiveKind kind,
                                                   const std::vector<int64_t> &sizes, bool quick);

} // namespace weft::cli

#endif // WEFT_TOOLS_WEFT_COLLECTIVETIMER_H
