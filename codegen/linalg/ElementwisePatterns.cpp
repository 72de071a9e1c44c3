//===- ElementwisePatterns.cpp - weft elementwise ops → linalg.generic ----===//
//
// This file implements the lowering of weft's elementwise ops (unary and
// binary math, activations, compare, select, cast) to one linalg.generic
// each, with identity indexing maps. f16/bf16 values are widened to f32,
// computed, and rounded once when stored. The activations follow the op
// descriptions: gelu = 0.5 x (1 + erf(x / sqrt 2)), gelu_tanh = 0.5 x (1 +
// tanh(sqrt(2/pi) (x + 0.044715 x^3))), fast_gelu = x sigmoid(1.702 x),
// sigmoid = 1 / (1 + e^-x). Integer division by zero gives 0 (and INT_MIN / -1
// wraps) instead of trapping.
//
//===----------------------------------------------------------------------===//

#include "codegen/linalg/Patterns.h"
#include "ir/WeftOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>
#include <functional>

using namespace mlir;

namespace weft::codegen {
namespace {

/// Emits scalar arithmetic in one compute type (f32, i32, i64 or i1).
struct ScalarEmitter {
  OpBuilder &b;
  Location loc;
  Type type;

  bool isFloat() const { return isa<FloatType>(type); }
  Value c(double v) { return scalarConstant(b, loc, type, v); }
  arith::FastMathFlags fm() const { return arith::FastMathFlags::contract; }

  Value add(Value x, Value y) {
    return isFloat() ? b.create<arith::AddFOp>(loc, x, y, fm()).getResult()
                     : b.create<arith::AddIOp>(loc, x, y).getResult();
  }
  Value sub(Value x, Value y) {
    return isFloat() ? b.create<arith::SubFOp>(loc, x, y, fm()).getResult()
                     : b.create<arith::SubIOp>(loc, x, y).getResult();
  }
  Value mul(Value x, Value y) {
    return isFloat() ? b.create<arith::MulFOp>(loc, x, y, fm()).getResult()
                     : b.create<arith::MulIOp>(loc, x, y).getResult();
  }
  Value div(Value x, Value y) {
    if (isFloat())
      return b.create<arith::DivFOp>(loc, x, y);
    // Integer division that cannot trap: x / 0 = 0, x / -1 = -x (wrapping).
    Value zero = c(0), one = c(1), minusOne = c(-1);
    Value byZero = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, y, zero);
    Value byMinusOne = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, y, minusOne);
    Value unsafe = b.create<arith::OrIOp>(loc, byZero, byMinusOne);
    Value safe = b.create<arith::SelectOp>(loc, unsafe, one, y);
    Value q = b.create<arith::DivSIOp>(loc, x, safe);
    q = b.create<arith::SelectOp>(loc, byMinusOne, sub(zero, x), q);
    return b.create<arith::SelectOp>(loc, byZero, zero, q);
  }
  Value neg(Value x) {
    return isFloat() ? b.create<arith::NegFOp>(loc, x).getResult() : sub(c(0), x);
  }
  Value max(Value x, Value y) {
    return isFloat() ? b.create<arith::MaximumFOp>(loc, x, y).getResult()
                     : b.create<arith::MaxSIOp>(loc, x, y).getResult();
  }
  Value min(Value x, Value y) {
    return isFloat() ? b.create<arith::MinimumFOp>(loc, x, y).getResult()
                     : b.create<arith::MinSIOp>(loc, x, y).getResult();
  }
  Value abs(Value x) {
    return isFloat() ? b.create<math::AbsFOp>(loc, x).getResult()
                     : b.create<math::AbsIOp>(loc, x).getResult();
  }
  Value relu(Value x) {
    // x > 0 ? x : 0, which keeps NaN as NaN only for floats compared unordered.
    Value zero = c(0);
    Value positive =
        isFloat() ? b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UGT, x, zero).getResult()
                  : b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sgt, x, zero).getResult();
    return b.create<arith::SelectOp>(loc, positive, x, zero);
  }
  Value exp(Value x) { return b.create<math::ExpOp>(loc, x); }
  Value sigmoid(Value x) { return b.create<arith::DivFOp>(loc, c(1), add(c(1), exp(neg(x)))); }
};

using ScalarFn = std::function<Value(ScalarEmitter &, ValueRange)>;

