//===- Ops.h - the ops of the weft DSL --------------------------*- C++ -*-===//
//
// This file implements the declarations of every DSL op. Each takes
// `Loc loc = Loc::current()` last; the op's MLIR location is that line and a
// shape or dtype error throws DslError("<file>:<line>: error: ...").
//
// Broadcasting: the elementwise binary ops (add, sub, mul, div, pow,
// maximum, minimum, compare) and select follow numpy: shapes align at the
// trailing dimension, a missing leading dimension or a size-1 dimension
// stretches, any other mismatch is an error. The DSL makes this explicit by
// inserting weft.broadcast on each operand whose shape differs from the
// result's (the dialect's binary ops take identical types). No implicit dtype
// promotion happens: mixing dtypes is an error (use cast).
//
// Implemented in ElementwiseOps.cpp, ContractionOps.cpp (matmul and
// reductions), ShapeOps.cpp (data movement), ProducerOps.cpp (constants,
// iota) and CompositeOps.cpp (softmax, log_softmax, masks, cross-entropy).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_FRONTEND_OPS_H
#define WEFT_FRONTEND_OPS_H

#include "frontend/Program.h"
#include "frontend/Tensor.h"
#include "frontend/Types.h"

#include <vector>

namespace weft {

//===----------------------------------------------------------------------===//
// Elementwise (ElementwiseOps.cpp)
//===----------------------------------------------------------------------===//

/// a + b, broadcasting numpy-style.
Tensor add(const Tensor &a, const Tensor &b, Loc loc = Loc::current());
/// a - b, broadcasting numpy-style.
Tensor sub(const Tensor &a, const Tensor &b, Loc loc = Loc::current());
/// a * b, broadcasting numpy-style.
Tensor mul(const Tensor &a, const Tensor &b, Loc loc = Loc::current());
/// a / b, broadcasting numpy-style (integers truncate toward zero).
Tensor div(const Tensor &a, const Tensor &b, Loc loc = Loc::current());
/// a ^ b (floats), broadcasting numpy-style.
Tensor pow(const Tensor &a, const Tensor &b, Loc loc = Loc::current());
/// a ^ exponent (floats); the exponent becomes a splat constant.
Tensor pow(const Tensor &a, double exponent, Loc loc = Loc::current());
/// max(a, b) elementwise, broadcasting numpy-style.
Tensor maximum(const Tensor &a, const Tensor &b, Loc loc = Loc::current());
/// min(a, b) elementwise, broadcasting numpy-style.
Tensor minimum(const Tensor &a, const Tensor &b, Loc loc = Loc::current());

/// -x.
Tensor neg(const Tensor &x, Loc loc = Loc::current());
/// |x|.
Tensor abs(const Tensor &x, Loc loc = Loc::current());
/// e^x (floats).
Tensor exp(const Tensor &x, Loc loc = Loc::current());
/// ln x (floats).
Tensor log(const Tensor &x, Loc loc = Loc::current());
/// sqrt(x) (floats).
Tensor sqrt(const Tensor &x, Loc loc = Loc::current());
/// 1 / sqrt(x) (floats).
Tensor rsqrt(const Tensor &x, Loc loc = Loc::current());
/// tanh(x) (floats).
Tensor tanh(const Tensor &x, Loc loc = Loc::current());
/// max(x, 0).
Tensor relu(const Tensor &x, Loc loc = Loc::current());
/// 1 / (1 + e^-x) (floats).
Tensor sigmoid(const Tensor &x, Loc loc = Loc::current());
/// Exact GELU, x * Φ(x) with erf (floats).
Tensor gelu(const Tensor &x, Loc loc = Loc::current());
/// GELU with the tanh approximation (GPT-2's "gelu_new") (floats).
Tensor gelu_tanh(const Tensor &x, Loc loc = Loc::current());
/// x * sigmoid(1.702 x) (floats).
Tensor fast_gelu(const Tensor &x, Loc loc = Loc::current());

/// How compare relates its operands.
enum class CmpDir { EQ, NE, LT, LE, GT, GE };

/// Elementwise comparison giving an i1 tensor; broadcasts numpy-style.
Tensor compare(const Tensor &a, const Tensor &b, CmpDir dir,
               Loc loc = Loc::current());
/// a < b.
Tensor lt(const Tensor &a, const Tensor &b, Loc loc = Loc::current());
/// a <= b.
Tensor le(const Tensor &a, const Tensor &b, Loc loc = Loc::current());
/// a > b.
Tensor gt(const Tensor &a, const Tensor &b, Loc loc = Loc::current());
/// a >= b.
Tensor ge(const Tensor &a, const Tensor &b, Loc loc = Loc::current());
/// a == b.
Tensor eq(const Tensor &a, const Tensor &b, Loc loc = Loc::current());
/// a != b.
Tensor ne(const Tensor &a, const Tensor &b, Loc loc = Loc::current());
/// Compares with a scalar (a splat constant of a's shape and dtype).
Tensor compare(const Tensor &a, double b, CmpDir dir, Loc loc = Loc::current());

/// cond ? on_true : on_false elementwise; cond is i1; all three broadcast
/// numpy-style to a common shape.
Tensor select(const Tensor &cond, const Tensor &on_true,
              const Tensor &on_false, Loc loc = Loc::current());
/// Converts the element type.
Tensor cast(const Tensor &x, DType dtype, Loc loc = Loc::current());
/// x itself, but differentiation treats it as a constant (no gradient flows
/// into x through this use), like JAX's lax.stop_gradient.
Tensor stop_gradient(const Tensor &x, Loc loc = Loc::current());

/// A splat constant of `like`'s shape and dtype.
Tensor fullLike(const Tensor &like, double value, Loc loc = Loc::current());

//===----------------------------------------------------------------------===//
// Contractions and reductions (ContractionOps.cpp)
//===----------------------------------------------------------------------===//

/// op(a) x op(b) of 2-D float tensors; op transposes when its flag is set.
Tensor matmul(const Tensor &a, const Tensor &b, bool transpose_a = false,
              bool transpose_b = false, Loc loc = Loc::current());
/// Batched matmul over identical leading dimensions (rank >= 3).
Tensor batch_matmul(const Tensor &a, const Tensor &b, bool transpose_a = false,
                    bool transpose_b = false, Loc loc = Loc::current());

/// Sum over `dims` (negative counts from the back; any order). With
/// `keepdim` the reduced dimensions stay as size 1 (a reshape follows).
Tensor reduce_sum(const Tensor &x, std::vector<int64_t> dims,
                  bool keepdim = false, Loc loc = Loc::current());
/// Mean over `dims`, as reduce_sum.
Tensor reduce_mean(const Tensor &x, std::vector<int64_t> dims,
                   bool keepdim = false, Loc loc = Loc::current());
/// Maximum over `dims`, as reduce_sum.
Tensor reduce_max(const Tensor &x, std::vector<int64_t> dims,
                  bool keepdim = false, Loc loc = Loc::current());
/// Minimum over `dims`, as reduce_sum.
Tensor reduce_min(const Tensor &x, std::vector<int64_t> dims,
                  bool keepdim = false, Loc loc = Loc::current());

//===----------------------------------------------------------------------===//
// Data movement (ShapeOps.cpp)
//===----------------------------------------------------------------------===//

/// The same elements in a new shape; at most one entry may be -1 (inferred).
Tensor reshape(const Tensor &x, Shape shape, Loc loc = Loc::current());
/// result.shape[i] = x.shape[perm[i]] (negative entries count from the back).
Tensor permute(const Tensor &x, std::vector<int64_t> perm,
               Loc loc = Loc::current());
/// Same as permute.
Tensor transpose(const Tensor &x, std::vector<int64_t> perm,
                 Loc loc = Loc::current());
/// Swaps dimensions d0 and d1 (PyTorch's transpose).
Tensor transpose(const Tensor &x, int64_t d0, int64_t d1,
                 Loc loc = Loc::current());
/// numpy-style broadcast of x to `shape` (trailing alignment).
Tensor broadcast_to(const Tensor &x, Shape shape, Loc loc = Loc::current());
/// weft.broadcast: input dimension i becomes result dimension dims[i].
Tensor broadcast(const Tensor &x, Shape shape, std::vector<int64_t> dims,
                 Loc loc = Loc::current());
/// The box [start, limit) with `strides` (default 1) per dimension.
Tensor slice(const Tensor &x, std::vector<int64_t> start,
             std::vector<int64_t> limit, std::vector<int64_t> strides = {},
             Loc loc = Loc::current());
/// Indices [start, start + length) of dimension `dim` (PyTorch's narrow).
Tensor narrow(const Tensor &x, int64_t dim, int64_t start, int64_t length,
              Loc loc = Loc::current());
/// Joins tensors along `dim` (negative counts from the back).
Tensor concat(const std::vector<Tensor> &xs, int64_t dim,
              Loc loc = Loc::current());
/// table[indices]: [V, D...] gathered by integer [I...] gives [I..., D...].
Tensor gather(const Tensor &table, const Tensor &indices,
              Loc loc = Loc::current());
/// Embedding lookup: gather of rows of `table` by `ids`.
Tensor embedding(const Tensor &table, const Tensor &ids,
                 Loc loc = Loc::current());
/// `input` with `update` written at offset `start` (a rank-0 integer tensor
/// read at run time) along `dim`; update matches input on every other
/// dimension. Returned as the Program::update of the state it reads, the
/// block is written in place (a key/value cache).
Tensor dynamic_update_slice(const Tensor &input, const Tensor &update, const Tensor &start,
                            int64_t dim, Loc loc = Loc::current());

//===----------------------------------------------------------------------===//
// Producers (ProducerOps.cpp)
//===----------------------------------------------------------------------===//

/// A tensor of `shape` whose elements are their index along `dim`.
Tensor iota(Program &p, Shape shape, int64_t dim, DType dtype = DType::I64,
            Loc loc = Loc::current());
/// weft.random_uniform: a `shape` tensor of uniform numbers in [0, 1) drawn
/// from `seed` (a rank-0 i64 tensor, e.g. a step input) and `stream` (one
/// per independent draw); the same on every target (ir/RandomBits.h).
Tensor random_uniform(const Tensor &seed, Shape shape, int64_t stream,
                      DType dtype = DType::F32, Loc loc = Loc::current());
/// Inverted dropout: zeros each element with probability `p` (drawn by
/// random_uniform(seed, x's shape, stream)) and scales the rest by
/// 1 / (1 - p): select(u < p, 0, x / (1 - p)). p = 0 returns x; p must be in
/// [0, 1). The mask is a constant to weft-autodiff.
Tensor dropout(const Tensor &x, double p, const Tensor &seed, int64_t stream,
               Loc loc = Loc::current());
/// A splat constant.
Tensor full(Program &p, Shape shape, double value, DType dtype = DType::F32,
            Loc loc = Loc::current());
/// A rank-0 constant.
Tensor scalar(Program &p, double value, DType dtype = DType::F32,
              Loc loc = Loc::current());
/// A constant from row-major data (data.size() must equal the element count).
Tensor constant(Program &p, Shape shape, const std::vector<double> &data,
                DType dtype = DType::F32, Loc loc = Loc::current());

//===----------------------------------------------------------------------===//
// Composites (CompositeOps.cpp), written with the primitives above
//===----------------------------------------------------------------------===//

/// softmax along `axis`: reduce max, broadcast, sub, exp, reduce sum,
/// broadcast, div.
Tensor softmax(const Tensor &x, int64_t axis = -1, Loc loc = Loc::current());
/// log_softmax along `axis`: x - max - log(sum(exp(x - max))).
Tensor log_softmax(const Tensor &x, int64_t axis = -1,
                   Loc loc = Loc::current());
/// The additive causal mask [T, T] of `dtype`: 0 where column <= row, -1e9
/// above the diagonal. Add it to attention scores before softmax.
Tensor causal_mask(Program &p, int64_t T, DType dtype = DType::F32,
                   Loc loc = Loc::current());
/// The boolean causal mask [T, T] (i1): true where column <= row (may attend).
Tensor causal_mask_bool(Program &p, int64_t T, Loc loc = Loc::current());
/// Mean cross-entropy of float logits [N, V] against integer labels [N]:
/// -mean_n log_softmax(logits)[n, labels[n]], a rank-0 tensor.
Tensor cross_entropy(const Tensor &logits, const Tensor &labels,
                     Loc loc = Loc::current());

} // namespace weft

#endif // WEFT_FRONTEND_OPS_H
