//===- CollectiveCheck.cpp - the collective model against measured times --===//
//
// This file implements the collective check of `weft calibrate --check`
// under weft launch (CollectiveCheck.h).
//
//===----------------------------------------------------------------------===//

#include "tools/weft/CollectiveCheck.h"

#include "tools/weft/CollectiveTimer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace weft::cli {
namespace {

double relativeError(double predicted, double measured) { return std::fabs(predicted - measured) / measured; }

} // namespace

CollectiveCheck checkCollective(rt::Communicator &group, cost::CollectiveKind kind,
                                const std::vector<int64_t> &sizes, const cost::Link &link, bool quick) {
  CollectiveCheck c;
  c.kind = kind;
  c.measured = timeCollective(group, kind, sizes, quick);
  cost::Link line{link.bandwidth, link.latencySeconds, {}};
  for (const cost::CollectiveSample &s : c.measured) {
    c.predicted.push_back(cost::linkSeconds(kind, s.bytes, group.size(), link));
    c.ringFit.push_back(cost::linkSeconds(kind, s.bytes, group.size(), line));
  }
  return c;
}

void printCollectiveChecks(const std::vector<CollectiveCheck> &checks, int ranks, const std::string &source) {
  std::printf("\ncollective check: %d ranks, the cost model (%s) against collectives timed at sizes between the "
              "calibration's\n",
              ranks, source.c_str());
  for (const CollectiveCheck &c : checks) {
    std::printf("  %-14s %10s %14s %14s %8s %14s %8s\n", cost::collectiveName(c.kind), "S", "measured (us)",
                "model (us)", "error", "ring fit (us)", "error");
    std::vector<double> model, line;
    for (size_t i = 0; i < c.measured.size(); ++i) {
      const cost::CollectiveSample &s = c.measured[i];
      model.push_back(relativeError(c.predicted[i], s.seconds));
      line.push_back(relativeError(c.ringFit[i], s.seconds));
      std::printf("  %-14s %10s %14.1f %14.1f %7.0f%% %14.1f %7.0f%%\n", "", sizeText(s.bytes).c_str(),
                  1e6 * s.seconds, 1e6 * c.predicted[i], 100 * model.back(), 1e6 * c.ringFit[i],
                  100 * line.back());
    }
    std::printf("  %s: median |error| %.0f%% (max %.0f%%); the ring fit's %.0f%% (max %.0f%%)\n",
                cost::collectiveName(c.kind), 100 * cost::median(model),
                100 * *std::max_element(model.begin(), model.end()), 100 * cost::median(line),
                100 * *std::max_element(line.begin(), line.end()));
  }
}

} // namespace weft::cli
