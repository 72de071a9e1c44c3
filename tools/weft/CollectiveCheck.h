//===- CollectiveCheck.h - the collective model against measured times -*- C++ -*-===//
//
// This file declares what `weft launch -n N -- weft calibrate --check ...`
// reports: each collective timed again at sizes between the calibration's
// (CollectiveTimer.h), set beside the cost model's prediction for it on the
// description's link (CollectiveCost.h: the measured step times where the
// link has them) and beside the one-line ring fit's (the link's latency and
// bandwidth alone), with the relative errors.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TOOLS_WEFT_COLLECTIVECHECK_H
#define WEFT_TOOLS_WEFT_COLLECTIVECHECK_H

#include "cost/Calibration.h"
#include "cost/CollectiveCost.h"
#include "runtime/comm/Communicator.h"

#include <string>
#include <vector>

namespace weft::cli {

/// One collective's measured times and the two predictions, per size.
struct CollectiveCheck {
  cost::CollectiveKind kind = cost::CollectiveKind::AllReduce;
  std::vector<cost::CollectiveSample> measured;
  std::vector<double> predicted; ///< the cost model on the link
  std::vector<double> ringFit;   ///< latency + bytes / bandwidth per step alone
};

/// Times `kind` at `sizes` over `group` (every rank calls it) and predicts
/// each with `link` over group.size() devices.
CollectiveCheck checkCollective(rt::Communicator &group, cost::CollectiveKind kind,
                                const std::vector<int64_t> &sizes, const cost::Link &link, bool quick);

/// Prints a table per collective and the median and largest errors;
/// `source` says which description was checked.
void printCollectiveChecks(const std::vector<CollectiveCheck> &checks, int ranks, const std::string &source);

} // namespace weft::cli

#endif // WEFT_TOOLS_WEFT_COLLECTIVECHECK_H
