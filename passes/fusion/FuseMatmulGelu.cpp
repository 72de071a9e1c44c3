//===- FuseMatmulGelu.cpp - the weft-fuse-matmul-gelu pass ----------------===//
//
// This file implements weft-fuse-matmul-gelu, which folds the bias add and
// the GELU activation that follow a weft.matmul into one weft.fused_matmul
// with an epilogue (see Passes.td). A value is absorbed only when it has a
// single user, so nothing is ever recomputed: a pre-activation value that is
// used elsewhere (e.g. kept for the GELU backward) stops the fusion before
// the activation, and we do not return it as a second result.
//
//===----------------------------------------------------------------------===//

#include "passes/fusion/FusionUtils.h"
#include "passes/Passes.h"

#include "ir/WeftOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"

namespace weft {
#define GEN_PASS_DEF_FUSEMATMULGELUPASS
#include "passes/Passes.h.inc"
} // namespace weft

using namespace mlir;
using namespace weft;

namespace {

/// A matmul and the epilogue steps absorbed into it.
struct MatmulMatch : fusion::ContractionMatch<MatmulOp> {
  using ContractionMatch::ContractionMatch;
  Value bias;
  EpilogueActivation activation = EpilogueActivation::None;
  /// A reshape between the bias add and the activation (nn::Linear on 3-D
  /// inputs); the fused result is reshaped the same way.
  ReshapeOp reshape;
};

/// The epilogue activation computed by `op`, if it is one.
std::optional<EpilogueActivation> activationOf(Operation *op) {
  if (isa_and_nonnull<GeluOp>(op))
    return EpilogueActivation::Gelu;
  if (isa_and_nonnull<GeluTanhOp>(op))
    return EpilogueActivation::GeluTanh;
  if (isa_and_nonnull<FastGeluOp>(op))
    return EpilogueActivation::FastGelu;
  return std::nullopt;
}

/// `v` = broadcast of a [N] bias along the rows of an [M, N] product: the
/// bias, else null.
Value matchBias(Value v, RankedTensorType product,
                SmallVectorImpl<Operation *> &ops) {
  auto b = v ? v.getDefiningOp<BroadcastOp>() : BroadcastOp();
  if (!b || b.getType() != product || b.getDims() != ArrayRef<int64_t>{1})
    return {};
  auto bt = b.getInput().getType();
  if (bt.getShape() != product.getShape().take_back() ||
      bt.getElementType() != product.getElementType())
    return {};
  ops.push_back(b);
  return b.getInput();
}

/// Matches matmul [-> add bias] [-> (reshape ->) activation].
std::optional<MatmulMatch> matchMatmul(MatmulOp mm) {
  MatmulMatch m(mm);
  Value cur = mm.getResult();
  auto product = cast<RankedTensorType>(cur.getType());
  if (auto add = dyn_cast_or_null<AddOp>(fusion::singleUser(cur))) {
    if (Value bias = matchBias(fusion::otherOperand(add, cur), product, m.ops)) {
      m.bias = bias;
      m.root = add;
      m.ops.push_back(add);
      cur = add.getResult();
    }
  }
  Operation *user = fusion::singleUser(cur);
  if (auto act = activationOf(user)) {
    m.activation = *act;
    m.root = user;
    m.ops.push_back(user);
  } else if (auto reshape = dyn_cast_or_null<ReshapeOp>(user)) {
    Operation *next = fusion::singleUser(reshape.getResult());
    if (auto act = activationOf(next)) {
      m.activation = *act;
      m.reshape = reshape;
      m.root = next;
      m.ops.push_back(reshape);
      m.ops.push_back(next);
    }
  }
  if (!m.bias && m.activation == EpilogueActivation::None)
    return std::nullopt;
  return m;
}

/// The weft.fused_matmul (reshaped like the matched reshape, if any) that
/// replaces the matched ops.
Value buildFused(MatmulMatch &m, IRRewriter &rewriter, Location loc) {
  Value fused = rewriter.create<FusedMatmulOp>(
      loc, m.matmul.getLhs(), m.matmul.getRhs(), m.bias, /*gate=*/Value(),
      m.matmul.getTransposeLhs(), m.matmul.getTransposeRhs(), m.activation);
  if (!m.reshape)
    return fused;
  return rewriter.create<ReshapeOp>(m.reshape.getLoc(), m.reshape.getType(),
                                    fused);
}

struct FuseMatmulGeluPass
    : weft::impl::FuseMatmulGeluPassBase<FuseMatmulGeluPass> {
  /// 1. Collect every weft.matmul (weft.batch_matmul is not matched).
  /// 2. From each, follow single-user edges: an add of a [N] bias broadcast
  ///    along the rows, then gelu / gelu_tanh / fast_gelu, possibly behind a
  ///    reshape.
  /// 3. If a bias or an activation was found, create weft.fused_matmul just
  ///    before the last absorbed op (reshaping its result if the activation
  ///    came after a reshape), replace that op's result and erase the ops
  ///    that became dead.
  void runOnOperation() override {
    fusion::fuseFromEachRoot<MatmulOp>(getOperation(), matchMatmul, buildFused);
  }
};

} // namespace
