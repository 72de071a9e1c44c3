//===- ExpandMatmulQ8.cpp - weft.matmul_q8 as plain weft ops --------------===//
//
// This file implements weft-expand-matmul-q8: it rewrites each
// weft.matmul_q8 into the ops a target without int8 GEMM kernels compiles
// (the CUDA back end: a cuBLASLt f32 GEMM of the int8 weight cast to f32,
// elementwise kernels for the row quantization and the scales), computing
// what the op's description in ir/WeftQuantOps.td specifies; see the pass
// description in passes/Passes.td for the arithmetic and its exactness.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "ir/WeftOps.h"
#include "ir/WeftQuantOps.h"
#include "ir/gradients/GradientUtils.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

namespace weft {
#define GEN_PASS_DEF_EXPANDMATMULQ8PASS
#include "passes/Passes.h.inc"
} // namespace weft

using namespace mlir;
using namespace weft;
using weft::grad::Emitter;
using weft::grad::typeOf;

namespace {

/// 1.5 * 2^23: (v + kRoundMagic) - kRoundMagic is v rounded to the nearest
/// integer, ties to even, in f32 arithmetic for |v| < 2^22.
constexpr double kRoundMagic = 12582912.0;

/// Builds the expansion of one weft.matmul_q8 at the op.
class Expander {
public:
  Expander(OpBuilder &b, MatmulQ8Op op) : b(b), e(b, op.getLoc()), op(op) {}

  /// The value that replaces the op's result. Each op is built in its own
  /// statement, so that the order of the ops is the order written here.
  Value expand() {
    auto yType = cast<RankedTensorType>(op.getType());
    const bool tb = op.getTransposeRhs();
    Value w = e.cast(op.getWeight(), b.getF32Type());
    Value y;
    if (!op.getQuantizeLhs()) {
      y = e.matmul(op.getLhs(), w, /*transX=*/false, tb, /*batched=*/false);
    } else {
      Value xIn = op.getLhs(), xOut;
      if (std::optional<APFloat> t = op.getOutlierThreshold())
        std::tie(xIn, xOut) = splitOutlierColumns(xIn, t->convertToDouble());
      auto [q, rowScale] = quantizeRows(xIn);
      Value product = e.matmul(q, w, false, tb, false);
      Value rowScales = e.broadcast(rowScale, yType, {0});
      y = e.mul(product, rowScales);
      if (xOut) {
        Value outliers = e.matmul(xOut, w, false, tb, false);
        y = e.add(y, outliers);
      }
    }
    Value channelScales = e.broadcast(op.getScales(), yType, {1});
    return e.mul(y, channelScales);
  }

private:
  /// max |v| over dimension `dim` of the 2-D `v`.
  Value maxAbsOver(Value v, int64_t dim) {
    Value absV = b.create<AbsOp>(op.getLoc(), v);
    return b.create<ReduceOp>(op.getLoc(), ReduceKind::Max, absV, b.getDenseI64ArrayAttr({dim}));
  }

  /// (x without its outlier columns, the outlier columns alone), both [M, K]
  /// with zeros elsewhere: a column is an outlier when some |x[i, k]| >= t.
  std::pair<Value, Value> splitOutlierColumns(Value x, double t) {
    auto xType = typeOf(x);
    Value columnMax = maxAbsOver(x, 0); // [K]
    Value outlier = e.compareScalar(CompareDirection::GE, columnMax, t);
    Value mask = e.broadcast(outlier, RankedTensorType::get(xType.getShape(), b.getI1Type()), {1});
    Value zeros = e.splatLike(x, 0.0);
    Value inliers = e.select(mask, zeros, x);
    Value outliers = e.select(mask, x, zeros);
    return {inliers, outliers};
  }

  /// (q, s): q [M, K] the integers of x's rows quantized as the op
  /// specifies (held in f32), s [M] their scales amax / 127.
  std::pair<Value, Value> quantizeRows(Value x) {
    auto xType = typeOf(x);
    Location loc = op.getLoc();
    Value amax = maxAbsOver(x, 1); // [M]
    Value c127 = e.splatLike(amax, 127.0);
    Value zeroRow = e.compareScalar(CompareDirection::EQ, amax, 0.0);
    Value reciprocal = e.div(c127, amax);
    Value zero = e.splatLike(amax, 0.0);
    Value inverse = e.select(zeroRow, zero, reciprocal); // an all-zero row: q = 0
    Value inverseRows = e.broadcast(inverse, xType, {0});
    Value v = e.mul(x, inverseRows);
    // Clamped before rounding: the same integers (|v| <= 127 up to one
    // rounding), and the multiply cannot contract into the rounding add.
    Value low = e.splatLike(x, -127.0);
    v = b.create<MaxOp>(loc, v, low);
    Value high = e.splatLike(x, 127.0);
    v = b.create<MinOp>(loc, v, high);
    Value magic = e.splatLike(x, kRoundMagic);
    Value shifted = e.add(v, magic);
    Value q = e.sub(shifted, magic);
    Value scale = e.div(amax, c127);
    return {q, scale};
  }

  OpBuilder &b;
  Emitter e;
  MatmulQ8Op op;
};

struct ExpandMatmulQ8Pass : weft::impl::ExpandMatmulQ8PassBase<ExpandMatmulQ8Pass> {
  /// 1. Collect the weft.matmul_q8 ops.
  /// 2. For each, build its expansion before it (Expander::expand): the
  ///    weight cast to f32; without quantize_lhs one weft.matmul; with it,
  ///    the outlier columns split off (outlier_threshold), the rows
  ///    quantized to integers in f32, their product rescaled per row, plus
  ///    the outliers' f32 product; then the per-channel scales.
  /// 3. Copy the op's dialect attributes (names with a '.') onto every new
  ///    op, replace its result and erase it.
  void runOnOperation() override {
    SmallVector<MatmulQ8Op> ops;
    getOperation().walk([&](MatmulQ8Op op) { ops.push_back(op); });
    for (MatmulQ8Op op : ops) {
      OpBuilder b(op);
      Block *block = op->getBlock();
      Operation *before = op->getPrevNode();
      Value y = Expander(b, op).expand();
      Operation *first = before ? before->getNextNode() : &block->front();
      for (Operation *o = first; o != op; o = o->getNextNode())
        for (NamedAttribute attr : op->getAttrs())
          if (attr.getName().getValue().contains('.'))
            o->setAttr(attr.getName(), attr.getValue());
      op.getResult().replaceAllUsesWith(y);
      op.erase();
    }
  }
};

} // namespace
