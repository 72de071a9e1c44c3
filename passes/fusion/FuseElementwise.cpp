//===- FuseElementwise.cpp - the weft-fuse-elementwise pass ---------------===//
//
// This file implements weft-fuse-elementwise, which groups connected sets of
// elementwise, broadcast, iota, splat-constant and reduce ops into one
// weft.fusion each (one kernel with a region; see Passes.td for the policy).
//
// Decisions:
// - Fusible: ops with the Elementwise trait (math, compare, select, cast),
//   weft.broadcast, weft.iota, weft.reduce, and splat weft.constant (which
//   becomes a region-local constant, so the kernel reads no constant
//   buffer). Never fused: contractions, gather, the other fused ops,
//   reshape, transpose, slice, concat and non-splat constants (transpose and
//   slice are possible extensions: they would need the CPU kernel to turn
//   linalg.transpose / tensor.extract_slice into indexing maps first).
// - Recomputation: broadcasts, iotas and splat constants are cheaper to
//   recompute than to read back (a broadcast reads its small input instead
//   of a full-sized buffer), and so is cheap arithmetic (add, sub, mul, neg,
//   max, min, compare, select, cast) over those alone (a vocabulary shard's
//   mask, a one-hot row), so each fusible user gets its own copy. Any
//   other value used inside a group and outside it is yielded by the group
//   (written once) and read by the outside users; it is never recomputed.
// - Broadcast copies: a broadcast of a computed tensor made for one user
//   joins that user's group (and its producer's group only through the
//   user, when the union stays convex), so a group beyond an unfused op
//   reads the small tensor and broadcasts it itself.
// - Acyclicity: two groups merge only when no path leaves the union and
//   comes back through an op outside it (A -> B -> C with B unfused never
//   puts A and C together), so the graph of groups stays a DAG.
// - Scalar links: two groups that both make multi-element tensors never
//   merge when every edge between them carries one element (a sum of
//   squares, a flag read through a broadcast): the gradient-norm clipping
//   would otherwise join every gradient's cast into one kernel at the end of
//   the backward pass (each gradient live in bf16 and f32 at the peak), and
//   f16's updates reading one loss-scaling flag into one huge kernel.
// - Casts next to reshapes: a cast moves across a single-use reshape
//   towards fusible ops, so it joins their group (mixed precision puts a
//   cast after every bf16 GEMM and before every GEMM operand).
// - Placement: groups become single nodes and the body is re-emitted in a
//   topological order that keeps the original order wherever it can.
//
//===----------------------------------------------------------------------===//

#include "passes/fusion/FusionUtils.h"
#include "passes/Passes.h"

#include "ir/WeftOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SetVector.h"

#include <queue>

namespace weft {
#define GEN_PASS_DEF_FUSEELEMENTWISEPASS
#include "passes/Passes.h.inc"
} // namespace weft

using namespace mlir;
using namespace weft;

