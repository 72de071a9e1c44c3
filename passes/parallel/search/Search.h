//===- Search.h - the strategy search as a call, with its report -*- C++ -*-===//
//
// This file declares searchShardings, what weft-auto-shard runs and `weft
// plan` reports: the search of a function's strategies on the module's mesh
// (or on each mesh `devices` devices can form, keeping the fastest), written
// back as hints, with the breakdown a user reads a plan by — each argument's
// layout, each searched op's predicted seconds, each use that moves data
// (the collectives, their bytes and seconds, forward and, in training, the
// gradient back) — and the totals.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_PARALLEL_SEARCH_SEARCH_H
#define WEFT_PASSES_PARALLEL_SEARCH_SEARCH_H

#include "cost/ClusterSpec.h"
#include "ir/Sharding.h"
#include "passes/parallel/search/PartitionedCost.h"
#include "passes/parallel/search/ProgramProblem.h"
#include "passes/parallel/search/SearchCosts.h"
#include "passes/parallel/search/StrategyProblem.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace weft::search {

struct SearchOptions {
  /// Per-device budget for parameters, gradients and optimizer state (0: the device's memory).
  double memoryGib = 0;
  double maxSeconds = 60;    // the ILP solver's limit
  bool tie = true;           // one strategy for the repeated layers
  std::string solver = "ilp"; // or "enumerate"
  int64_t devices = 0;       // > 0: choose the mesh too (the module must have none)
  /// With devices > 0: also try data parallelism over every axis (parameters
  /// whole, and split as ZeRO 3) on each mesh, partition every candidate and
  /// keep the one whose partitioned program costs least (PartitionedCost.h),
  /// rather than trusting the search's prediction alone.
  bool verify = false;
  /// In a training step: once the forward pass is decided, search the
  /// backward pass and optimizer too (every op explicit, the forward pinned).
  bool backward = true;
  /// The arena alignment the compile will plan memory with (64 on the CPU,
  /// 256 on CUDA): the planned peak is checked against the budget with it.
  int64_t alignment = 64;
  /// Check plans against the budget with the compiler's memory plan of their
  /// partitioned program (activations included). Off (`weft plan` at a scale
  /// where partitioning every candidate would take minutes), the budget
  /// holds the parameters, gradients and state only, and the report carries
  /// the search's estimate of the activations instead.
  bool planMemory = true;
};

/// One plan considered with devices > 0.
struct Candidate {
  MeshAttr mesh;
  std::string variant;          // "searched", "data parallel", "data parallel + ZeRO 3"
  double predicted = 0;         // the search's objective
  double partitioned = -1;      // with verify: the partitioned program's cost
  double partitionedCommunication = 0; // of which its collectives
  PlannedMemory memory;         // its partitioned program's memory plan, per device
  bool planned = false;         // whether `memory` was planned (without verify: the chosen plan's only)
};

struct SearchReport {
  MeshAttr mesh;
  Solution solution;
  int64_t nodes = 0, groups = 0, solvedGroups = 0;
  bool training = false;
  /// With devices > 0: each candidate mesh and its predicted step.
  std::vector<std::pair<MeshAttr, double>> meshes;
  /// With devices > 0: every plan considered (with verify: the baselines too).
  std::vector<Candidate> candidates;
  double computeSeconds = 0, communicationSeconds = 0, updateSeconds = 0;
  /// With options.backward in training: the whole step's objective (every op
  /// explicit) and the groups its ILP solved; 0 when not searched.
  double backwardSeconds = 0;
  int64_t backwardGroups = 0;
  /// The chosen plan's memory per device under the compiler's memory plan of
  /// its partitioned program (the search's own estimate is solution.bytes).
  PlannedMemory memory;
  double budgetBytes = 0;
  /// In training: the forward results the backward pass reads under the
  /// choice (the search's activation estimate), per device.
  double activationEstimate = 0;
  std::vector<ArgReport> args;
  std::vector<std::pair<mlir::Operation *, double>> ops; // searched ops in order, predicted seconds
  std::vector<UseReport> uses;                           // uses that cost something
};

/// The meshes `devices` devices can form: dp = N / tp by tp for every tp
/// that divides N and fits in a node of `cluster` (tensor parallelism stays
/// on the fast links); axes of size 1 are left out.
llvm::SmallVector<MeshAttr> candidateMeshes(mlir::MLIRContext *ctx, int64_t devices,
                                            const cost::ClusterSpec &cluster);

/// Searches and applies the strategies of `func` in `module` (see Search.h's
/// banner); on failure the error is emitted at the function (or the module)
/// and nothing is changed. With devices > 0 the chosen candidate's copy
/// replaces the module's body, so `func` is gone afterwards (the report's ops
/// are the new body's).
mlir::FailureOr<SearchReport> searchShardings(mlir::ModuleOp module, mlir::func::FuncOp func,
                                              const cost::ClusterSpec &cluster, const SearchOptions &options);

} // namespace weft::search

#endif // WEFT_PASSES_PARALLEL_SEARCH_SEARCH_H
