//===- WeftQuantOps.td - products with quantized weights --------------------===//
//
// This file defines the weft ops that read quantized weights, created by the
// weft-quantize-weights pass (never by the DSL): weft.matmul_q8, a matrix
// product of f32 activations with int8 weights and one f32 scale per output
// channel (weight-only int8), optionally with the activations quantized to
// int8 row by row (int8 x int8 sums) and LLM.int8()'s f32 outlier columns.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_QUANT_OPS_TD
#define WEFT_QUANT_OPS_TD

include "ir/WeftBase.td"

def Weft_Int8Tensor : StaticShapeTensorOf<[I8]>;
def Weft_F32Tensor : StaticShapeTensorOf<[F32]>;

def Weft_MatmulQ8Op : Weft_Op<"matmul_q8", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "matrix product with int8 weights and per-output-channel scales";
  let description = [{
    result = lhs x dequant(weight), where dequant(weight) is the f32 [K, N]
    matrix with elements weight[k, n] * scales[n] (weight [K, N]), or, with
    `transpose_rhs`, the transpose of weight[n, k] * scales[n] (weight [N, K]).
    lhs is a 2-D f32 [M, K], scales a 1-D f32 [N], the result an f32 [M, N].

    Without `quantize_lhs` (weight-only int8): the activations and the
    accumulation stay f32; the result is the exact product of the
    dequantized weight (the reference evaluator dequantizes, then multiplies
    in double; the CPU runtime dequantizes inside its products,
    runtime/cpu/Gemv.h).

    With `quantize_lhs` each row i of lhs is quantized when the op runs
    (vector-wise, as in LLM.int8()): s_i = max_k |x[i, k]| / 127 and
    q[i, k] = round-half-even(x[i, k] * (127 / max_k |x[i, k]|)), both in
    f32 arithmetic, clamped to [-127, 127] (an all-zero row: s_i = 0); the
    result is s_i * scales[n] * sum_k q[i, k] weight[k, n], the sum exact in
    integers (runtime/cpu/GemmInt8.h: AVX512-VNNI vpdpbusd). With
    `outlier_threshold` t as well (LLM.int8()'s mixed-precision
    decomposition): the columns k where some row has |x[i, k]| >= t take no
    part in the row maxima, are not quantized, and add
    sum_{k outlier} x[i, k] * weight[k, n] * scales[n] in f32.

    weft-autodiff differentiates it with respect to lhs only, as for f32
    activations (dlhs = (g * scales) x weight read the other way, a
    weft.matmul_q8 with unit scales); the weight is frozen. A training step
    over an int8 base therefore quantizes its weights without quantize_lhs.

    Example:
    ```mlir
    %y = weft.matmul_q8 %x, %wq, %s : tensor<1x768xf32>, tensor<768x2304xi8>, tensor<2304xf32>
    %z = weft.matmul_q8 %x, %wq, %s {quantize_lhs, outlier_threshold = 6.0 : f32}
        : tensor<1x768xf32>, tensor<768x2304xi8>, tensor<2304xf32>
    ```
  }];
  let arguments = (ins Weft_F32Tensor:$lhs, Weft_Int8Tensor:$weight, Weft_F32Tensor:$scales,
                       UnitAttr:$transpose_rhs, UnitAttr:$quantize_lhs,
                       OptionalAttr<F32Attr>:$outlier_threshold);
  let results = (outs Weft_F32Tensor:$result);
  let builders = [
    // Weight-only int8 (f32 activations): what a training step over an int8
    // base and the activation gradient build.
    OpBuilder<(ins "::mlir::Value":$lhs, "::mlir::Value":$weight, "::mlir::Value":$scales,
                   "bool":$transposeRhs), [{
      build($_builder, $_state, lhs, weight, scales, transposeRhs, /*quantize_lhs=*/false,
            /*outlier_threshold=*/::mlir::FloatAttr());
    }]>
  ];
  let hasVerifier = 1;
  let assemblyFormat = [{
    $lhs `,` $weight `,` $scales attr-dict `:` type($lhs) `,` type($weight) `,` type($scales)
  }];
}

#endif // WEFT_QUANT_OPS_TD