namespace {

/// A weft.constant holding one repeated value.
bool isSplatConstant(Operation *op) {
  auto c = dyn_cast<ConstantOp>(op);
  if (!c)
    return false;
  auto dense = dyn_cast<DenseElementsAttr>(c.getValue());
  return dense && dense.isSplat();
}

/// Whether `op` reads no tensor at all: an iota, a splat constant, or an
/// elementwise op or broadcast of such values only (a causal mask built from
/// iotas, compare and select).
bool readsNothing(Operation *op, llvm::DenseMap<Operation *, bool> &memo) {
  if (isa<IotaOp>(op) || isSplatConstant(op))
    return true;
  if (!isa_and_nonnull<WeftDialect>(op->getDialect()) ||
      !(op->hasTrait<OpTrait::Elementwise>() || isa<BroadcastOp>(op)))
    return false;
  if (auto it = memo.find(op); it != memo.end())
    return it->second;
  bool nothing = llvm::all_of(op->getOperands(), [&](Value v) {
    Operation *def = v.getDefiningOp();
    return def && def->getBlock() == op->getBlock() && readsNothing(def, memo);
  });
  memo[op] = nothing;
  return nothing;
}

/// Elementwise ops of a few instructions per element (no division, no
/// transcendental math).
bool isCheapArithmetic(Operation *op) {
  return isa<AddOp, SubOp, MulOp, NegOp, MaxOp, MinOp, CompareOp, SelectOp, CastOp>(op);
}

/// Ops that are cheaper to recompute in every group that uses them than to
/// materialize once and read back: broadcasts (they read their small input
/// instead of a full-sized buffer), whatever reads no tensor at all, and
/// cheap arithmetic over such ops only. The last makes a vocabulary shard's
/// masks (`iota + offset < vocabulary`, `iota + offset == label`) and the
/// one-hot gradient `select(mask, -1/n, 0)` values that every user rebuilds
/// from a scalar and a label vector, instead of [tokens, vocabulary] byte
/// masks and f32 tensors written by one kernel and read back by three.
/// `nothing` memoizes readsNothing, `cheap` this (each op is decided once,
/// however many cheap users share it).
bool isCheapToRecompute(Operation *op, llvm::DenseMap<Operation *, bool> &nothing,
                        llvm::DenseMap<Operation *, bool> &cheap) {
  if (isa<BroadcastOp>(op) || readsNothing(op, nothing))
    return true;
  if (!isCheapArithmetic(op))
    return false;
  if (auto it = cheap.find(op); it != cheap.end())
    return it->second;
  bool result = llvm::all_of(op->getOperands(), [&](Value v) {
    Operation *def = v.getDefiningOp();
    return def && def->getBlock() == op->getBlock() && isCheapToRecompute(def, nothing, cheap);
  });
  cheap[op] = result;
  return result;
}

/// Ops a weft.fusion body may hold.
bool isFusible(Operation *op) {
  if (!isa_and_nonnull<WeftDialect>(op->getDialect()) || op->getNumRegions() != 0)
    return false;
  return op->hasTrait<OpTrait::Elementwise>() ||
         isa<BroadcastOp, IotaOp, ReduceOp>(op) || isSplatConstant(op);
}

/// Moves each weft.cast across an adjacent weft.reshape (free: an alias)
/// towards fusible ops, so that the cast joins their group instead of being
/// a kernel of its own that reads and writes the whole tensor:
///   producer -> cast -> reshape -> fusible users  becomes
///   producer -> reshape -> cast -> fusible users  (a bf16 GEMM result is
///                                                   widened inside the group);
///   fusible producer -> reshape -> cast -> ...    becomes
///   fusible producer -> cast -> reshape -> ...    (the group writes bf16).
/// Only single-use reshapes move, so no value is computed twice.
void moveCastsAcrossReshapes(Block &block) {
  auto allUsersFusible = [](Value v) {
    return !v.use_empty() &&
           llvm::all_of(v.getUsers(), [](Operation *u) { return isFusible(u); });
  };
  SmallVector<CastOp> casts(block.getOps<CastOp>());
  for (CastOp castOp : casts) {
    auto inType = cast<RankedTensorType>(castOp.getInput().getType());
    auto outType = cast<RankedTensorType>(castOp.getType());
    OpBuilder b(castOp);
    if (auto reshape = castOp.getInput().getDefiningOp<ReshapeOp>();
        reshape && reshape->hasOneUse() && reshape.getInput().getDefiningOp() &&
        isFusible(reshape.getInput().getDefiningOp())) {
      auto from = cast<RankedTensorType>(reshape.getInput().getType());
      b.setInsertionPoint(reshape);
      Value moved = b.create<CastOp>(castOp.getLoc(), from.clone(outType.getElementType()),
                                     reshape.getInput());
      fusion::inheritRecomputeGroup(moved.getDefiningOp(), {castOp});
      b.setInsertionPoint(castOp);
      auto newReshape = b.create<ReshapeOp>(reshape.getLoc(), outType, moved);
      fusion::inheritRecomputeGroup(newReshape, {reshape});
      castOp.replaceAllUsesWith(newReshape.getResult());
      castOp.erase();
      reshape.erase();
      continue;
    }
    if (!castOp->hasOneUse())
      continue;
    auto reshape = dyn_cast<ReshapeOp>(*castOp->getUsers().begin());
    if (!reshape || !allUsersFusible(reshape.getResult()))
      continue;
    auto to = cast<RankedTensorType>(reshape.getType());
    b.setInsertionPoint(reshape);
    Value reshaped = b.create<ReshapeOp>(reshape.getLoc(), to.clone(inType.getElementType()),
                                         castOp.getInput());
    fusion::inheritRecomputeGroup(reshaped.getDefiningOp(), {reshape});
    auto newCast = b.create<CastOp>(castOp.getLoc(), to, reshaped);
    fusion::inheritRecomputeGroup(newCast, {castOp});
    reshape.replaceAllUsesWith(newCast.getResult());
    reshape.erase();
    castOp.erase();
  }
}

/// Gives each fusible user of a cheap op (broadcast, an op that reads no
/// tensor: iota, splat constant, math on those; cheap arithmetic on those)
/// its own copy placed just before it, so that grouping can pull the copy
/// into the user's group; non-fusible users keep the original, which is
/// erased when none is left. Inputs of cheap ops are handled first, so a
/// broadcast of a splat constant is copied together with its constant.
void duplicateCheapOps(Block &block) {
  SmallVector<Operation *> cheap;
  llvm::DenseMap<Operation *, bool> nothing, cheapMemo;
  for (Operation &op : block)
    if (isCheapToRecompute(&op, nothing, cheapMemo))
      cheap.push_back(&op);
  // Users before producers: a copied broadcast then copies its input too.
  for (Operation *op : llvm::reverse(cheap)) {
    SmallVector<OpOperand *> fusibleUses;
    bool otherUses = false;
    for (OpOperand &use : op->getUses()) {
      if (isFusible(use.getOwner()))
        fusibleUses.push_back(&use);
      else
        otherUses = true;
    }
    if (fusibleUses.size() <= 1 && (fusibleUses.empty() || !otherUses))
      continue;
    // Keep the original for one fusible user when no other user needs it.
    size_t copies = otherUses ? fusibleUses.size() : fusibleUses.size() - 1;
    OpBuilder b(op->getContext());
    for (size_t i = 0; i < copies; ++i) {
      OpOperand *use = fusibleUses[i];
      b.setInsertionPoint(use->getOwner());
      use->set(b.clone(*op)->getResult(0));
    }
  }
}

/// Groups of fusible ops over one block, merged greedily along def-use
/// edges under the acyclicity rule.
class Grouping {
public:
  explicit Grouping(Block &block) : block(block) {
    for (Operation &op : block) {
      position[&op] = order.size();
      order.push_back(&op);
    }
  }

