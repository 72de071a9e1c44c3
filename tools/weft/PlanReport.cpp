//===- PlanReport.cpp - printing a strategy search's plan ------------------===//
//
// This file implements printPlan and planJson (PlanReport.h).
//
//===----------------------------------------------------------------------===//

#include "tools/weft/PlanReport.h"
#include "compiler/SourceLine.h"

#include "ir/AttrNames.h"

#include "mlir/IR/Location.h"
#include "mlir/Support/DebugStringHelper.h"
#include "llvm/Support/raw_ostream.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <map>

using namespace mlir;

namespace weft::cli {
namespace {


/// "dp=128,tp=8" for #weft.mesh<dp = 128, tp = 8>.
std::string meshText(MeshAttr mesh) {
  std::string s;
  for (auto [name, size] : llvm::zip(mesh.getAxisNames(), mesh.getAxisSizes()))
    s += (s.empty() ? "" : ",") + name.getValue().str() + "=" + std::to_string(size);
  return s;
}

std::string seconds(double s) {
  char buf[32];
  if (s >= 1)
    std::snprintf(buf, sizeof buf, "%.3f s", s);
  else if (s >= 1e-3)
    std::snprintf(buf, sizeof buf, "%.3f ms", s * 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.1f us", s * 1e6);
  return buf;
}

std::string bytes(double b) {
  char buf[32];
  if (b >= double(1ull << 30))
    std::snprintf(buf, sizeof buf, "%.2f GiB", b / double(1ull << 30));
  else if (b >= double(1 << 20))
    std::snprintf(buf, sizeof buf, "%.2f MiB", b / double(1 << 20));
  else
    std::snprintf(buf, sizeof buf, "%.1f KiB", b / 1024.0);
  return buf;
}



/// The layer each searched op belongs to: the largest layer number of the
/// parameters it reads, directly or through its operands (the forward pass
/// builds layer after layer); -1 before the first layer.
std::map<Operation *, int> layersOf(const search::SearchReport &report, func::FuncOp func) {
  std::map<Operation *, int> layer;
  auto layerOfArg = [&](BlockArgument arg) {
    auto name = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), kParamAttr);
    if (!name || !name.getValue().starts_with("h."))
      return -1;
    return std::atoi(name.getValue().drop_front(2).str().c_str());
  };
  for (auto &[op, s] : report.ops) {
    int l = -1;
    for (Value v : op->getOperands()) {
      if (auto arg = dyn_cast<BlockArgument>(v))
        l = std::max(l, layerOfArg(arg));
      else if (auto it = layer.find(v.getDefiningOp()); it != layer.end())
        l = std::max(l, it->second);
    }
    layer[op] = l;
  }
  return layer;
}

std::string useLine(const search::UseReport &u) {
  std::string what = u.reader ? u.role + " of " + u.reader->getName().getStringRef().str() + " at " +
                                    sourceLine(u.reader->getLoc())
                              : u.role;
  std::string steps;
  for (const std::string &s : u.forward.steps)
    steps += (steps.empty() ? "" : " + ") + s;
  std::string line = what + ": " + debugString(u.held) + " -> " + debugString(u.needed);
  if (!steps.empty())
    line += ": " + steps + ", " + bytes(u.forward.wireBytes) + ", " + seconds(u.forward.seconds);
  if (u.backward.seconds > 0) {
    std::string back;
    for (const std::string &s : u.backward.steps)
      back += (back.empty() ? "" : " + ") + s;
    line += "; gradient back: " + back + ", " + bytes(u.backward.wireBytes) + ", " + seconds(u.backward.seconds);
  }
  return line;
}

} // namespace

