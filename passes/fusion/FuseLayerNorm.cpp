//===- FuseLayerNorm.cpp - the weft-fuse-layernorm pass -------------------===//
//
// This file implements weft-fuse-layernorm, which recognizes LayerNorm and
// RMSNorm over the last dimension written with weft primitives (see the
// pass description in Passes.td for the recognized forms) and replaces each
// with one weft.layer_norm / weft.rms_norm that also yields the statistics.
//
// Policy for intermediates with users outside the pattern: the row mean and
// the row rstd (before it is broadcast) are exactly the fused op's extra
// results, so their other users are rewired to them; any other intermediate
// (centered x, square, variance, variance + eps, std, a broadcast statistic)
// with an outside user makes the match fail and the graph stays as written
// (no recomputation). The one exception is a LayerNorm whose centered x is
// used elsewhere: the centered x stays, and the normalization of it is fused
// as an RMSNorm of the centered x, which is the same function.
//
//===----------------------------------------------------------------------===//

#include "passes/fusion/FusionUtils.h"
#include "passes/Passes.h"

#include "ir/WeftOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/SetVector.h"

#include <cmath>

namespace weft {
#define GEN_PASS_DEF_FUSELAYERNORMPASS
#include "passes/Passes.h.inc"
} // namespace weft

using namespace mlir;
using namespace weft;

namespace {

/// A recognized normalization: the fused op's operands, the ops it replaces
/// and the statistics values whose other users move to the fused results.
struct NormMatch {
  bool layerNorm = true;
  Value input, gamma, beta;
  double epsilon = 0.0;
  /// The op whose result the fused op's first result replaces.
  Operation *root = nullptr;
  /// Every op of the pattern (all die once the fused op is in place).
  llvm::SetVector<Operation *> ops;
  /// Row-level mean / rstd values computed by the pattern.
  SmallVector<Value> means, rstds;
  /// Producers of constants and parameter broadcasts that may become dead.
  SmallVector<Operation *> maybeDead;
};

/// Matches the primitive form of one normalization whose output has shape
/// `full` (rank r >= 1); the statistics have the "row" shape full[0..r-2].
class NormMatcher {
public:
  explicit NormMatcher(RankedTensorType type) : type(type) {
    ArrayRef<int64_t> full = type.getShape();
    rank = full.size();
    rowShape.assign(full.begin(), full.end() - 1);
    for (int64_t d = 0; d + 1 < rank; ++d)
      rowDims.push_back(d);
  }

  /// Tries `anchor` (x_centered * broadcast(rstd) or x_centered / broadcast
  /// (std)) with its operands in the given order, as a LayerNorm when
  /// `layerNorm` is set, else as an RMSNorm.
  std::optional<NormMatch> match(Operation *anchor, bool swap, bool layerNorm) {
    m = NormMatch();
    m.layerNorm = layerNorm;
    m.ops.insert(anchor);
    Value p, q;
    std::optional<Value> var;
    if (isa<MulOp>(anchor)) {
      p = anchor->getOperand(swap ? 1 : 0);
      q = anchor->getOperand(swap ? 0 : 1);
      var = matchRstd(q);
    } else if (isa<DivOp>(anchor) && !swap) {
      p = anchor->getOperand(0);
      q = anchor->getOperand(1);
      var = matchStd(q);
    }
    if (!var || p == q)
      return std::nullopt;
    if (!matchVariance(*var, p, layerNorm))
      return std::nullopt;
    m.root = anchor;
    extendAffine();
    return std::move(m);
  }

private:
  RankedTensorType type;
  int64_t rank = 0;
  SmallVector<int64_t> rowShape, rowDims;
  NormMatch m;

  bool hasShape(Value v, ArrayRef<int64_t> shape) const {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    return t && t.getShape() == shape &&
           t.getElementType() == type.getElementType();
  }