  /// 1. Each fusible op starts a group of its own, in program order.
  /// 2. It merges with the group of each fusible producer of its operands
  ///    when the union stays convex (see mergeable()), except a broadcast of
  ///    a computed tensor whose one user is fusible (a copy made for that
  ///    user): it joins its user's group only, so a producer group yields
  ///    the small tensor and the user's group broadcasts it itself.
  void run() {
    for (Operation *op : order) {
      if (!isFusible(op))
        continue;
      int g = newGroup(op);
      if (joinsItsUserOnly(op))
        continue;
      // The broadcasts waiting for this op first (merging a producer group
      // before them would see a path out through the broadcast and back),
      // with their producers' groups when the union stays convex; then the
      // other producers' groups.
      auto tryMerge = [&](Operation *def) {
        if (!def || !groupOf.count(def))
          return;
        int pg = groupOf[def];
        if (pg != g && !linkedOnlyByScalars(pg, g) && mergeable(pg, g))
          g = merge(pg, g);
      };
      for (bool waiting : {true, false})
        for (Value v : op->getOperands()) {
          Operation *def = v.getDefiningOp();
          if (!def || joinsItsUserOnly(def) != waiting)
            continue;
          tryMerge(def);
          if (waiting)
            tryMerge(def->getOperand(0).getDefiningOp());
        }
    }
  }

  /// The groups worth a weft.fusion: at least two ops, one of which is not
  /// a constant (a lone op is already one kernel).
  SmallVector<SmallVector<Operation *>> fusedGroups() const {
    SmallVector<SmallVector<Operation *>> out;
    for (const auto &ops : members) {
      if (ops.size() < 2 ||
          llvm::all_of(ops, [](Operation *op) { return isa<ConstantOp>(op); }))
        continue;
      SmallVector<Operation *> sorted(ops.begin(), ops.end());
      llvm::sort(sorted, [&](Operation *a, Operation *b) {
        return position.lookup(a) < position.lookup(b);
      });
      out.push_back(std::move(sorted));
    }
    return out;
  }

  /// Position of an op in the original block order.
  size_t positionOf(Operation *op) const { return position.lookup(op); }

private:
  bool joinsItsUserOnly(Operation *op) {
    if (!isa<BroadcastOp>(op) || !op->hasOneUse() || !isFusible(*op->getUsers().begin()))
      return false;
    Operation *def = op->getOperand(0).getDefiningOp();
    return def && !readsNothing(def, memo);
  }

  int newGroup(Operation *op) {
    groupOf[op] = members.size();
    members.push_back({op});
    lastPosition.push_back(position[op]);
    wide.push_back(hasWideResult(op));
    return members.size() - 1;
  }

