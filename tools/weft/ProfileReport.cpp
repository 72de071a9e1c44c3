//===- ProfileReport.cpp - where one run's time goes, by op ---------------===//
//
// This file implements timeByOp and printProfile (see the header).
//
//===----------------------------------------------------------------------===//

#include "tools/weft/ProfileReport.h"

#include <algorithm>
#include <cstdio>
#include <map>

namespace weft::cli {

std::vector<OpTime> timeByOp(const std::vector<rt::StepTime> &times) {
  std::map<std::string, OpTime> byOp;
  for (const rt::StepTime &t : times) {
    std::string op = t.label.substr(0, t.label.find(" @"));
    if (t.kind == "gemm")
      op += " (gemm)";
    OpTime &o = byOp[op];
    o.op = op;
    o.steps += 1;
    o.microseconds += t.microseconds;
  }
  std::vector<OpTime> sorted;
  for (auto &[op, o] : byOp)
    sorted.push_back(o);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const OpTime &a, const OpTime &b) { return a.microseconds > b.microseconds; });
  return sorted;
}

void printProfile(const std::vector<rt::StepTime> &times, int top) {
  double total = 0;
  for (const rt::StepTime &t : times)
    total += t.microseconds;
  std::vector<OpTime> ops = timeByOp(times);
  std::printf("profile: %zu steps, %.2f ms (one run, each step waited for)\n", times.size(),
              total / 1e3);
  std::printf("  %10s %6s %6s  %s\n", "ms", "share", "steps", "op");
  for (size_t i = 0; i < ops.size() && i < static_cast<size_t>(top); ++i)
    std::printf("  %10.3f %5.1f%% %6d  %s\n", ops[i].microseconds / 1e3,
                total > 0 ? 100.0 * ops[i].microseconds / total : 0.0, ops[i].steps,
                ops[i].op.c_str());
}

} // namespace weft::cli