  /// A full-shaped broadcast of a row statistic gives the statistic (and
  /// joins the pattern); anything else is returned unchanged.
  Value peelRow(Value v) {
    auto b = v.getDefiningOp<BroadcastOp>();
    if (!b || !hasShape(v, type.getShape()) ||
        !hasShape(b.getInput(), rowShape) || b.getDims() != ArrayRef(rowDims))
      return v;
    m.ops.insert(b);
    return b.getInput();
  }

  /// Whether `v` is weft.reduce mean over exactly the last dimension of `x`.
  bool isRowMeanOf(Value v, Value x) const {
    auto r = v.getDefiningOp<ReduceOp>();
    return r && r.getKind() == ReduceKind::Mean && r.getInput() == x &&
           hasShape(x, type.getShape()) &&
           r.getDims() == ArrayRef<int64_t>{rank - 1};
  }

  /// The value squared by `v` (v = y * y or v = y ^ 2), or null.
  Value squareOf(Value v) {
    Operation *op = v.getDefiningOp();
    if (auto mul = dyn_cast_or_null<MulOp>(op)) {
      if (mul.getLhs() != mul.getRhs())
        return {};
      m.ops.insert(op);
      return mul.getLhs();
    }
    if (auto pow = dyn_cast_or_null<PowOp>(op)) {
      std::optional<double> e = fusion::getSplatFloat(pow.getRhs());
      if (!e || *e != 2.0)
        return {};
      m.ops.insert(op);
      noteDead(pow.getRhs());
      return pow.getLhs();
    }
    return {};
  }

  /// Records the producers of an operand outside the pattern (a constant or a
  /// broadcast chain) as candidates for erasure once the pattern is gone.
  void noteDead(Value v) { fusion::appendProducerChain(v, m.maybeDead); }

  /// Records a row-level value as the rstd statistic.
  void noteRstd(Value v) {
    if (hasShape(v, rowShape))
      m.rstds.push_back(v);
  }

  /// rsqrt(var + eps) or 1 / sqrt(var + eps), broadcast anywhere along the
  /// chain; returns the variance value.
  std::optional<Value> matchRstd(Value q) {
    Value r = peelRow(q);
    if (auto rs = r.getDefiningOp<RsqrtOp>()) {
      m.ops.insert(rs);
      noteRstd(r);
      return matchVarPlusEps(rs.getInput());
    }
    if (auto div = r.getDefiningOp<DivOp>()) {
      std::optional<double> one = fusion::getSplatFloat(div.getLhs());
      if (!one || *one != 1.0)
        return std::nullopt;
      m.ops.insert(div);
      noteDead(div.getLhs());
      noteRstd(r);
      return matchStd(div.getRhs());
    }
    return std::nullopt;
  }

  /// sqrt(var + eps), broadcast anywhere along the chain; returns the
  /// variance value.
  std::optional<Value> matchStd(Value q) {
    Value s = peelRow(q);
    auto sq = s.getDefiningOp<SqrtOp>();
    if (!sq)
      return std::nullopt;
    m.ops.insert(sq);
    return matchVarPlusEps(sq.getInput());
  }

  /// var + eps with a splat constant eps (either operand order), or var alone
  /// (epsilon 0, e.g. after `+ 0` folded away); returns the row variance.
  std::optional<Value> matchVarPlusEps(Value u) {
    Value v = peelRow(u);
    if (auto add = v.getDefiningOp<AddOp>()) {
      for (int i = 0; i < 2; ++i) {
        std::optional<double> eps = fusion::getSplatFloat(add->getOperand(1 - i));
        if (!eps)
          continue;
        m.epsilon = *eps;
        m.ops.insert(add);
        noteDead(add->getOperand(1 - i));
        return peelRow(add->getOperand(i));
      }
      return std::nullopt;
    }
    return v;
  }