  /// Whether `op` makes a tensor of more than one element.
  static bool hasWideResult(Operation *op) {
    return llvm::any_of(op->getResultTypes(), [](Type t) {
      auto shaped = dyn_cast<ShapedType>(t);
      return shaped && shaped.hasStaticShape() && shaped.getNumElements() > 1;
    });
  }

  /// Whether groups a and b both compute wide tensors and every def-use
  /// edge between them carries a single value (a reduction to a scalar, a
  /// sum of such, a scalar read through a broadcast). Such groups share a
  /// scalar and nothing else, so merging them saves no traffic and only
  /// makes one kernel of independent work: the gradient-norm clipping's
  /// sums of squares would join every gradient's cast into one kernel at
  /// the end of the backward pass (all gradients live twice at the peak),
  /// and the updates that read one loss-scaling flag would join into one
  /// kernel of a hundred results. A group of scalars (the chain adding the
  /// sums) still joins the group of one of its producers.
  bool linkedOnlyByScalars(int a, int b) const {
    if (!wide[a] || !wide[b])
      return false;
    auto isScalar = [](Value v) {
      auto shaped = dyn_cast<ShapedType>(v.getType());
      return shaped && shaped.hasStaticShape() && shaped.getNumElements() == 1;
    };
    for (auto [from, to] : {std::pair(a, b), std::pair(b, a)})
      for (Operation *op : members[from])
        for (Value r : op->getResults())
          for (Operation *user : r.getUsers()) {
            auto it = groupOf.find(user);
            if (it != groupOf.end() && it->second == to && !isScalar(r))
              return false;
          }
    return true;
  }

  /// Whether groups a and b can merge: no path from an op of a ∪ b through
  /// an op outside a ∪ b back into a ∪ b. Uses only go forward in the
  /// block, so the search stops at the union's last op.
  bool mergeable(int a, int b) {
    size_t limit = std::max(lastPosition[a], lastPosition[b]);
    auto inUnion = [&](Operation *op) {
      auto it = groupOf.find(op);
      return it != groupOf.end() && (it->second == a || it->second == b);
    };
    SmallVector<Operation *> stack;
    llvm::DenseSet<Operation *> seen;
    auto pushOutsideUsers = [&](Operation *op) {
      for (Operation *user : op->getUsers()) {
        Operation *top = block.findAncestorOpInBlock(*user);
        if (top && !inUnion(top) && position[top] < limit && seen.insert(top).second)
          stack.push_back(top);
      }
    };
    for (int g : {a, b})
      for (Operation *op : members[g])
        pushOutsideUsers(op);
    while (!stack.empty()) {
      Operation *op = stack.pop_back_val();
      for (Operation *user : op->getUsers()) {
        Operation *top = block.findAncestorOpInBlock(*user);
        if (!top)
          continue;
        if (inUnion(top))
          return false;
        if (position[top] < limit && seen.insert(top).second)
          stack.push_back(top);
      }
    }
    return true;
  }

  /// Moves the smaller group into the larger; returns the surviving id.
  int merge(int a, int b) {
    if (members[a].size() < members[b].size())
      std::swap(a, b);
    for (Operation *op : members[b]) {
      groupOf[op] = a;
      members[a].push_back(op);
    }
    members[b].clear();
    lastPosition[a] = std::max(lastPosition[a], lastPosition[b]);
    wide[a] = wide[a] || wide[b];
    return a;
  }