void printPlan(const PlanFacts &f, const search::SearchReport &r, const std::vector<GridPoint> &grid,
               bool explain) {
  const search::Solution &s = r.solution;
  std::printf("weft plan: %s, %lld devices of kind %s, batch %lld x seq %lld%s, %s\n", f.model.c_str(),
              (long long)f.devices, f.deviceKind.c_str(), (long long)f.batch, (long long)f.seq,
              f.microBatches > 1 ? (" as " + std::to_string(f.microBatches) + " micro-batches of " +
                                    std::to_string(f.batch / f.microBatches) + " (gradients accumulated)")
                                       .c_str()
                                 : "",
              f.precision.c_str());
  std::printf("search: %.2f s wall (%s; %lld nodes, %lld groups after tying layers, %lld left after eliminating "
              "chains; solve %.3f s)\n",
              f.searchSeconds, s.method.c_str(), (long long)r.nodes, (long long)r.groups,
              (long long)r.solvedGroups, s.solveSeconds);
  std::printf("mesh: %s", meshText(r.mesh).c_str());
  if (!r.meshes.empty()) {
    std::printf("   (candidates:");
    for (auto &[mesh, t] : r.meshes)
      std::printf(" %s %s;", meshText(mesh).c_str(), seconds(t).c_str());
    std::printf(")");
  }
  std::printf("\n");
  std::printf("predicted step: %s = compute %s + communication %s (all counted as exposed) + optimizer update %s\n",
              seconds(s.seconds).c_str(), seconds(r.computeSeconds).c_str(),
              seconds(r.communicationSeconds).c_str(), seconds(r.updateSeconds).c_str());
  double gap = s.seconds > 0 ? (s.seconds - s.lowerBound) / s.seconds : 0;
  std::printf("lower bound: %s (gap %.2f%%; the bound of the tied problem: LP relaxation or the solver's proof)\n",
              seconds(s.lowerBound).c_str(), 100 * std::max(0.0, gap));
  if (f.flopsPerStep > 0 && s.seconds > 0)
    std::printf("model FLOPs utilization it implies: %.1f%% (%.3g FLOPs per step over %lld x %.4g FLOP/s)\n",
                100 * f.flopsPerStep / s.seconds / (double(f.devices) * f.peakFlops), f.flopsPerStep,
                (long long)f.devices, f.peakFlops);

  // Memory: each parameter holds itself, its gradient and its state in one layout.
  double held = 0, dpSplit = 0, total = 0;
  for (const search::ArgReport &a : r.args) {
    held += a.bytes;
    if (a.bytes > 0) {
      total += a.bytes;
      for (DimShardingAttr d : a.sharding.getDims())
        for (StringAttr axis : d.getAxes())
          if (axis.getValue() == "dp")
            dpSplit += a.bytes;
    }
  }
  int copies = 2 + f.stateCopies;
  double activations = r.activationEstimate;
  std::printf("memory per device: %s = parameters %s + gradients %s + optimizer state %s + activations %s "
              "(budget %s)\n",
              bytes(held + activations).c_str(), bytes(held / copies).c_str(), bytes(held / copies).c_str(),
              bytes(held * f.stateCopies / copies).c_str(), bytes(activations).c_str(),
              bytes(f.memoryBudget).c_str());
  std::printf("  activations: the forward results the backward pass reads, the search's estimate (the compile of "
              "--mesh auto plans the peak exactly and refuses a plan over the budget)%s\n",
              held + activations > f.memoryBudget
                  ? "; OVER THE BUDGET: more --micro-batches (gradient accumulation) or recomputation is "
                    "needed"
                  : "");
  std::printf("optimizer parallelism: %.0f%% of the parameter bytes are split over dp (%s)\n",
              total > 0 ? 100 * dpSplit / total : 0.0,
              dpSplit == 0 ? "ZeRO 0" : dpSplit == total ? "ZeRO 3: parameters, gradients and state" : "in part");

  // The parameters, layers folded.
  std::printf("\nparameters (h.# = every layer):\n");
  std::map<std::string, std::map<std::string, int>> byName;
  for (const search::ArgReport &a : r.args)
    if (a.bytes > 0)
      byName[search::withoutLayerNumbers(a.name)][debugString(a.sharding)]++;
  for (auto &[name, layouts] : byName)
    for (auto &[layout, count] : layouts)
      std::printf("  %-32s %s%s\n", name.c_str(), layout.c_str(),
                  layouts.size() > 1 ? (" (" + std::to_string(count) + ")").c_str() : "");

  // One layer's ops.
  if (!r.ops.empty()) {
    func::FuncOp func = r.ops.front().first->getParentOfType<func::FuncOp>();
    std::map<Operation *, int> layer = layersOf(r, func);
    int show = 0;
    for (auto &[op, l] : layer)
      show = std::max(show, std::min(l, 1));
    std::map<Operation *, std::pair<double, double>> moved; // per reader: seconds, bytes
    for (const search::UseReport &u : r.uses)
      if (u.reader) {
        auto &[t, b] = moved[u.reader];
        t += u.forward.seconds + u.backward.seconds;
        b += u.forward.wireBytes + u.backward.wireBytes;
      }
    std::printf("\nlayer %d (forward op: its results' layout; seconds forward + backward; data it moves in):\n",
                show);
    for (auto &[op, t] : r.ops) {
      if (layer[op] != show)
        continue;
      auto shardings = op->getAttrOfType<ArrayAttr>(kShardingsAttr);
      auto [ct, cb] = moved[op];
      std::printf("  %-22s %-40s %10s %12s %s\n", op->getName().getStringRef().str().c_str(),
                  shardings && shardings.size() ? debugString(shardings[0]).c_str() : "-", seconds(t).c_str(),
                  cb > 0 ? ("moves " + bytes(cb)).c_str() : "", sourceLine(op->getLoc()).c_str());
    }
  }

  if (!grid.empty()) {
    std::printf("\nMegatron-style grid under the same costs (named strategies: parameters placed, ops searched):\n");
    const GridPoint *best = nullptr;
    for (const GridPoint &g : grid) {
      if (g.seconds < 0)
        std::printf("  %-16s %-18s %s\n", g.mesh.c_str(), g.strategy.c_str(), g.why.c_str());
      else
        std::printf("  %-16s %-18s %s\n", g.mesh.c_str(), g.strategy.c_str(), seconds(g.seconds).c_str());
      if (g.seconds >= 0 && (!best || g.seconds < best->seconds))
        best = &g;
    }
    if (best)
      std::printf("best grid point: %s %s, %s; the search's plan: %s (%.2fx)\n", best->mesh.c_str(),
                  best->strategy.c_str(), seconds(best->seconds).c_str(), seconds(s.seconds).c_str(),
                  best->seconds / s.seconds);
  }

  if (explain) {
    std::vector<const search::UseReport *> uses;
    for (const search::UseReport &u : r.uses)
      uses.push_back(&u);
    std::stable_sort(uses.begin(), uses.end(), [](auto *a, auto *b) {
      return a->forward.seconds + a->backward.seconds > b->forward.seconds + b->backward.seconds;
    });
    std::printf("\nevery resharding, costliest first (%zu):\n", uses.size());
    for (const search::UseReport *u : uses)
      std::printf("  %s\n", useLine(*u).c_str());
  }
}