/// Lowers one elementwise op whose operands and result share an element
/// type: operands are widened to the compute type, `fn` computes, and the
/// result is rounded back to the storage type.
template <typename OpTy>
struct ElementwiseLowering : OpRewritePattern<OpTy> {
  ElementwiseLowering(MLIRContext *ctx, ScalarFn fn)
      : OpRewritePattern<OpTy>(ctx), fn(std::move(fn)) {}

  LogicalResult matchAndRewrite(OpTy op, PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Type storage = type.getElementType();
    Type compute = computeElementType(storage);
    unsigned numInputs = op->getNumOperands();
    Value result = buildElementwise(
        rewriter, op.getLoc(), type, op->getOperands(),
        [&](OpBuilder &b, Location loc, ValueRange args) {
          ScalarEmitter e{b, loc, compute};
          SmallVector<Value> xs;
          for (Value a : args.take_front(numInputs))
            xs.push_back(convertScalar(b, loc, a, compute));
          return convertScalar(b, loc, fn(e, xs), storage);
        });
    rewriter.replaceOp(op, result);
    return success();
  }

  ScalarFn fn;
};

arith::CmpFPredicate floatPredicate(CompareDirection d) {
  switch (d) {
  case CompareDirection::EQ: return arith::CmpFPredicate::OEQ;
  case CompareDirection::NE: return arith::CmpFPredicate::UNE;
  case CompareDirection::LT: return arith::CmpFPredicate::OLT;
  case CompareDirection::LE: return arith::CmpFPredicate::OLE;
  case CompareDirection::GT: return arith::CmpFPredicate::OGT;
  case CompareDirection::GE: return arith::CmpFPredicate::OGE;
  }
  llvm_unreachable("unknown compare direction");
}

arith::CmpIPredicate intPredicate(CompareDirection d) {
  switch (d) {
  case CompareDirection::EQ: return arith::CmpIPredicate::eq;
  case CompareDirection::NE: return arith::CmpIPredicate::ne;
  case CompareDirection::LT: return arith::CmpIPredicate::slt;
  case CompareDirection::LE: return arith::CmpIPredicate::sle;
  case CompareDirection::GT: return arith::CmpIPredicate::sgt;
  case CompareDirection::GE: return arith::CmpIPredicate::sge;
  }
  llvm_unreachable("unknown compare direction");
}

