//===- WeftOps.td - the weft dialect's operations ---------------------------===//
//
// This file defines the operations of the weft dialect: elementwise math,
// comparisons and selection, contractions (matmul, batch_matmul), reductions,
// data movement (reshape, transpose, broadcast, slice, concat, gather) and
// value producers (constant, iota). Every op has static shapes; result types
// are inferred where the operands determine them.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_OPS_TD
#define WEFT_OPS_TD

include "ir/WeftBase.td"

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

class Weft_UnaryOp<string mnemonic, TypeConstraint type, string doc> :
    Weft_Op<mnemonic, [Pure, Elementwise, SameOperandsAndResultType,
                       InferTypeOpInterface]> {
  let summary = "elementwise " # mnemonic;
  let description = doc # [{

    Example:
    ```mlir
    %y = weft.}] # mnemonic # [{ %x : tensor<4x8xf32>
    ```
  }];
  let arguments = (ins type:$input);
  let results = (outs type:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def Weft_NegOp : Weft_UnaryOp<"neg", Weft_NumericTensor, "y = -x.">;
def Weft_AbsOp : Weft_UnaryOp<"abs", Weft_NumericTensor, "y = |x|.">;
def Weft_ExpOp : Weft_UnaryOp<"exp", Weft_FloatTensor, "y = e^x.">;
def Weft_LogOp : Weft_UnaryOp<"log", Weft_FloatTensor, "y = ln x (NaN for x < 0).">;
def Weft_SqrtOp : Weft_UnaryOp<"sqrt", Weft_FloatTensor, "y = sqrt(x).">;
def Weft_RsqrtOp : Weft_UnaryOp<"rsqrt", Weft_FloatTensor, "y = 1 / sqrt(x).">;
def Weft_TanhOp : Weft_UnaryOp<"tanh", Weft_FloatTensor, "y = tanh(x).">;
def Weft_ReluOp : Weft_UnaryOp<"relu", Weft_NumericTensor, "y = max(x, 0).">;
def Weft_SigmoidOp : Weft_UnaryOp<"sigmoid", Weft_FloatTensor,
    "y = 1 / (1 + e^-x).">;
def Weft_GeluOp : Weft_UnaryOp<"gelu", Weft_FloatTensor,
    "Exact GELU: y = x * 0.5 * (1 + erf(x / sqrt(2))).">;
def Weft_GeluTanhOp : Weft_UnaryOp<"gelu_tanh", Weft_FloatTensor,
    "GELU with the tanh approximation (GPT-2's gelu_new): "
    "y = 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3))).">;
def Weft_FastGeluOp : Weft_UnaryOp<"fast_gelu", Weft_FloatTensor,
    "The sigmoid approximation of GELU: y = x * sigmoid(1.702 * x).">;

class Weft_BinaryOp<string mnemonic, TypeConstraint type, string doc> :
    Weft_Op<mnemonic, [Pure, Elementwise, SameOperandsAndResultType,
                       InferTypeOpInterface]> {
  let summary = "elementwise " # mnemonic;
  let description = doc # [{ Both operands have the result's type; use
    weft.broadcast first to combine tensors of different shapes.

    Example:
    ```mlir
    %z = weft.}] # mnemonic # [{ %x, %y : tensor<4x8xf32>
    ```
  }];
  let arguments = (ins type:$lhs, type:$rhs);
  let results = (outs type:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
}

def Weft_AddOp : Weft_BinaryOp<"add", Weft_NumericTensor, "z = x + y."> {
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}
def Weft_SubOp : Weft_BinaryOp<"sub", Weft_NumericTensor, "z = x - y.">;
def Weft_MulOp : Weft_BinaryOp<"mul", Weft_NumericTensor, "z = x * y."> {
  let hasFolder = 1;
}
def Weft_DivOp : Weft_BinaryOp<"div", Weft_NumericTensor,
    "z = x / y (integer division truncates toward zero).">;