  /// Matches the variance `var` of the normalized value `p`:
  ///  - mean(p * p) (p = x - mean(x) for a LayerNorm; p = x for an RMSNorm);
  ///  - mean(x * x) - mean(x)^2 with p = x - mean(x) (LayerNorm only).
  bool matchVariance(Value var, Value p, bool layerNorm) {
    if (!hasShape(var, rowShape))
      return false;
    if (auto red = var.getDefiningOp<ReduceOp>()) {
      Value sq = red.getInput();
      if (squareOf(sq) != p || !isRowMeanOf(var, sq))
        return false;
      m.ops.insert(red);
      if (!layerNorm) {
        m.input = p;
        return true;
      }
      return matchCentered(p);
    }
    auto sub = var.getDefiningOp<SubOp>();
    if (!sub || !layerNorm)
      return false;
    // E[x^2] - E[x]^2.
    auto ex2 = sub.getLhs().getDefiningOp<ReduceOp>();
    if (!ex2)
      return false;
    Value x = squareOf(ex2.getInput());
    Value mean = x ? squareOf(sub.getRhs()) : Value();
    if (!x || !mean || !isRowMeanOf(sub.getLhs(), ex2.getInput()) ||
        !isRowMeanOf(mean, x))
      return false;
    m.ops.insert(sub);
    m.ops.insert(ex2);
    m.ops.insert(mean.getDefiningOp());
    m.means.push_back(mean);
    return matchCentered(p) && m.input == x;
  }

  /// p = x - broadcast(mean(x)); sets the input x.
  bool matchCentered(Value p) {
    auto sub = p.getDefiningOp<SubOp>();
    if (!sub)
      return false;
    Value x = sub.getLhs();
    Value mean = peelRow(sub.getRhs());
    if (!isRowMeanOf(mean, x))
      return false;
    m.ops.insert(sub);
    m.ops.insert(mean.getDefiningOp());
    m.means.push_back(mean);
    m.input = x;
    return true;
  }

  /// A [C] parameter broadcast along the last dimension to the full shape
  /// (or the full-shaped value itself for rank-1 inputs), else null.
  Value matchParam(Value g) {
    if (!g || !hasShape(g, type.getShape()))
      return {};
    if (rank == 1)
      return g;
    auto b = g.getDefiningOp<BroadcastOp>();
    if (!b || b.getDims() != ArrayRef<int64_t>{rank - 1} ||
        !hasShape(b.getInput(), type.getShape().take_back()))
      return {};
    noteDead(g);
    return b.getInput();
  }