/// weft.compare: ordered float predicates (ne is unordered, so NaN != x).
struct CompareLowering : OpRewritePattern<CompareOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CompareOp op, PatternRewriter &rewriter) const override {
    Type compute = computeElementType(
        cast<RankedTensorType>(op.getLhs().getType()).getElementType());
    CompareDirection dir = op.getDirection();
    Value result = buildElementwise(
        rewriter, op.getLoc(), cast<RankedTensorType>(op.getType()),
        {op.getLhs(), op.getRhs()}, [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          Value x = convertScalar(b, loc, args[0], compute);
          Value y = convertScalar(b, loc, args[1], compute);
          if (isa<FloatType>(compute))
            return b.create<arith::CmpFOp>(loc, floatPredicate(dir), x, y);
          return b.create<arith::CmpIOp>(loc, intPredicate(dir), x, y);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// weft.select: arith.select per element.
struct SelectLowering : OpRewritePattern<SelectOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SelectOp op, PatternRewriter &rewriter) const override {
    Value result = buildElementwise(
        rewriter, op.getLoc(), cast<RankedTensorType>(op.getType()), op->getOperands(),
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          return b.create<arith::SelectOp>(loc, args[0], args[1], args[2]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// weft.cast: convertScalar per element.
struct CastLowering : OpRewritePattern<CastOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CastOp op, PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Type to = type.getElementType();
    Value result = buildElementwise(
        rewriter, op.getLoc(), type, {op.getInput()},
        [&](OpBuilder &b, Location loc, ValueRange args) {
          return convertScalar(b, loc, args[0], to);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

template <typename OpTy>
void addLowering(RewritePatternSet &patterns, ScalarFn fn) {
  patterns.add<ElementwiseLowering<OpTy>>(patterns.getContext(), std::move(fn));
}

template <typename MathOp>
Value unaryMath(ScalarEmitter &e, ValueRange x) {
  return e.b.create<MathOp>(e.loc, x[0]);
}

} // namespace

Value buildGelu(OpBuilder &b, Location loc, Value x) {
  ScalarEmitter e{b, loc, x.getType()};
  Value erf = b.create<math::ErfOp>(loc, e.mul(x, e.c(M_SQRT1_2)));
  return e.mul(e.mul(e.c(0.5), x), e.add(e.c(1), erf));
}

Value buildGeluTanh(OpBuilder &b, Location loc, Value x) {
  ScalarEmitter e{b, loc, x.getType()};
  Value cube = e.mul(e.mul(x, x), x);
  Value inner = e.mul(e.c(std::sqrt(2.0 / M_PI)), e.add(x, e.mul(e.c(0.044715), cube)));
  Value t = b.create<math::TanhOp>(loc, inner);
  return e.mul(e.mul(e.c(0.5), x), e.add(e.c(1), t));
}

Value buildFastGelu(OpBuilder &b, Location loc, Value x) {
  ScalarEmitter e{b, loc, x.getType()};
  return e.mul(x, e.sigmoid(e.mul(e.c(1.702), x)));
}

Value buildEpilogueActivation(OpBuilder &b, Location loc, uint32_t activation, Value x) {
  switch (static_cast<EpilogueActivation>(activation)) {
  case EpilogueActivation::None: return x;
  case EpilogueActivation::Gelu: return buildGelu(b, loc, x);
  case EpilogueActivation::GeluTanh: return buildGeluTanh(b, loc, x);
  case EpilogueActivation::FastGelu: return buildFastGelu(b, loc, x);
  }
  llvm_unreachable("unknown epilogue activation");
}

Value buildSiluGate(OpBuilder &b, Location loc, Value v, Value gate) {
  ScalarEmitter e{b, loc, v.getType()};
  return e.mul(e.mul(gate, e.sigmoid(gate)), v);
}

void populateElementwisePatterns(RewritePatternSet &patterns) {
  using E = ScalarEmitter &;
  addLowering<NegOp>(patterns, [](E e, ValueRange x) { return e.neg(x[0]); });
  addLowering<AbsOp>(patterns, [](E e, ValueRange x) { return e.abs(x[0]); });
  addLowering<ExpOp>(patterns, unaryMath<math::ExpOp>);
  addLowering<LogOp>(patterns, unaryMath<math::LogOp>);
  addLowering<SqrtOp>(patterns, unaryMath<math::SqrtOp>);
  addLowering<RsqrtOp>(patterns, unaryMath<math::RsqrtOp>);
  addLowering<TanhOp>(patterns, unaryMath<math::TanhOp>);
  addLowering<ReluOp>(patterns, [](E e, ValueRange x) { return e.relu(x[0]); });
  addLowering<SigmoidOp>(patterns, [](E e, ValueRange x) { return e.sigmoid(x[0]); });
  addLowering<GeluOp>(patterns, [](E e, ValueRange x) { return buildGelu(e.b, e.loc, x[0]); });
  addLowering<GeluTanhOp>(patterns,
                          [](E e, ValueRange x) { return buildGeluTanh(e.b, e.loc, x[0]); });
  addLowering<FastGeluOp>(patterns,
                          [](E e, ValueRange x) { return buildFastGelu(e.b, e.loc, x[0]); });
  addLowering<AddOp>(patterns, [](E e, ValueRange x) { return e.add(x[0], x[1]); });
  addLowering<SubOp>(patterns, [](E e, ValueRange x) { return e.sub(x[0], x[1]); });
  addLowering<MulOp>(patterns, [](E e, ValueRange x) { return e.mul(x[0], x[1]); });
  addLowering<DivOp>(patterns, [](E e, ValueRange x) { return e.div(x[0], x[1]); });
  addLowering<MaxOp>(patterns, [](E e, ValueRange x) { return e.max(x[0], x[1]); });
  addLowering<MinOp>(patterns, [](E e, ValueRange x) { return e.min(x[0], x[1]); });
  addLowering<PowOp>(patterns, [](E e, ValueRange x) -> Value {
    return e.b.create<math::PowFOp>(e.loc, x[0], x[1]);
  });
  patterns.add<CompareLowering, SelectLowering, CastLowering>(patterns.getContext());
}

} // namespace weft::codegen
