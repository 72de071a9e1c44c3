//===- ReferenceEvaluatorOps.cpp - one evaluator per weft op --------------===//
//
// This file implements the reference evaluator's op table: one function per
// weft op, computing in double exactly what the op's description in
// ir/WeftOps.td or ir/WeftFusedOps.td says, plus the element conversion that weft.cast uses. Adding
// an op is one function and one line in OpTable::build(); an op missing from the
// table is reported, never silently skipped. Naive loops on purpose: this is
// an oracle, clarity over speed (matmul is tiled only to stay usable at GPT-2
// sizes).
//
//===----------------------------------------------------------------------===//

#include "ir/evaluator/ReferenceEvaluator.h"
#include "ir/evaluator/ReferenceEvaluatorFusion.h"
#include "ir/evaluator/ReferenceEvaluatorState.h"
#include "ir/evaluator/ReferenceEvaluatorTraining.h"
#include "ir/WeftCollectiveOps.h"
#include "ir/WeftTrainingOps.h"
#include "ir/WeftQuantOps.h"
#include "ir/WeftStateOps.h"
#include "ir/WeftOps.h"
#include "ir/RandomBits.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/Twine.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numbers>

using namespace mlir;

namespace weft {
namespace {

using Operands = ArrayRef<const RefTensor *>;
/// Evaluates one op: operand tensors in, result tensors out.
using OpFn = std::function<std::vector<RefTensor>(Operation *, Operands)>;

[[noreturn]] void fail(Operation *op, const Twine &message) {
  throw EvaluationError(detail::opErrorMessage(op, message));
}

RankedTensorType resultType(Operation *op, unsigned i = 0) {
  return cast<RankedTensorType>(op->getResult(i).getType());
}

Type elementTypeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getElementType();
}

/// A zero-filled tensor of the shape of the op's result #i.
RefTensor makeResult(Operation *op, unsigned i = 0) {
  RankedTensorType t = resultType(op, i);
  RefTensor r;
  r.shape.assign(t.getShape().begin(), t.getShape().end());
  r.data.assign(t.getNumElements(), 0.0);
  return r;
}

/// Row-major strides of a shape.
std::vector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (int64_t i = (int64_t)shape.size() - 2; i >= 0; --i)
    s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/// Calls fn(index, linear) for every multi-index of `shape` in row-major order.
template <typename F>
void forEachIndex(ArrayRef<int64_t> shape, F fn) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  std::vector<int64_t> idx(shape.size(), 0);
  for (int64_t lin = 0; lin < n; ++lin) {
    fn(ArrayRef<int64_t>(idx), lin);
    for (int64_t d = (int64_t)shape.size() - 1; d >= 0; --d) {
      if (++idx[d] < shape[d])
        break;
      idx[d] = 0;
    }
  }
}

/// Prints an index value: as an integer when it is one, else as a double.
std::string indexString(double v) {
  if (v == std::trunc(v) && std::fabs(v) < 0x1.0p62)
    return std::to_string((int64_t)v);
  return std::to_string(v);
}

bool isIntegerElement(Type t) { return isa<IntegerType>(t); }