std::string planJson(const PlanFacts &f, const search::SearchReport &r, const std::vector<GridPoint> &grid) {
  nlohmann::json j;
  j["model"] = f.model;
  j["devices"] = f.devices;
  j["device_kind"] = f.deviceKind;
  j["batch"] = f.batch;
  j["micro_batches"] = f.microBatches;
  j["seq"] = f.seq;
  j["precision"] = f.precision;
  j["mesh"] = meshText(r.mesh);
  j["predicted_step_seconds"] = r.solution.seconds;
  j["compute_seconds"] = r.computeSeconds;
  j["communication_seconds"] = r.communicationSeconds;
  j["optimizer_seconds"] = r.updateSeconds;
  j["lower_bound_seconds"] = r.solution.lowerBound;
  j["search_seconds"] = f.searchSeconds;
  j["bytes_per_device"] = r.solution.bytes;
  nlohmann::json args = nlohmann::json::object();
  for (const search::ArgReport &a : r.args)
    args[a.name.empty() ? "arg" + std::to_string(a.index) : a.name] = debugString(a.sharding);
  j["arguments"] = args;
  nlohmann::json g = nlohmann::json::array();
  for (const GridPoint &p : grid)
    g.push_back({{"mesh", p.mesh}, {"strategy", p.strategy}, {"seconds", p.seconds}, {"why", p.why}});
  j["grid"] = g;
  return j.dump(2) + "\n";
}

} // namespace weft::cli
