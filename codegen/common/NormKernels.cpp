//===- NormKernels.cpp - layer_norm and rms_norm kernels as row loops -----===//
//
// This file implements the CPU kernels of weft.layer_norm and weft.rms_norm.
// The input is viewed as R rows of C elements. One scf.parallel loop runs
// over the rows (weft-cpu-limit-parallel-loops decides whether it forks);
// each row is read by up to three scf.for loops (sum, sum of squared
// deviations, normalize-and-store), so a row comes from memory once and is
// re-read from L1, and the statistics stay in registers. The reductions carry
// `reassoc` so LLVM vectorizes them. The variance is the two-pass sum of
// squared deviations (no E[x^2] - mean^2 cancellation), matching the op's
// definition. f16/bf16 rows are computed in f32 and rounded once on store.
//
//===----------------------------------------------------------------------===//

#include "codegen/common/KernelBuilder.h"
#include "codegen/common/LoopKernels.h"
#include "codegen/linalg/Patterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

namespace weft::codegen {
namespace {

/// The operands of one normalization kernel, as memref arguments.
struct NormArgs {
  Value x, gamma, beta, y, mean, rstd; // gamma, beta, mean may be null
};

/// What the kernel computes.
struct NormSpec {
  int64_t rows = 0, cols = 0;
  Type storage;
  double epsilon = 0;
  bool centered = true; // LayerNorm subtracts the mean; RMSNorm does not
};

/// memref<rows x cols x T>, or memref<0xT> when it holds no element.
MemRefType matrixType(int64_t rows, int64_t cols, Type t) {
  if (rows * cols == 0)
    return MemRefType::get({0}, t);
  return MemRefType::get({rows, cols}, t);
}

MemRefType vectorType(int64_t n, Type t) { return MemRefType::get({n}, t); }

/// Sum over j in [0, C) of term(x[r, j]) in f32, reassociable.
Value rowSum(OpBuilder &b, Location loc, const NormSpec &s, Value x, Value r,
             function_ref<Value(OpBuilder &, Location, Value)> term) {
  Type f32 = b.getF32Type();
  Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
  Value one = b.create<arith::ConstantIndexOp>(loc, 1);
  Value cols = b.create<arith::ConstantIndexOp>(loc, s.cols);
  Value init = scalarConstant(b, loc, f32, 0.0);
  auto loop = b.create<scf::ForOp>(
      loc, zero, cols, one, ValueRange{init},
      [&](OpBuilder &nb, Location l, Value j, ValueRange acc) {
        Value v = convertScalar(nb, l, nb.create<memref::LoadOp>(l, x, ValueRange{r, j}), f32);
        auto fm = arith::FastMathFlags::reassoc | arith::FastMathFlags::contract;
        Value next = nb.create<arith::AddFOp>(l, acc[0], term(nb, l, v), fm);
        nb.create<scf::YieldOp>(l, next);
      });
  return loop.getResult(0);
}

/// Fills the body of a normalization kernel.
void buildNormBody(OpBuilder &b, Location loc, const NormSpec &s, const NormArgs &a) {
  Type f32 = b.getF32Type();
  Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
  Value one = b.create<arith::ConstantIndexOp>(loc, 1);
  Value rows = b.create<arith::ConstantIndexOp>(loc, s.rows);
  if (s.rows == 0)
    return;
  if (s.cols == 0) {
    // Rows without elements: the statistics are 0, as in the reference.
    Value z = scalarConstant(b, loc, s.storage, 0.0);
    b.create<scf::ForOp>(loc, zero, rows, one, ValueRange{},
                         [&](OpBuilder &nb, Location l, Value r, ValueRange) {
                           if (a.mean)
                             nb.create<memref::StoreOp>(l, z, a.mean, r);
                           nb.create<memref::StoreOp>(l, z, a.rstd, r);
                           nb.create<scf::YieldOp>(l);
                         });
    return;
  }
  b.create<scf::ParallelOp>(
      loc, ValueRange{zero}, ValueRange{rows}, ValueRange{one},
      [&](OpBuilder &nb, Location l, ValueRange ivs) {
        Value r = ivs[0];
        auto fm = arith::FastMathFlags::contract;
        Value count = scalarConstant(nb, l, f32, static_cast<double>(s.cols));
        Value mu = scalarConstant(nb, l, f32, 0.0);
        if (s.centered) {
          Value sum = rowSum(nb, l, s, a.x, r, [](OpBuilder &, Location, Value v) { return v; });
          mu = nb.create<arith::DivFOp>(l, sum, count);
        }
        Value sq = rowSum(nb, l, s, a.x, r, [&](OpBuilder &bb, Location ll, Value v) -> Value {
          Value d = s.centered ? bb.create<arith::SubFOp>(ll, v, mu).getResult() : v;
          return bb.create<arith::MulFOp>(ll, d, d, fm);
        });
        Value var = nb.create<arith::DivFOp>(l, sq, count);
        Value eps = scalarConstant(nb, l, f32, s.epsilon);
        Value root = nb.create<math::SqrtOp>(l, nb.create<arith::AddFOp>(l, var, eps));
        Value rs = nb.create<arith::DivFOp>(l, scalarConstant(nb, l, f32, 1.0), root);
        Value c0 = nb.create<arith::ConstantIndexOp>(l, 0);
        Value c1 = nb.create<arith::ConstantIndexOp>(l, 1);
        Value cols = nb.create<arith::ConstantIndexOp>(l, s.cols);
        nb.create<scf::ForOp>(
            l, c0, cols, c1, ValueRange{},
            [&](OpBuilder &bb, Location ll, Value j, ValueRange) {
              Value v = convertScalar(bb, ll, bb.create<memref::LoadOp>(ll, a.x, ValueRange{r, j}),
                                      f32);
              Value d = s.centered ? bb.create<arith::SubFOp>(ll, v, mu).getResult() : v;
              Value o = bb.create<arith::MulFOp>(ll, d, rs, fm);
              if (a.gamma) {
                Value g = convertScalar(bb, ll, bb.create<memref::LoadOp>(ll, a.gamma, j), f32);
                o = bb.create<arith::MulFOp>(ll, o, g, fm);
              }
              if (a.beta) {
                Value be = convertScalar(bb, ll, bb.create<memref::LoadOp>(ll, a.beta, j), f32);
                o = bb.create<arith::AddFOp>(ll, o, be, fm);
              }
              bb.create<memref::StoreOp>(ll, convertScalar(bb, ll, o, s.storage), a.y,
                                         ValueRange{r, j});
              bb.create<scf::YieldOp>(ll);
            });
        if (a.mean)
          nb.create<memref::StoreOp>(l, convertScalar(nb, l, mu, s.storage), a.mean, r);
        nb.create<memref::StoreOp>(l, convertScalar(nb, l, rs, s.storage), a.rstd, r);
      });
}

NormSpec specOf(Value input, double epsilon, bool centered) {
  auto t = cast<RankedTensorType>(input.getType());
  NormSpec s;
  s.cols = t.getShape().back(); // the verifier guarantees rank >= 1
  s.rows = 1;
  for (int64_t d : t.getShape().drop_back())
    s.rows *= d;
  s.storage = t.getElementType();
  s.epsilon = epsilon;
  s.centered = centered;
  return s;
}

/// Creates @name(x, [gamma], [beta], y, [mean], rstd) normalizing the rows of
/// `input` (subtracting the mean, which it also stores, when `centered`) and
/// builds its body.
func::FuncOp buildNormKernel(ModuleOp kernels, Location loc, StringRef name,
                             Value input, bool hasGamma, bool hasBeta,
                             double epsilon, bool centered) {
  NormSpec s = specOf(input, epsilon, centered);
  Type rows = matrixType(s.rows, s.cols, s.storage);
  Type param = vectorType(s.cols, s.storage);
  Type stat = vectorType(s.rows, s.storage);
  SmallVector<Type> types = {rows};
  if (hasGamma)
    types.push_back(param);
  if (hasBeta)
    types.push_back(param);
  types.push_back(rows);
  if (centered)
    types.push_back(stat);
  types.push_back(stat);
  OpBuilder b(kernels.getContext());
  func::FuncOp fn = createMemrefKernel(kernels, loc, name, types, b);
  auto args = fn.getArguments();
  NormArgs a;
  unsigned i = 0;
  a.x = args[i++];
  a.gamma = hasGamma ? args[i++] : Value();
  a.beta = hasBeta ? args[i++] : Value();
  a.y = args[i++];
  a.mean = centered ? args[i++] : Value();
  a.rstd = args[i++];
  buildNormBody(b, loc, s, a);
  return fn;
}

} // namespace

func::FuncOp buildLayerNormKernel(ModuleOp kernels, LayerNormOp op, StringRef name) {
  return buildNormKernel(kernels, op.getLoc(), name, op.getInput(),
                         /*hasGamma=*/bool(op.getGamma()),
                         /*hasBeta=*/bool(op.getBeta()),
                         op.getEpsilon().convertToDouble(), /*centered=*/true);
}

func::FuncOp buildRmsNormKernel(ModuleOp kernels, RmsNormOp op, StringRef name) {
  return buildNormKernel(kernels, op.getLoc(), name, op.getInput(),
                         /*hasGamma=*/bool(op.getGamma()), /*hasBeta=*/false,
                         op.getEpsilon().convertToDouble(), /*centered=*/false);
}

} // namespace weft::codegen