double nanOr(double a, double b, double r) {
  return std::isnan(a) || std::isnan(b) ? std::numeric_limits<double>::quiet_NaN()
                                        : r;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

RefTensor unary(Operation *op, Operands in, double (*f)(double)) {
  RefTensor r = makeResult(op);
  for (size_t i = 0; i < r.data.size(); ++i)
    r.data[i] = f(in[0]->data[i]);
  return r;
}

RefTensor binary(Operation *op, Operands in, double (*f)(double, double)) {
  RefTensor r = makeResult(op);
  for (size_t i = 0; i < r.data.size(); ++i)
    r.data[i] = f(in[0]->data[i], in[1]->data[i]);
  return r;
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

/// Exact GELU: x * 0.5 * (1 + erf(x / sqrt(2))).
double geluErf(double x) { return x * 0.5 * (1.0 + std::erf(x / std::sqrt(2.0))); }

/// GELU with the tanh approximation (GPT-2's gelu_new).
double geluTanh(double x) {
  const double c = std::sqrt(2.0 / std::numbers::pi);
  return 0.5 * x * (1.0 + std::tanh(c * (x + 0.044715 * x * x * x)));
}

/// The sigmoid approximation of GELU: x * sigmoid(1.702 x).
double fastGelu(double x) { return x * sigmoid(1.702 * x); }

RefTensor evalDiv(DivOp op, Operands in) {
  RefTensor r = makeResult(op);
  bool integer = isIntegerElement(elementTypeOf(op.getResult()));
  for (size_t i = 0; i < r.data.size(); ++i) {
    double x = in[0]->data[i], y = in[1]->data[i];
    if (!integer) {
      r.data[i] = x / y;
      continue;
    }
    if (y == 0.0)
      fail(op, "integer division by zero at element " + Twine(i) +
                   "; guard the divisor (e.g. with weft.select)");
    // Integers held exactly in doubles; C++ division truncates toward zero
    // (y == -1 is negation, which avoids INT64_MIN / -1).
    r.data[i] = y == -1.0 ? -x : (double)((int64_t)x / (int64_t)y);
  }
  return r;
}

RefTensor evalCompare(CompareOp op, Operands in) {
  RefTensor r = makeResult(op);
  CompareDirection dir = op.getDirection();
  for (size_t i = 0; i < r.data.size(); ++i) {
    double x = in[0]->data[i], y = in[1]->data[i];
    bool v = false;
    switch (dir) {
    case CompareDirection::EQ: v = x == y; break;
    case CompareDirection::NE: v = x != y; break;
    case CompareDirection::LT: v = x < y; break;
    case CompareDirection::LE: v = x <= y; break;
    case CompareDirection::GT: v = x > y; break;
    case CompareDirection::GE: v = x >= y; break;
    }
    r.data[i] = v ? 1.0 : 0.0;
  }
  return r;
}

RefTensor evalSelect(SelectOp, Operands in) {
  RefTensor r = *in[1];
  for (size_t i = 0; i < r.data.size(); ++i)
    if (in[0]->data[i] == 0.0)
      r.data[i] = in[2]->data[i];
  return r;
}

RefTensor evalCast(CastOp op, Operands in) {
  RefTensor r = makeResult(op);
  Type from = elementTypeOf(op.getInput()), to = elementTypeOf(op.getResult());
  for (size_t i = 0; i < r.data.size(); ++i)
    r.data[i] = detail::convertElement(in[0]->data[i], from, to);
  return r;
}

RefTensor evalStopGradient(StopGradientOp, Operands in) { return *in[0]; }
/// A sharding hint is the identity on values (on one device or on each rank).
RefTensor evalShardingConstraint(ShardingConstraintOp, Operands in) { return *in[0]; }

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

/// c[m x n] = op(a) x op(b); a is [m, k] ([k, m] transposed), b is [k, n]
/// ([n, k] transposed). Each output sums its k products in order, in double.
/// Columns go in tiles whose slice of op(b) is copied into a small buffer, so
/// a transposed vocabulary-sized rhs is never copied whole and the inner loop
/// runs over contiguous memory.
void matmulInto(const double *a, const double *b, double *c, int64_t m,
                int64_t k, int64_t n, bool ta, bool tb) {
  constexpr int64_t kTile = 64;
  std::vector<double> tile(k * kTile);
  for (int64_t j0 = 0; j0 < n; j0 += kTile) {
    int64_t w = std::min(kTile, n - j0);
    for (int64_t p = 0; p < k; ++p)
      for (int64_t jj = 0; jj < w; ++jj)
        tile[p * kTile + jj] = tb ? b[(j0 + jj) * k + p] : b[p * n + j0 + jj];
    for (int64_t i = 0; i < m; ++i) {
      double *row = c + i * n + j0;
      std::fill(row, row + w, 0.0);
      for (int64_t p = 0; p < k; ++p) {
        double aip = ta ? a[p * m + i] : a[i * k + p];
        const double *brow = tile.data() + p * kTile;
        for (int64_t jj = 0; jj < w; ++jj)
          row[jj] += aip * brow[jj];
      }
    }
  }
}

/// Shared by matmul and batch_matmul: the last two dims multiply, the leading
/// ones are batch dimensions.
RefTensor contract(Operation *op, Operands in, bool ta, bool tb) {
  RefTensor r = makeResult(op);
  const RefTensor &a = *in[0], &b = *in[1];
  size_t rank = a.shape.size();
  int64_t m = r.shape[rank - 2], n = r.shape[rank - 1];
  int64_t k = ta ? a.shape[rank - 2] : a.shape[rank - 1];
  int64_t batch = 1;
  for (size_t d = 0; d + 2 < rank; ++d)
    batch *= r.shape[d];
  for (int64_t bi = 0; bi < batch; ++bi)
    matmulInto(a.data.data() + bi * m * k, b.data.data() + bi * k * n,
               r.data.data() + bi * m * n, m, k, n, ta, tb);
  return r;
}

RefTensor evalMatmul(MatmulOp op, Operands in) {
  return contract(op, in, op.getTransposeLhs(), op.getTransposeRhs());
}

RefTensor evalBatchMatmul(BatchMatmulOp op, Operands in) {
  return contract(op, in, op.getTransposeLhs(), op.getTransposeRhs());
}

/// The lhs of a weft.matmul_q8 with quantize_lhs as its product sees it: per
/// row, q * s in the quantized columns and x itself in the outlier columns
/// (the op's description; the row quantization in f32 as specified there).
std::vector<double> quantizedLhs(const RefTensor &a, int64_t m, int64_t k,
                                 std::optional<double> threshold) {
  std::vector<bool> outlier(size_t(k), false);
  if (threshold)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t kk = 0; kk < k; ++kk)
        if (std::fabs(float(a.data[i * k + kk])) >= float(*threshold))
          outlier[kk] = true;
  std::vector<double> out(size_t(m * k));
  for (int64_t i = 0; i < m; ++i) {
    float amax = 0;
    for (int64_t kk = 0; kk < k; ++kk)
      if (!outlier[kk])
        amax = std::max(amax, std::fabs(float(a.data[i * k + kk])));
    const float s = amax / 127.0f, inv = amax == 0.0f ? 0.0f : 127.0f / amax;
    for (int64_t kk = 0; kk < k; ++kk) {
      const float x = float(a.data[i * k + kk]);
      out[i * k + kk] = outlier[kk] ? double(x)
                                    : double(std::clamp(std::nearbyint(x * inv), -127.0f, 127.0f)) *
                                          double(s);
    }
  }
  return out;
}

/// weft.matmul_q8: the weight dequantized (weight * scales[n], n the output
/// channel: the column of [K, N], the row of [N, K]), then the product, with
/// the lhs quantized first under quantize_lhs.
RefTensor evalMatmulQ8(MatmulQ8Op op, Operands in) {
  RefTensor r = makeResult(op);
  const RefTensor &a = *in[0], &w = *in[1], &scales = *in[2];
  const bool tb = op.getTransposeRhs();
  const int64_t m = r.shape[0], n = r.shape[1], k = a.shape[1];
  std::vector<double> deq(w.data.size());
  for (int64_t i = 0; i < int64_t(deq.size()); ++i)
    deq[i] = w.data[i] * scales.data[tb ? i / k : i % n];
  std::vector<double> lhs;
  if (op.getQuantizeLhs()) {
    std::optional<double> t;
    if (std::optional<llvm::APFloat> v = op.getOutlierThreshold())
      t = v->convertToDouble();
    lhs = quantizedLhs(a, m, k, t);
  }
  matmulInto(lhs.empty() ? a.data.data() : lhs.data(), deq.data(), r.data.data(), m, k, n,
             /*ta=*/false, tb);
  return r;
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

RefTensor evalReduce(ReduceOp op, Operands in) {
  RefTensor r = makeResult(op);
  const RefTensor &x = *in[0];
  ArrayRef<int64_t> dims = op.getDims();
  ReduceKind kind = op.getKind();
  // Stride of each input dimension in the result (0 for reduced dimensions).
  std::vector<int64_t> outStrides = stridesOf(r.shape), toOut(x.shape.size(), 0);
  int64_t count = 1;
  for (size_t d = 0, k = 0; d < x.shape.size(); ++d) {
    if (llvm::is_contained(dims, (int64_t)d))
      count *= x.shape[d];
    else
      toOut[d] = outStrides[k++];
  }
  double init = 0.0;
  if (kind == ReduceKind::Max)
    init = -std::numeric_limits<double>::infinity();
  else if (kind == ReduceKind::Min)
    init = std::numeric_limits<double>::infinity();
  std::fill(r.data.begin(), r.data.end(), init);
  forEachIndex(x.shape, [&](ArrayRef<int64_t> idx, int64_t lin) {
    int64_t o = 0;
    for (size_t d = 0; d < idx.size(); ++d)
      o += idx[d] * toOut[d];
    double v = x.data[lin], &acc = r.data[o];
    switch (kind) {
    case ReduceKind::Sum:
    case ReduceKind::Mean: acc += v; break;
    case ReduceKind::Max: acc = nanOr(acc, v, std::max(acc, v)); break;
    case ReduceKind::Min: acc = nanOr(acc, v, std::min(acc, v)); break;
    }
  });
  if (kind == ReduceKind::Mean) {
    bool integer = isIntegerElement(elementTypeOf(op.getResult()));
    for (double &v : r.data)
      v = integer ? std::trunc(v / (double)count) : v / (double)count;
  }
  return r;
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

RefTensor evalReshape(ReshapeOp op, Operands in) {
  RefTensor r = makeResult(op);
  r.data = in[0]->data;
  return r;
}

RefTensor evalTranspose(TransposeOp op, Operands in) {
  RefTensor r = makeResult(op);
  ArrayRef<int64_t> perm = op.getPermutation();
  std::vector<int64_t> inStrides = stridesOf(in[0]->shape);
  forEachIndex(r.shape, [&](ArrayRef<int64_t> idx, int64_t lin) {
    int64_t src = 0;
    for (size_t i = 0; i < idx.size(); ++i)
      src += idx[i] * inStrides[perm[i]];
    r.data[lin] = in[0]->data[src];
  });
  return r;
}

RefTensor evalBroadcast(BroadcastOp op, Operands in) {
  RefTensor r = makeResult(op);
  ArrayRef<int64_t> dims = op.getDims();
  const RefTensor &x = *in[0];
  std::vector<int64_t> inStrides = stridesOf(x.shape);
  forEachIndex(r.shape, [&](ArrayRef<int64_t> idx, int64_t lin) {
    int64_t src = 0;
    for (size_t i = 0; i < dims.size(); ++i)
      if (x.shape[i] != 1)
        src += idx[dims[i]] * inStrides[i];
    r.data[lin] = x.data[src];
  });
  return r;
}

RefTensor evalSlice(SliceOp op, Operands in) {
  RefTensor r = makeResult(op);
  ArrayRef<int64_t> start = op.getStart(), strides = op.getStrides();
  std::vector<int64_t> inStrides = stridesOf(in[0]->shape);
  forEachIndex(r.shape, [&](ArrayRef<int64_t> idx, int64_t lin) {
    int64_t src = 0;
    for (size_t d = 0; d < idx.size(); ++d)
      src += (start[d] + idx[d] * strides[d]) * inStrides[d];
    r.data[lin] = in[0]->data[src];
  });
  return r;
}

RefTensor evalConcat(ConcatOp op, Operands in) {
  RefTensor r = makeResult(op);
  int64_t dim = (int64_t)op.getDim();
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < dim; ++d)
    outer *= r.shape[d];
  for (size_t d = dim + 1; d < r.shape.size(); ++d)
    inner *= r.shape[d];
  int64_t outRow = r.shape[dim] * inner, offset = 0;
  for (const RefTensor *t : in) {
    int64_t chunk = t->shape[dim] * inner;
    for (int64_t o = 0; o < outer; ++o)
      std::copy_n(t->data.begin() + o * chunk, chunk,
                  r.data.begin() + o * outRow + offset);
    offset += chunk;
  }
  return r;
}

RefTensor evalGather(GatherOp op, Operands in) {
  RefTensor r = makeResult(op);
  const RefTensor &table = *in[0], &indices = *in[1];
  int64_t rows = table.shape[0];
  int64_t rowSize = rows == 0 ? 0 : table.numElements() / rows;
  for (size_t i = 0; i < indices.data.size(); ++i) {
    double v = indices.data[i];
    if (!(v >= 0 && v < (double)rows) || v != std::trunc(v))
      fail(op, "index " + indexString(v) + " out of range [0, " +
                   Twine(rows) + ") at position " + Twine(i) +
                   " of the indices; the generated code clamps it, so fix "
                   "the indices");
    std::copy_n(table.data.begin() + (int64_t)v * rowSize, rowSize,
                r.data.begin() + i * rowSize);
  }
  return r;
}

//===----------------------------------------------------------------------===//
// Producers
//===----------------------------------------------------------------------===//

RefTensor evalConstant(ConstantOp op, Operands) {
  RefTensor r = makeResult(op);
  ElementsAttr attr = op.getValue();
  Type et = attr.getElementType();
  size_t i = 0;
  if (isa<FloatType>(et)) {
    auto values = attr.tryGetValues<APFloat>();
    if (!values)
      fail(op, "has a float constant the evaluator cannot read; use a "
               "DenseElementsAttr (dense<...>)");
    for (const APFloat &v : *values)
      r.data[i++] = v.convertToDouble();
  } else if (auto it = dyn_cast<IntegerType>(et)) {
    auto values = attr.tryGetValues<APInt>();
    if (!values)
      fail(op, "has an integer constant the evaluator cannot read; use a "
               "DenseElementsAttr (dense<...>)");
    for (const APInt &v : *values)
      r.data[i++] = it.getWidth() == 1 ? (double)!v.isZero()
                                       : (double)v.getSExtValue();
  } else {
    fail(op, "has an unsupported element type for a constant");
  }
  if (i != r.data.size())
    fail(op, "constant holds " + Twine(i) + " values for " +
                 Twine(r.data.size()) + " result elements");
  return r;
}

RefTensor evalIota(IotaOp op, Operands) {
  RefTensor r = makeResult(op);
  int64_t dim = (int64_t)op.getDim();
  Type i64 = IntegerType::get(op.getContext(), 64);
  Type et = resultType(op).getElementType();
  forEachIndex(r.shape, [&](ArrayRef<int64_t> idx, int64_t lin) {
    r.data[lin] = detail::convertElement((double)idx[dim], i64, et);
  });
  return r;
}

RefTensor evalRandomUniform(RandomUniformOp op, Operands in) {
  RefTensor r = makeResult(op);
  uint64_t seed = uint64_t(int64_t(in[0]->data.at(0)));
  uint64_t stream = uint64_t(op.getStream());
  Type f32 = Float32Type::get(op.getContext());
  Type et = resultType(op).getElementType();
  for (size_t i = 0; i < r.data.size(); ++i)
    r.data[i] = detail::convertElement(double(random::uniform(seed, stream, i)), f32, et);
  return r;
}

//===----------------------------------------------------------------------===//
// Fused ops (created by the fusion passes, ir/WeftFusedOps.td)
//===----------------------------------------------------------------------===//

std::vector<RefTensor> evalLayerNorm(LayerNormOp op, Operands in) {
  const RefTensor &x = *in[0];
  const RefTensor *gamma = op.getGamma() ? in[1] : nullptr;
  const RefTensor *beta = op.getBeta() ? in[2] : nullptr;
  double eps = op.getEpsilon().convertToDouble();
  RefTensor y = makeResult(op, 0), mean = makeResult(op, 1), rstd = makeResult(op, 2);
  int64_t c = x.shape.back(), rows = c == 0 ? 0 : x.numElements() / c;
  for (int64_t r = 0; r < rows; ++r) {
    const double *row = x.data.data() + r * c;
    double sum = 0, sq = 0;
    for (int64_t j = 0; j < c; ++j)
      sum += row[j];
    double mu = sum / (double)c;
    for (int64_t j = 0; j < c; ++j)
      sq += (row[j] - mu) * (row[j] - mu);
    double rs = 1.0 / std::sqrt(sq / (double)c + eps);
    for (int64_t j = 0; j < c; ++j)
      y.data[r * c + j] = (row[j] - mu) * rs * (gamma ? gamma->data[j] : 1.0) +
                          (beta ? beta->data[j] : 0.0);
    mean.data[r] = mu;
    rstd.data[r] = rs;
  }
  std::vector<RefTensor> out;
  out.push_back(std::move(y));
  out.push_back(std::move(mean));
  out.push_back(std::move(rstd));
  return out;
}

std::vector<RefTensor> evalRmsNorm(RmsNormOp op, Operands in) {
  const RefTensor &x = *in[0];
  const RefTensor *gamma = op.getGamma() ? in[1] : nullptr;
  double eps = op.getEpsilon().convertToDouble();
  RefTensor y = makeResult(op, 0), rstd = makeResult(op, 1);
  int64_t c = x.shape.back(), rows = c == 0 ? 0 : x.numElements() / c;
  for (int64_t r = 0; r < rows; ++r) {
    const double *row = x.data.data() + r * c;
    double sq = 0;
    for (int64_t j = 0; j < c; ++j)
      sq += row[j] * row[j];
    double rs = 1.0 / std::sqrt(sq / (double)c + eps);
    for (int64_t j = 0; j < c; ++j)
      y.data[r * c + j] = row[j] * rs * (gamma ? gamma->data[j] : 1.0);
    rstd.data[r] = rs;
  }
  std::vector<RefTensor> out;
  out.push_back(std::move(y));
  out.push_back(std::move(rstd));
  return out;
}

RefTensor evalFusedMatmul(FusedMatmulOp op, Operands in) {
  RefTensor r = contract(op, in, op.getTransposeLhs(), op.getTransposeRhs());
  const RefTensor *bias = op.getBias() ? in[2] : nullptr;
  const RefTensor *gate = op.getGate() ? in[op.getBias() ? 3 : 2] : nullptr;
  double (*act)(double) = nullptr;
  switch (op.getActivation()) {
  case EpilogueActivation::None: break;
  case EpilogueActivation::Gelu: act = geluErf; break;
  case EpilogueActivation::GeluTanh: act = geluTanh; break;
  case EpilogueActivation::FastGelu: act = fastGelu; break;
  }
  int64_t n = r.shape.back();
  for (size_t i = 0; i < r.data.size(); ++i) {
    double v = r.data[i] + (bias ? bias->data[i % n] : 0.0);
    v = act ? act(v) : v;
    if (gate) {
      double g = gate->data[i];
      v *= g * sigmoid(g); // silu(g)
    }
    r.data[i] = v;
  }
  return r;
}

RefTensor evalFusedBatchMatmul(FusedBatchMatmulOp op, Operands in) {
  RefTensor r = contract(op, in, op.getTransposeLhs(), op.getTransposeRhs());
  double alpha = op.getAlpha().convertToDouble();
  double beta = op.getBeta().convertToDouble();
  // The addend's shape is a suffix of the result's: it repeats every
  // addend->numElements() results.
  const RefTensor *addend = op.getAddend() ? in[2] : nullptr;
  size_t period = addend ? addend->data.size() : 1;
  for (size_t i = 0; i < r.data.size(); ++i)
    r.data[i] = alpha * r.data[i] + (addend ? beta * addend->data[i % period] : 0.0);
  return r;
}

//===----------------------------------------------------------------------===//
// The table
//===----------------------------------------------------------------------===//

class OpTable {
public:
  OpTable() { build(); }

  const OpFn *lookup(StringRef name) const {
    auto it = fns.find(name);
    return it == fns.end() ? nullptr : &it->second;
  }

private:
  /// Registers a single-result op evaluated by `fn` on its typed op.
  template <typename OpT>
  void add(RefTensor (*fn)(OpT, Operands)) {
    fns[OpT::getOperationName()] = [fn](Operation *op, Operands in) {
      std::vector<RefTensor> r;
      r.push_back(fn(cast<OpT>(op), in));
      return r;
    };
  }
  /// Registers a multi-result op evaluated by `fn` on its typed op.
  template <typename OpT>
  void add(std::vector<RefTensor> (*fn)(OpT, Operands)) {
    fns[OpT::getOperationName()] = [fn](Operation *op, Operands in) {
      return fn(cast<OpT>(op), in);
    };
  }
  /// Registers an elementwise op computing `f` on each element.
  template <typename OpT>
  void addUnary(double (*f)(double)) {
    fns[OpT::getOperationName()] = [f](Operation *op, Operands in) {
      std::vector<RefTensor> r;
      r.push_back(unary(op, in, f));
      return r;
    };
  }
  /// Registers an elementwise op computing `f` on each pair of elements.
  template <typename OpT>
  void addBinary(double (*f)(double, double)) {
    fns[OpT::getOperationName()] = [f](Operation *op, Operands in) {
      std::vector<RefTensor> r;
      r.push_back(binary(op, in, f));
      return r;
    };
  }

  void build() {
    // Elementwise, unary.
    addUnary<NegOp>([](double x) { return -x; });
    addUnary<AbsOp>([](double x) { return std::fabs(x); });
    addUnary<ExpOp>([](double x) { return std::exp(x); });
    addUnary<LogOp>([](double x) { return std::log(x); });
    addUnary<SqrtOp>([](double x) { return std::sqrt(x); });
    addUnary<RsqrtOp>([](double x) { return 1.0 / std::sqrt(x); });
    addUnary<TanhOp>([](double x) { return std::tanh(x); });
    addUnary<ReluOp>([](double x) { return nanOr(x, 0.0, std::max(x, 0.0)); });
    addUnary<SigmoidOp>(sigmoid);
    addUnary<GeluOp>(geluErf);
    addUnary<GeluTanhOp>(geluTanh);
    addUnary<FastGeluOp>(fastGelu);
    // Elementwise, binary.
    addBinary<AddOp>([](double x, double y) { return x + y; });
    addBinary<SubOp>([](double x, double y) { return x - y; });
    addBinary<MulOp>([](double x, double y) { return x * y; });
    addBinary<MaxOp>([](double x, double y) { return nanOr(x, y, std::max(x, y)); });
    addBinary<MinOp>([](double x, double y) { return nanOr(x, y, std::min(x, y)); });
    addBinary<PowOp>([](double x, double y) { return std::pow(x, y); });
    add(evalDiv);
    add(evalCompare);
    add(evalSelect);
    add(evalCast);
    add(evalStopGradient);
    add(evalShardingConstraint);
    // Contractions and reductions.
    add(evalMatmul);
    add(evalBatchMatmul);
    add(evalMatmulQ8);
    add(evalReduce);
    // Data movement.
    add(evalReshape);
    add(evalTranspose);
    add(evalBroadcast);
    add(evalSlice);
    add(evalConcat);
    add(evalGather);
    // Producers.
    add(evalConstant);
    add(evalIota);
    add(evalRandomUniform);
    // Fused ops.
    add(evalLayerNorm);
    add(evalRmsNorm);
    add(evalFusedMatmul);
    add(evalFusedBatchMatmul);
    add(detail::evaluateFusion); // ReferenceEvaluatorFusion.cpp
    // Training ops.
    add(detail::evaluateScatterAdd); // ReferenceEvaluatorTraining.cpp
    // State ops.
    add(detail::evaluateDynamicUpdateSlice); // ReferenceEvaluatorState.cpp
  }

  llvm::StringMap<OpFn> fns;
};

} // namespace

std::vector<RefTensor> detail::evaluateOp(Operation *op, Operands operands) {
  static const OpTable table;
  const OpFn *fn = table.lookup(op->getName().getStringRef());
  if (!fn)
    fail(op, "has no reference evaluator; add one to "
             "ir/evaluator/ReferenceEvaluatorOps.cpp (OpTable::build)");
  return (*fn)(op, operands);
}

double detail::convertElement(double value, Type from, Type to) {
  if (auto it = dyn_cast<IntegerType>(to)) {
    unsigned width = it.getWidth();
    if (width == 1)
      return value != 0.0 ? 1.0 : 0.0;
    double half = std::ldexp(1.0, width - 1);
    if (!isa<IntegerType>(from)) {
      // Float to integer: truncate toward zero, saturate, NaN -> 0.
      if (std::isnan(value))
        return 0.0;
      return std::clamp(std::trunc(value), -half, half - 1.0);
    }
    if (width >= 64)
      return value;
    // Integer to a narrower integer: keep the low bits (two's complement).
    double full = 2.0 * half;
    double m = std::fmod(value, full);
    if (m < 0)
      m += full;
    return m >= half ? m - full : m;
  }
  if (auto ft = dyn_cast<FloatType>(to)) {
    if (ft.isF64())
      return value;
    if (ft.isF32())
      return (double)(float)value;
    APFloat f(value);
    bool losesInfo = false;
    f.convert(ft.getFloatSemantics(), APFloat::rmNearestTiesToEven, &losesInfo);
    return f.convertToDouble();
  }
  return value;
}

} // namespace weft