  /// Absorbs `* gamma` and then `+ beta` (LayerNorm only) when the value
  /// before each is used only by it.
  void extendAffine() {
    Value cur = m.root->getResult(0);
    Operation *user = fusion::singleUser(cur);
    if (isa_and_nonnull<MulOp>(user)) {
      if (Value g = matchParam(fusion::otherOperand(user, cur))) {
        m.gamma = g;
        m.ops.insert(user);
        m.root = user;
        cur = user->getResult(0);
      }
    }
    user = fusion::singleUser(cur);
    if (m.layerNorm && m.gamma && isa_and_nonnull<AddOp>(user)) {
      if (Value b = matchParam(fusion::otherOperand(user, cur))) {
        m.beta = b;
        m.ops.insert(user);
        m.root = user;
      }
    }
  }
};

/// Checks that the match can be rewritten: one block, epsilon usable, no
/// intermediate escaping the pattern except the statistics, and operands
/// available at the insertion point. Returns the insertion point.
Operation *checkRewritable(NormMatch &m, DominanceInfo &dom) {
  if (!std::isfinite(m.epsilon) || m.epsilon < 0.0)
    return nullptr;
  Block *block = m.root->getBlock();
  Operation *insertAt = m.root;
  llvm::SmallPtrSet<Value, 4> stats;
  stats.insert(m.means.begin(), m.means.end());
  stats.insert(m.rstds.begin(), m.rstds.end());
  for (Operation *op : m.ops) {
    if (op->getBlock() != block)
      return nullptr;
    if (op == m.root)
      continue;
    for (Value result : op->getResults())
      for (Operation *user : result.getUsers()) {
        if (m.ops.contains(user))
          continue;
        if (!stats.contains(result))
          return nullptr;
        Operation *inBlock = block->findAncestorOpInBlock(*user);
        if (!inBlock)
          return nullptr;
        if (inBlock->isBeforeInBlock(insertAt))
          insertAt = inBlock;
      }
  }
  for (Value v : {m.input, m.gamma, m.beta}) {
    if (!v)
      continue;
    Operation *def = v.getDefiningOp();
    if ((def && m.ops.contains(def)) || !dom.properlyDominates(v, insertAt))
      return nullptr;
  }
  return insertAt;
}

/// Replaces the matched ops with one weft.layer_norm / weft.rms_norm.
void rewrite(NormMatch &m, Operation *insertAt, IRRewriter &rewriter,
             llvm::DenseSet<Operation *> &pending) {
  Location loc = fusion::fusedLoc(m.ops.getArrayRef(), rewriter);
  rewriter.setInsertionPoint(insertAt);
  FloatAttr eps = rewriter.getF64FloatAttr(m.epsilon);
  Value result, mean, rstd;
  if (m.layerNorm) {
    auto op = rewriter.create<LayerNormOp>(loc, m.input, m.gamma, m.beta, eps);
    fusion::inheritRecomputeGroup(op, m.ops.getArrayRef());
    result = op.getResult();
    mean = op.getMean();
    rstd = op.getRstd();
  } else {
    auto op = rewriter.create<RmsNormOp>(loc, m.input, m.gamma, eps);
    fusion::inheritRecomputeGroup(op, m.ops.getArrayRef());
    result = op.getResult();
    rstd = op.getRstd();
  }
  auto outside = [&](OpOperand &use) { return !m.ops.contains(use.getOwner()); };
  for (Value v : m.means)
    rewriter.replaceUsesWithIf(v, mean, outside);
  for (Value v : m.rstds)
    rewriter.replaceUsesWithIf(v, rstd, outside);
  rewriter.replaceAllUsesWith(m.root->getResult(0), result);
  SmallVector<Operation *> dead(m.ops.begin(), m.ops.end());
  dead.append(m.maybeDead.begin(), m.maybeDead.end());
  fusion::eraseDeadOps(dead, rewriter, pending);
}

struct FuseLayerNormPass
    : weft::impl::FuseLayerNormPassBase<FuseLayerNormPass> {
  /// 1. Collect every weft.mul and weft.div: each may be the step that
  ///    divides a (centered) input by its row standard deviation.
  /// 2. For each one still present, try to match it (both operand orders)
  ///    as a LayerNorm, then as an RMSNorm of its dividend; extend the match
  ///    forward over `* gamma` and `+ beta`.
  /// 3. Check the match (statistics may escape, other intermediates not;
  ///    operands dominate the insertion point), create the fused op before
  ///    the first user of its results, rewire those users and erase the ops
  ///    that became dead.
  void runOnOperation() override {
    SmallVector<Operation *> candidates;
    getOperation().walk([&](Operation *op) {
      if (isa<MulOp, DivOp>(op))
        candidates.push_back(op);
    });
    llvm::DenseSet<Operation *> pending(candidates.begin(), candidates.end());
    DominanceInfo dom(getOperation());
    IRRewriter rewriter(&getContext());
    for (Operation *anchor : candidates) {
      if (!pending.contains(anchor))
        continue;
      auto type = cast<RankedTensorType>(anchor->getResult(0).getType());
      if (type.getRank() < 1 || !isa<FloatType>(type.getElementType()))
        continue;
      NormMatcher matcher(type);
      for (bool layerNorm : {true, false}) {
        bool done = false;
        for (bool swap : {false, true}) {
          std::optional<NormMatch> m = matcher.match(anchor, swap, layerNorm);
          if (!m)
            continue;
          Operation *insertAt = checkRewritable(*m, dom);
          if (!insertAt)
            continue;
          pending.erase(anchor);
          rewrite(*m, insertAt, rewriter, pending);
          done = true;
          break;
        }
        if (done)
          break;
      }
    }
  }
};

} // namespace