  Block &block;
  SmallVector<Operation *> order;
  llvm::DenseMap<Operation *, size_t> position;
  llvm::DenseMap<Operation *, int> groupOf;
  SmallVector<SmallVector<Operation *>> members;
  SmallVector<size_t> lastPosition;
  SmallVector<bool> wide; // per group: some member makes a multi-element tensor
  llvm::DenseMap<Operation *, bool> memo; // readsNothing()
};

/// Replaces the ops of `group` (in block order) by one weft.fusion inserted
/// before `before`: operands are the distinct values the group reads from
/// outside, results the values used outside the group.
void buildFusion(ArrayRef<Operation *> group, Operation *before) {
  llvm::SmallPtrSet<Operation *, 16> inGroup(group.begin(), group.end());
  llvm::SetVector<Value> inputs, outputs;
  for (Operation *op : group) {
    for (Value v : op->getOperands()) {
      Operation *def = v.getDefiningOp();
      if (!def || !inGroup.contains(def))
        inputs.insert(v);
    }
    for (Value r : op->getResults())
      if (llvm::any_of(r.getUsers(),
                       [&](Operation *u) { return !inGroup.contains(u); }))
        outputs.insert(r);
  }
  OpBuilder b(before);
  Location loc = fusion::fusedLoc(group, b);
  SmallVector<Type> resultTypes;
  for (Value v : outputs)
    resultTypes.push_back(v.getType());
  auto fusion = b.create<FusionOp>(loc, resultTypes, inputs.getArrayRef());
  fusion::inheritRecomputeGroup(fusion, group);
  Block *body = new Block();
  fusion.getBody().push_back(body);
  for (Value v : inputs)
    body->addArgument(v.getType(), v.getLoc());
  for (Operation *op : group)
    op->moveBefore(body, body->end());
  Region *region = &fusion.getBody();
  for (auto [input, arg] : llvm::zip(inputs, body->getArguments()))
    Value(input).replaceUsesWithIf(arg, [&](OpOperand &use) {
      return region->isAncestor(use.getOwner()->getParentRegion());
    });
  b.setInsertionPointToEnd(body);
  b.create<YieldOp>(loc, outputs.getArrayRef());
  for (auto [output, result] : llvm::zip(outputs, fusion.getResults()))
    Value(output).replaceUsesWithIf(result, [&](OpOperand &use) {
      return !region->isAncestor(use.getOwner()->getParentRegion());
    });
}

struct FuseElementwisePass
    : weft::impl::FuseElementwisePassBase<FuseElementwisePass> {
  /// 1. Move casts across reshapes towards fusible ops; give every fusible
  ///    user of a broadcast, iota or splat constant its own copy
  ///    (recomputing these is cheaper than reading them back).
  /// 2. Group fusible ops greedily along def-use edges in program order,
  ///    merging a producer's group into its consumer's only when no path
  ///    leaves the union through an unfused op and re-enters it.
  /// 3. Keep groups of two or more ops (not all constants).
  /// 4. Re-emit the body in a topological order of nodes (a group is one
  ///    node, ordered by its first op), building each group's weft.fusion at
  ///    its place: distinct outside values as operands, values with outside
  ///    users as results.
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (!fn.getBody().hasOneBlock())
      return;
    Block &block = fn.getBody().front();
    moveCastsAcrossReshapes(block);
    duplicateCheapOps(block);
    Grouping grouping(block);
    grouping.run();
    SmallVector<SmallVector<Operation *>> groups = grouping.fusedGroups();
    if (groups.empty())
      return;

    // Nodes: each group, then each remaining op; edges from def to use.
    llvm::DenseMap<Operation *, int> nodeOf;
    SmallVector<SmallVector<Operation *>> nodes;
    for (auto &g : groups) {
      for (Operation *op : g)
        nodeOf[op] = nodes.size();
      nodes.push_back(g);
    }
    for (Operation &op : block)
      if (!nodeOf.count(&op) && &op != block.getTerminator()) {
        nodeOf[&op] = nodes.size();
        nodes.push_back({&op});
      }
    std::vector<size_t> key(nodes.size(), SIZE_MAX);
    std::vector<int> indegree(nodes.size(), 0);
    std::vector<llvm::SetVector<int>> succ(nodes.size());
    for (auto [n, ops] : llvm::enumerate(nodes)) {
      for (Operation *op : ops) {
        key[n] = std::min(key[n], grouping.positionOf(op));
        op->walk([&](Operation *inner) {
          for (Value v : inner->getOperands()) {
            Operation *def = v.getDefiningOp();
            if (!def || def->getBlock() != &block)
              continue;
            int d = nodeOf.lookup(def);
            if (d != (int)n && succ[d].insert(n))
              ++indegree[n];
          }
        });
      }
    }
    using Entry = std::pair<size_t, int>;
    std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> ready;
    for (size_t n = 0; n < nodes.size(); ++n)
      if (indegree[n] == 0)
        ready.push({key[n], (int)n});
    Operation *terminator = block.getTerminator();
    size_t emitted = 0;
    while (!ready.empty()) {
      int n = ready.top().second;
      ready.pop();
      ++emitted;
      if (n >= (int)groups.size())
        nodes[n].front()->moveBefore(terminator);
      else
        buildFusion(nodes[n], terminator);
      for (int s : succ[n])
        if (--indegree[s] == 0)
          ready.push({key[s], s});
    }
    if (emitted != nodes.size()) {
      fn.emitError("weft-fuse-elementwise built a cyclic group graph (")
          << emitted << " of " << nodes.size()
          << " nodes ordered); this is a compiler bug, rerun without fusion";
      signalPassFailure();
    }
  }
};

} // namespace