def Weft_MaxOp : Weft_BinaryOp<"max", Weft_NumericTensor, "z = max(x, y).">;
def Weft_MinOp : Weft_BinaryOp<"min", Weft_NumericTensor, "z = min(x, y).">;
def Weft_PowOp : Weft_BinaryOp<"pow", Weft_FloatTensor, "z = x ^ y.">;

def Weft_CompareOp : Weft_Op<"compare", [Pure, Elementwise,
    AllTypesMatch<["lhs", "rhs"]>,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "elementwise comparison producing i1";
  let description = [{
    Compares two tensors of the same type elementwise with the given
    direction (eq, ne, lt, le, gt, ge) and yields a tensor of i1 of the same
    shape.

    Example:
    ```mlir
    %m = weft.compare lt, %x, %y : tensor<4x4xi64>
    ```
  }];
  let arguments = (ins Weft_CompareDirectionAttr:$direction,
                       Weft_NumericTensor:$lhs, Weft_NumericTensor:$rhs);
  let results = (outs Weft_BoolTensor:$result);
  let assemblyFormat = "$direction `,` $lhs `,` $rhs attr-dict `:` type($lhs)";
}

def Weft_SelectOp : Weft_Op<"select", [Pure, Elementwise,
    AllTypesMatch<["on_true", "on_false", "result"]>,
    AllShapesMatch<["condition", "result"]>]> {
  let summary = "elementwise choice between two tensors";
  let description = [{
    result[i] = condition[i] ? on_true[i] : on_false[i]. The condition is a
    tensor of i1 with the result's shape.

    Example:
    ```mlir
    %y = weft.select %mask, %x, %neg_inf : tensor<4x4xi1>, tensor<4x4xf32>
    ```
  }];
  let arguments = (ins Weft_BoolTensor:$condition, Weft_Tensor:$on_true,
                       Weft_Tensor:$on_false);
  let results = (outs Weft_Tensor:$result);
  let assemblyFormat = [{
    $condition `,` $on_true `,` $on_false attr-dict `:` type($condition) `,` type($result)
  }];
}

