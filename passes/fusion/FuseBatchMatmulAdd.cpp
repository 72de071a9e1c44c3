//===- FuseBatchMatmulAdd.cpp - the weft-fuse-batch-matmul-add pass -------===//
//
// This file implements weft-fuse-batch-matmul-add, which folds a splat
// constant scale and a following add (or subtract) of a weft.batch_matmul
// into one weft.fused_batch_matmul computing alpha * (a x b) + beta * addend
// (see Passes.td). Only single-user values are absorbed, so the product is
// never recomputed.
//
//===----------------------------------------------------------------------===//

#include "passes/fusion/FusionUtils.h"
#include "passes/Passes.h"

#include "ir/WeftOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"

namespace weft {
#define GEN_PASS_DEF_FUSEBATCHMATMULADDPASS
#include "passes/Passes.h.inc"
} // namespace weft

using namespace mlir;
using namespace weft;

namespace {

/// A batch_matmul and the epilogue steps absorbed into it.
struct BatchMatmulMatch : fusion::ContractionMatch<BatchMatmulOp> {
  using ContractionMatch::ContractionMatch;
  double alpha = 1.0, beta = 0.0;
  Value addend;
};

/// An addend broadcast only along leading dimensions (input shape = a suffix
/// of the product's shape, rank >= 2) is used unbroadcast; any other value is
/// used as it is.
Value unbroadcastAddend(Value addend, RankedTensorType product,
                        SmallVectorImpl<Operation *> &ops) {
  auto b = addend.getDefiningOp<BroadcastOp>();
  if (!b)
    return addend;
  auto in = b.getInput().getType();
  int64_t rank = product.getRank(), inRank = in.getRank();
  if (inRank < 2 || in.getShape() != product.getShape().take_back(inRank))
    return addend;
  for (int64_t i = 0; i < inRank; ++i)
    if (b.getDims()[i] != rank - inRank + i)
      return addend;
  ops.push_back(b);
  return b.getInput();
}

/// Matches batch_matmul [-> * c or / c] [-> + addend or - addend].
std::optional<BatchMatmulMatch> matchBatchMatmul(BatchMatmulOp bmm) {
  BatchMatmulMatch m(bmm);
  Value cur = bmm.getResult();
  auto product = cast<RankedTensorType>(cur.getType());
  Operation *user = fusion::singleUser(cur);
  if (isa_and_nonnull<MulOp>(user)) {
    Value other = fusion::otherOperand(user, cur);
    if (std::optional<double> c = other ? fusion::getSplatFloat(other) : std::nullopt) {
      m.alpha = *c;
      m.root = user;
      m.ops.push_back(user);
      fusion::appendProducerChain(other, m.ops);
    }
  } else if (auto div = dyn_cast_or_null<DivOp>(user)) {
    std::optional<double> c = fusion::getSplatFloat(div.getRhs());
    if (div.getLhs() == cur && c && *c != 0.0) {
      m.alpha = 1.0 / *c;
      m.root = div;
      m.ops.push_back(div);
      fusion::appendProducerChain(div.getRhs(), m.ops);
    }
  }
  cur = m.root->getResult(0);
  user = fusion::singleUser(cur);
  if (isa_and_nonnull<AddOp>(user)) {
    if (Value other = fusion::otherOperand(user, cur)) {
      m.beta = 1.0;
      m.addend = unbroadcastAddend(other, product, m.ops);
    }
  } else if (auto sub = dyn_cast_or_null<SubOp>(user)) {
    if (sub.getLhs() == cur && sub.getRhs() != cur) {
      m.beta = -1.0;
      m.addend = unbroadcastAddend(sub.getRhs(), product, m.ops);
    }
  }
  if (m.addend) {
    m.root = user;
    m.ops.push_back(user);
  }
  if (!m.addend && m.alpha == 1.0)
    return std::nullopt;
  return m;
}

/// The weft.fused_batch_matmul that replaces the matched ops.
Value buildFused(BatchMatmulMatch &m, IRRewriter &rewriter, Location loc) {
  return rewriter.create<FusedBatchMatmulOp>(
      loc, m.matmul.getLhs(), m.matmul.getRhs(), m.addend,
      m.matmul.getTransposeLhs(), m.matmul.getTransposeRhs(),
      APFloat(m.alpha), APFloat(m.beta));
}

struct FuseBatchMatmulAddPass
    : weft::impl::FuseBatchMatmulAddPassBase<FuseBatchMatmulAddPass> {
  /// 1. Collect every weft.batch_matmul.
  /// 2. From each, follow single-user edges: a multiply by (or division by a
  ///    non-zero) splat constant gives alpha; then an add (beta = 1) or a
  ///    subtract of the other operand (beta = -1) gives the addend, taken
  ///    unbroadcast when it was broadcast only along leading dimensions.
  /// 3. If a scale or an addend was found, create weft.fused_batch_matmul
  ///    just before the last absorbed op, replace its result and erase the
  ///    ops that became dead.
  void runOnOperation() override {
    fusion::fuseFromEachRoot<BatchMatmulOp>(getOperation(), matchBatchMatmul,
                                            buildFused);
  }
};

} // namespace
