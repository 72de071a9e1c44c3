//===- ProgramProblem.h - a function's strategy search as a problem -*- C++ -*-===//
//
// This file declares the bridge between a weft function on a mesh and the
// MLIR-free StrategyProblem.
//
// What gets a variable. In a training step (a function with weft.update
// results) only the forward pass does — the ops the loss depends on — and
// the parameters and inputs: the backward pass and the optimizer mirror the
// forward's layouts (weft-propagate-sharding carries them over), so their
// costs are charged to the forward choice that decides them, as Alpa-style
// searches on a full training graph would find at many times the size. In
// a program without updates every op gets one.
//   - an argument: its possible shardings (a hinted one: the hint); a
//     parameter pays its optimizer update (streaming the parameter, its
//     gradient and state) and holds parameter + gradient + state bytes,
//     all in its layout (a parameter split over the data axis is ZeRO-3);
//   - an op: its strategies (StrategySpace.h), costed by SearchCosts.h
//     (in training x3 for a contraction, forward + two backward GEMMs, x2
//     for other ops);
//   - a value read by more than one op of the searched part: the layout it
//     is kept in (one resharding serves every reader, as the partitioner
//     does).
// An edge per use costs the resharding from what the producer leaves to
// what the reader needs and, in training, the resharding of the gradient
// back: the reader leaves the operand's gradient in the operand's layout,
// partial over the split factors the operand does not hold (the data-
// parallel gradient sum of a weight is such a partial), and the producer
// needs it whole. In a program without training, a parameter's update
// result flows back to its argument; results are gathered whole.
//
// Ties: nodes that are the same op with the same attributes and the same
// neighbourhood (operands' producers three levels up, argument names with
// their layer numbers blanked out) — a model's repeated layers — share
// one variable (cheap values are not tied: each is its reader's own).
//
// After the solve, `apply` writes the choice into the function as hints
// weft-propagate-sharding keeps: `weft.sharding` on arguments (optimizer
// state as its parameter), `weft.shardings` on the searched ops, and a
// weft.sharding_constraint wherever a reader needs another layout than the
// one its operand is kept in.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_PASSES_PARALLEL_SEARCH_PROGRAMPROBLEM_H
#define WEFT_PASSES_PARALLEL_SEARCH_PROGRAMPROBLEM_H

#include "cost/ClusterSpec.h"
#include "ir/Sharding.h"
#include "passes/parallel/search/StrategyProblem.h"
#include "passes/parallel/search/SearchCosts.h"
#include "passes/parallel/search/StrategySpace.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

#include <memory>

namespace weft::search {

/// `name` with every run of digits replaced by '#': "h.3.attn" and
/// "h.7.attn" agree (parameters of repeated layers).
std::string withoutLayerNumbers(const std::string &name);

/// True for an op that is cheap to make anew for each reader: no operands
/// (a constant, an iota) or a broadcast of a single element.
bool isCheapToCopy(mlir::Operation *op);

/// Gives each reader of a cheap value (isCheapToCopy) its own copy, so that
/// each copy can be made in its reader's layout: otherwise one value would
/// tie together every op that reads it (an optimizer's beta broadcast to
/// every parameter's shape).
void copyCheapValuesPerReader(mlir::func::FuncOp func);

/// One use of a value whose layout changes on the way.
struct UseReport {
  /// The op that reads the value (null: a function result or update).
  mlir::Operation *reader = nullptr;
  /// "operand 1", "result 0", "update of <name>", "kept for its readers".
  std::string role;
  mlir::Value value;
  ShardingAttr held, needed;
  ReshardCost forward, backward; // backward: the gradient, in training
};

/// An argument's chosen layout and what it costs.
struct ArgReport {
  unsigned index = 0;
  std::string name;
  ShardingAttr sharding;
  double seconds = 0, bytes = 0; // a parameter's update, and what it holds per device
};

class ProgramProblem {
public:
  /// Builds the problem of `func` on `mesh` (`tie`: tie repeated layers).
  /// `everyOp`: give every op a variable, also in a training step (its
  /// backward and optimizer ops explicit, no costs charged to the forward);
  /// an op that already carries weft.shardings keeps only the strategies
  /// that produce them (the forward pass decided by an earlier search).
  /// `countActivations` (training): the forward results the backward pass
  /// reads count against the memory budget too, per strategy (off by
  /// default: chains of ops whose bytes differ by strategy cannot be
  /// eliminated exactly, so the problem the solver sees grows).
  ProgramProblem(mlir::func::FuncOp func, MeshAttr mesh, const cost::ClusterSpec &cluster, bool tie,
                 bool everyOp = false, bool countActivations = false);

