//===- ProfileReport.h - where one run's time goes, by op --------*- C++ -*-===//
//
// This file declares printProfile, the table `weft run --profile N` prints:
// one profiled run's step times (Executor::stepTimes, each step waited for)
// grouped by op (the step label before its " @ source" part; GEMMs by their
// label too), the N groups that took longest with their step count, total
// milliseconds and share of the run.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TOOLS_WEFT_PROFILEREPORT_H
#define WEFT_TOOLS_WEFT_PROFILEREPORT_H

#include "runtime/Executor.h"

#include <string>
#include <vector>

namespace weft::cli {

/// One op's share of a profiled run.
struct OpTime {
  std::string op;
  int steps = 0;
  double microseconds = 0;
};

/// `times` grouped by op, longest first (ties by name).
std::vector<OpTime> timeByOp(const std::vector<rt::StepTime> &times);

/// Prints the `top` longest groups of `times` and the run's total.
void printProfile(const std::vector<rt::StepTime> &times, int top);

} // namespace weft::cli

#endif // WEFT_TOOLS_WEFT_PROFILEREPORT_H