def Weft_CastOp : Weft_Op<"cast", [Pure, Elementwise,
    AllShapesMatch<["input", "result"]>]> {
  let summary = "elementwise conversion to another element type";
  let description = [{
    Converts each element to the result's element type: floats round to
    nearest even, float to integer truncates toward zero, i1 becomes 0 or 1.
    The input may be int8 (gathered rows of a quantized table).

    Example:
    ```mlir
    %y = weft.cast %x : tensor<4xf32> -> tensor<4xbf16>
    ```
  }];
  let arguments = (ins Weft_TableTensor:$input);
  let results = (outs Weft_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
}

def Weft_StopGradientOp : Weft_Op<"stop_gradient", [Pure, SameOperandsAndResultType,
                                                      InferTypeOpInterface]> {
  let summary = "identity whose value weft-autodiff treats as a constant";
  let description = [{
    Returns its input; weft-autodiff sends no cotangent through it (JAX's
    lax.stop_gradient). softmax and log_softmax shift by a stopped row
    maximum: they do not depend on the shift, so its gradient is exactly
    zero and the backward pass needs neither the input nor an argmax mask.
    Canonicalization folds it to its input, so run weft-autodiff before
    -canonicalize (weft::buildTrainStep does).

    Example:
    ```mlir
    %c = weft.stop_gradient %m : tensor<4xf32>
    ```
  }];
  let arguments = (ins Weft_Tensor:$input);
  let results = (outs Weft_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

def Weft_MatmulOp : Weft_Op<"matmul", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "matrix product of two 2-D tensors";
  let description = [{
    result = op(lhs) x op(rhs) where op transposes its operand when
    `transpose_lhs` / `transpose_rhs` is set. lhs is [M, K] ([K, M] when
    transposed), rhs is [K, N] ([N, K] when transposed), result is [M, N].
    Both operands and the result share one float element type.

    Example:
    ```mlir
    %y = weft.matmul %x, %w {transpose_rhs} : tensor<8x768xf32>, tensor<512x768xf32>
    ```
  }];
  let arguments = (ins Weft_FloatTensor:$lhs, Weft_FloatTensor:$rhs,
                       UnitAttr:$transpose_lhs, UnitAttr:$transpose_rhs);
  let results = (outs Weft_FloatTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)";
}

def Weft_BatchMatmulOp : Weft_Op<"batch_matmul", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "batched matrix product over leading batch dimensions";
  let description = [{
    Operands of rank r >= 3 with identical leading r-2 batch dimensions; the
    last two dimensions multiply as in weft.matmul (with the same transpose
    flags). [B.., M, K] x [B.., K, N] -> [B.., M, N].

    Example:
    ```mlir
    %s = weft.batch_matmul %q, %k {transpose_rhs}
        : tensor<12x128x64xf32>, tensor<12x128x64xf32>
    ```
  }];
  let arguments = (ins Weft_FloatTensor:$lhs, Weft_FloatTensor:$rhs,
                       UnitAttr:$transpose_lhs, UnitAttr:$transpose_rhs);
  let results = (outs Weft_FloatTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)";
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

def Weft_ReduceOp : Weft_Op<"reduce", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "reduction over a set of dimensions";
  let description = [{
    Combines the elements along `dims` (sorted, unique) with sum, mean, max
    or min; the reduced dimensions are removed from the result shape.
    Reducing every dimension gives a rank-0 tensor.

    Example:
    ```mlir
    %m = weft.reduce mean %x dims = [1] : tensor<128x768xf32>
    ```
  }];
  let arguments = (ins Weft_ReduceKindAttr:$kind, Weft_NumericTensor:$input,
                       DenseI64ArrayAttr:$dims);
  let results = (outs Weft_NumericTensor:$result);
  let assemblyFormat = "$kind $input `dims` `=` $dims attr-dict `:` type($input)";
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def Weft_ReshapeOp : Weft_Op<"reshape", [Pure,
    AllElementTypesMatch<["input", "result"]>]> {
  let summary = "the same elements, in row-major order, with a new shape";
  let description = [{
    The result has the same number of elements as the input.

    Example:
    ```mlir
    %y = weft.reshape %x : tensor<128x768xf32> -> tensor<128x12x64xf32>
    ```
  }];
  let arguments = (ins Weft_Tensor:$input);
  let results = (outs Weft_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Weft_TransposeOp : Weft_Op<"transpose", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "permutation of dimensions";
  let description = [{
    result.shape[i] = input.shape[permutation[i]].

    Example:
    ```mlir
    %y = weft.transpose %x permutation = [1, 0, 2] : tensor<128x12x64xf32>
    ```
  }];
  let arguments = (ins Weft_Tensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs Weft_Tensor:$result);
  let assemblyFormat = "$input `permutation` `=` $permutation attr-dict `:` type($input)";
  let hasFolder = 1;
}

def Weft_BroadcastOp : Weft_Op<"broadcast", [Pure,
    AllElementTypesMatch<["input", "result"]>]> {
  let summary = "replicate a tensor into a larger shape";
  let description = [{
    Input dimension i maps to result dimension `dims[i]` (strictly
    increasing); it must equal that result dimension or be 1 (then it is
    replicated). Result dimensions not named in `dims` are new.

    Example:
    ```mlir
    %y = weft.broadcast %b dims = [1] : tensor<768xf32> -> tensor<128x768xf32>
    ```
  }];
  let arguments = (ins Weft_Tensor:$input, DenseI64ArrayAttr:$dims);
  let results = (outs Weft_Tensor:$result);
  let assemblyFormat = "$input `dims` `=` $dims attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Weft_SliceOp : Weft_Op<"slice", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "a strided box of a tensor";
  let description = [{
    For each dimension d the result takes indices start[d], start[d] +
    strides[d], ... below limit[d]. 0 <= start <= limit <= size, strides >= 1.

    Example:
    ```mlir
    %q = weft.slice %qkv start = [0, 0] limit = [128, 768] strides = [1, 1]
        : tensor<128x2304xf32>
    ```
  }];
  let arguments = (ins Weft_Tensor:$input, DenseI64ArrayAttr:$start,
                       DenseI64ArrayAttr:$limit, DenseI64ArrayAttr:$strides);
  let results = (outs Weft_Tensor:$result);
  let assemblyFormat = [{
    $input `start` `=` $start `limit` `=` $limit `strides` `=` $strides attr-dict `:` type($input)
  }];
}

def Weft_ConcatOp : Weft_Op<"concat", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "join tensors along one dimension";
  let description = [{
    All inputs share the element type, rank and every dimension but `dim`.

    Example:
    ```mlir
    %y = weft.concat %a, %b dim = 0 : tensor<2x4xf32>, tensor<3x4xf32>
    ```
  }];
  let arguments = (ins Variadic<Weft_Tensor>:$inputs, I64Attr:$dim);
  let results = (outs Weft_Tensor:$result);
  let assemblyFormat = "$inputs `dim` `=` $dim attr-dict `:` type($inputs)";
}

def Weft_GatherOp : Weft_Op<"gather", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "rows of a table selected by integer indices (embedding lookup)";
  let description = [{
    table has shape [V, D...] and indices shape [I...]; the result has shape
    [I..., D...] with result[i, d] = table[indices[i], d]. An index outside
    [0, V) is clamped into range by the generated code; the reference
    evaluator reports it. The table may hold int8 (a quantized embedding
    table, weft-quantize-weights): its rows are then cast to a float type.

    Example:
    ```mlir
    %e = weft.gather %wte[%tokens] : tensor<50257x768xf32>, tensor<128xi64>
    ```
  }];
  let arguments = (ins Weft_TableTensor:$table, Weft_IndexTensor:$indices);
  let results = (outs Weft_TableTensor:$result);
  let assemblyFormat = "$table `[` $indices `]` attr-dict `:` type($table) `,` type($indices)";
}

//===----------------------------------------------------------------------===//
// Producers
//===----------------------------------------------------------------------===//

def Weft_ConstantOp : Weft_Op<"constant", [Pure, ConstantLike,
    AllTypesMatch<["value", "result"]>]> {
  let summary = "a constant tensor";
  let description = [{
    Example:
    ```mlir
    %c = weft.constant dense<1.0e-05> : tensor<128x1xf32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Weft_Tensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

def Weft_IotaOp : Weft_Op<"iota", [Pure]> {
  let summary = "indices 0, 1, 2, ... along one dimension";
  let description = [{
    result[i0, ..., in] = i_dim, converted to the result's element type.

    Example:
    ```mlir
    %pos = weft.iota dim = 0 : tensor<128xi64>
    ```
  }];
  let arguments = (ins I64Attr:$dim);
  let results = (outs Weft_Tensor:$result);
  let assemblyFormat = "`dim` `=` $dim attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Weft_RandomUniformOp : Weft_Op<"random_uniform", [Pure]> {
  let summary = "counter-based uniform random numbers in [0, 1)";
  let description = [{
    result[i] = u(seed, stream, i) for the row-major index i of every
    element: a stateless generator (SplitMix64's finalizer over
    seed ^ (stream * 0xD1B54A32D192ED03) + (i + 1) * 0x9E3779B97F4A7C15; the
    top 24 bits scaled by 2^-24), so the reference evaluator, the CPU and the
    CUDA code produce bitwise the same numbers, with no state to carry.
    `seed` is a rank-0 i64 tensor (e.g. a step counter: a fresh draw per
    step); `stream` separates independent draws from the same seed (e.g.
    one per layer). The result is a constant to weft-autodiff (its only
    operand is an integer) and is never split over a mesh (replicated).
    Dropout is select(u < p, 0, x / (1 - p)).

    Example:
    ```mlir
    %u = weft.random_uniform %seed stream = 3 : tensor<i64> -> tensor<8x16xf32>
    ```
  }];
  let arguments = (ins Weft_Tensor:$seed, I64Attr:$stream);
  let results = (outs Weft_Tensor:$result);
  let assemblyFormat = "$seed `stream` `=` $stream attr-dict `:` type($seed) `->` type($result)";
  let hasVerifier = 1;
}

#endif // WEFT_OPS_TD