  const StrategyProblem &problem() const { return problem_; }
  StrategyProblem &problem() { return problem_; }

  /// Writes the choice (per node of problem()) into the function.
  void apply(llvm::ArrayRef<int> choiceOfNode);

  /// The node of an op (for reports); -1 for none.
  int nodeOf(mlir::Operation *op) const;

  /// The strategy `choice` of op `op` (which has a node).
  const OpStrategy &strategyOf(mlir::Operation *op, int choice) const;

  /// Whether the function is a training step (only its forward pass searched).
  bool training() const { return training_; }
  /// Every use whose layout changes under the choice, with its collectives
  /// (call before apply, which rewrites the uses).
  std::vector<UseReport> explain(llvm::ArrayRef<int> choiceOfNode) const;
  /// In training: the bytes per device of the forward results the backward
  /// pass reads, under the choice (0 otherwise).
  double savedActivationBytes(llvm::ArrayRef<int> choiceOfNode) const;
  /// Every argument with a node: its layout under the choice and its costs.
  std::vector<ArgReport> arguments(llvm::ArrayRef<int> choiceOfNode) const;

private:
  /// Where a use reads from: a node and, per strategy of that node, the
  /// sharding the value has there (possibly partial).
  struct Source {
    int node = -1;
    std::vector<ShardingAttr> held;
  };

  void addArguments();
  void addOps();
  void addUses();
  Source sourceOf(mlir::Value v) const;
  /// In a training step: whether an op outside the forward pass (the
  /// backward pass, the optimizer) reads `v`.
  bool savedForBackward(mlir::Value v) const;
  /// `gradPartial` (per strategy of toNode, in training): the axes over
  /// which the reader leaves the gradient of this operand partial.
  void addUseEdge(const Source &from, int toNode, const std::vector<ShardingAttr> &needed,
                  mlir::RankedTensorType type,
                  const std::vector<llvm::SmallVector<mlir::StringAttr, 2>> *gradPartial = nullptr);
  bool searched(mlir::Operation *op) const { return opNode_.count(op); }
  void findForwardPass();
  void tieNodes();

  mutable mlir::func::FuncOp func_; // MLIR ops have no const accessors
  MeshAttr mesh_;
  const cost::ClusterSpec &cluster_;
  StrategyProblem problem_;
  llvm::DenseMap<mlir::Value, int> argNode_, valueNode_;
  llvm::DenseMap<mlir::Value, std::vector<ShardingAttr>> valueLayouts_; // of a value node
  llvm::DenseMap<mlir::Operation *, int> opNode_;
  llvm::DenseMap<mlir::Operation *, llvm::SmallVector<OpStrategy, 4>> strategies_;
  llvm::DenseMap<mlir::Value, std::vector<ShardingAttr>> argLayouts_;
  std::vector<llvm::hash_code> keys_; // per node, for ties
  bool training_ = false;
  bool everyOp_ = false;
  bool countActivations_ = false;
  llvm::DenseSet<mlir::Operation *> forward_; // the ops that get a variable
  int stateCopies_ = 0;                       // optimizer state tensors per parameter
};

} // namespace weft::search

#endif // WEFT_PASSES_PARALLEL_SEARCH_PROGRAMPROBLEM_H
