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
  Expander(OpBuilder &b, MatmulQ8Op op, int64_t maxCopyBytes)
      : b(b), e(b, op.getLoc()), op(op), maxCopyBytes(maxCopyBytes) {}

  /// The value that replaces the op's result. Each op is built in its own
  /// statement, so that the order of the ops is the order written here.
  Value expand() {
    auto yType = cast<RankedTensorType>(op.getType());
    Value y;
    if (!op.getQuantizeLhs()) {
      y = products({op.getLhs()})[0];
    } else {
      Value xIn = op.getLhs(), xOut;
      if (std::optional<APFloat> t = op.getOutlierThreshold())
        std::tie(xIn, xOut) = splitOutlierColumns(xIn, t->convertToDouble());
      auto [q, rowScale] = quantizeRows(xIn);
      SmallVector<Value> lhs = {q};
      if (xOut)
        lhs.push_back(xOut);
      SmallVector<Value> p = products(lhs);
      Value rowScales = e.broadcast(rowScale, yType, {0});
      y = e.mul(p[0], rowScales);
      if (xOut)
        y = e.add(y, p[1]);
    }
    Value channelScales = e.broadcast(op.getScales(), yType, {1});
    return e.mul(y, channelScales);
  }

private:
  /// lhs x float(weight) for each lhs ([M, N] each). One f32 copy of the
  /// weight serves them all; when that copy would exceed maxCopyBytes (> 0)
  /// and the weight is [N, K] (an LM head: its channels are rows), the copy
  /// is made block of rows by block of rows (weft.gather of the int8 rows,
  /// cast), each block's products concatenated along N, so that at most one
  /// block's copy is live. A [K, N] weight is copied whole (int8 columns
  /// cannot be gathered).
  SmallVector<Value> products(ArrayRef<Value> lhs) {
    auto wType = typeOf(op.getWeight());
    const bool tb = op.getTransposeRhs();
    const int64_t n = wType.getDimSize(tb ? 0 : 1), k = wType.getDimSize(tb ? 1 : 0);
    int64_t blocks = 1;
    if (tb && maxCopyBytes > 0 && 4 * n * k > maxCopyBytes)
      blocks = std::min(n, (4 * n * k + maxCopyBytes - 1) / maxCopyBytes);
    SmallVector<Value> out;
    if (blocks == 1) {
      Value w = e.cast(op.getWeight(), b.getF32Type());
      for (Value x : lhs)
        out.push_back(e.matmul(x, w, /*transX=*/false, tb, /*batched=*/false));
      return out;
    }
    const int64_t rows = (n + blocks - 1) / blocks;
    SmallVector<SmallVector<Value>> parts(lhs.size());
    for (int64_t n0 = 0; n0 < n; n0 += rows) {
      const int64_t nb = std::min(rows, n - n0);
      auto indexType = RankedTensorType::get({nb}, b.getI64Type());
      Value indices = b.create<IotaOp>(op.getLoc(), indexType, b.getI64IntegerAttr(0));
      if (n0 > 0) {
        Value offset = e.splat(indexType, double(n0));
        indices = e.add(indices, offset);
      }
      Value rowsI8 = b.create<GatherOp>(op.getLoc(), op.getWeight(), indices);
      Value w = e.cast(rowsI8, b.getF32Type());
      for (auto [i, x] : llvm::enumerate(lhs))
        parts[i].push_back(e.matmul(x, w, false, /*transY=*/true, false));
    }
    for (SmallVector<Value> &p : parts)
      out.push_back(e.concat(p, 1));
    return out;
  }

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
  int64_t maxCopyBytes;
};

struct ExpandMatmulQ8Pass : weft::impl::ExpandMatmulQ8PassBase<ExpandMatmulQ8Pass> {
  using ExpandMatmulQ8PassBase::ExpandMatmulQ8PassBase;

  /// 1. Collect the weft.matmul_q8 ops.
  /// 2. For each, build its expansion before it (Expander::expand): the
  ///    weight cast to f32 (whole, or an [N, K] one over max-copy-bytes in
  ///    blocks of rows, Expander::products); without quantize_lhs one
  ///    weft.matmul; with it,
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
      Value y = Expander(b, op, maxCopyBytes).expand();
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
