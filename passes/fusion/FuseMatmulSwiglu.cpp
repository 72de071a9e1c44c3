//===- FuseMatmulSwiglu.cpp - the weft-fuse-matmul-swiglu pass ------------===//
//
// This file implements weft-fuse-matmul-swiglu, which folds SwiGLU's gating,
// silu(g) * u, into the epilogue of the matmul that makes u (see
// Passes.td): one weft.fused_matmul with a gate instead of the product, the
// sigmoid and two multiplies. Like weft-fuse-matmul-gelu it absorbs a value
// only when it has a single user, so nothing is recomputed.
//
//===----------------------------------------------------------------------===//

#include "passes/fusion/FusionUtils.h"
#include "passes/Passes.h"

#include "ir/WeftOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"

namespace weft {
#define GEN_PASS_DEF_FUSEMATMULSWIGLUPASS
#include "passes/Passes.h.inc"
} // namespace weft

using namespace mlir;
using namespace weft;

namespace {

/// A matmul whose product is multiplied by the SiLU of a gate.
struct SwigluMatch : fusion::ContractionMatch<MatmulOp> {
  using ContractionMatch::ContractionMatch;
  Value gate;
  /// A reshape between the product and the multiply (nn::Linear on 3-D
  /// inputs); the fused result is reshaped the same way.
  ReshapeOp reshape;
};

/// `s` = g * sigmoid(g) (either operand order), with the multiply and the
/// sigmoid used only there: g, else null.
Value matchSilu(Value s, SmallVectorImpl<Operation *> &ops) {
  auto mul = s.getDefiningOp<MulOp>();
  if (!mul || !fusion::singleUser(s))
    return {};
  for (unsigned i = 0; i < 2; ++i) {
    Value g = mul->getOperand(i);
    auto sigmoid = mul->getOperand(1 - i).getDefiningOp<SigmoidOp>();
    if (sigmoid && sigmoid.getOperand() == g && fusion::singleUser(sigmoid.getResult()) == mul) {
      ops.push_back(mul);
      ops.push_back(sigmoid);
      return g;
    }
  }
  return {};
}

/// Matches matmul [-> reshape] -> mul by silu(gate).
std::optional<SwigluMatch> matchSwiglu(MatmulOp mm) {
  SwigluMatch m(mm);
  Value cur = mm.getResult();
  if (auto reshape = dyn_cast_or_null<ReshapeOp>(fusion::singleUser(cur))) {
    m.reshape = reshape;
    cur = reshape.getResult();
  }
  auto root = dyn_cast_or_null<MulOp>(fusion::singleUser(cur));
  if (!root)
    return std::nullopt;
  Value silu = fusion::otherOperand(root, cur);
  SmallVector<Operation *> siluOps;
  Value gate = silu ? matchSilu(silu, siluOps) : Value();
  if (!gate || gate.getType() != cur.getType())
    return std::nullopt;
  m.gate = gate;
  if (m.reshape)
    m.ops.push_back(m.reshape);
  m.ops.append(siluOps.begin(), siluOps.end());
  m.ops.push_back(root);
  m.root = root;
  return m;
}

/// The weft.fused_matmul with the gate (read as the product's [M, N]: the
/// reshape's input when the gate is itself a reshape of such a value, else
/// through a new reshape), reshaped like the matched reshape, if any.
Value buildFused(SwigluMatch &m, IRRewriter &rewriter, Location loc) {
  auto product = cast<RankedTensorType>(m.matmul.getType());
  Value gate = m.gate;
  if (gate.getType() != product) {
    auto source = gate.getDefiningOp<ReshapeOp>();
    gate = source && source.getInput().getType() == product
               ? source.getInput()
               : rewriter.create<ReshapeOp>(loc, product, gate).getResult();
  }
  Value fused = rewriter.create<FusedMatmulOp>(loc, m.matmul.getLhs(), m.matmul.getRhs(), /*bias=*/Value(), gate,
                                               m.matmul.getTransposeLhs(), m.matmul.getTransposeRhs(),
                                               EpilogueActivation::None);
  if (!m.reshape)
    return fused;
  return rewriter.create<ReshapeOp>(m.reshape.getLoc(), m.reshape.getType(), fused);
}

struct FuseMatmulSwigluPass : weft::impl::FuseMatmulSwigluPassBase<FuseMatmulSwigluPass> {
  /// 1. Collect every weft.matmul.
  /// 2. From each, follow single-user edges: possibly a reshape, then a
  ///    weft.mul whose other operand is g * sigmoid(g) of the product's type.
  /// 3. Create weft.fused_matmul with the gate just before that multiply,
  ///    replace its result and erase the ops that became dead.
  void runOnOperation() override { fusion::fuseFromEachRoot<MatmulOp>(getOperation(), matchSwiglu, buildFused); }
};

} // namespace
