//===- WeftQuantOps.td - products with quantized weights --------------------===//
//
// This file defines the weft ops that read quantized weights, created by the
// weft-quantize-weights pass (never by the DSL): weft.matmul_q8, a matrix
// product of f32 activations with int8 weights and one f32 scale per output
// channel (weight-only int8).
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
    lhs is a 2-D f32 [M, K], scales a 1-D f32 [N], the result an f32 [M, N]:
    weight-only int8, the activations and the accumulation stay f32. It is
    the exact product of the dequantized weight (the reference evaluator
    dequantizes, then multiplies in double); the CPU runtime dequantizes
    inside its products (runtime/cpu/Gemv.h). weft-autodiff differentiates it
    with respect to lhs only (dlhs = (g * scales) x weight read the other
    way, a weft.matmul_q8 with unit scales); the weight is frozen.

    Example:
    ```mlir
    %y = weft.matmul_q8 %x, %wq, %s : tensor<1x768xf32>, tensor<768x2304xi8>, tensor<2304xf32>
    ```
  }];
  let arguments = (ins Weft_F32Tensor:$lhs, Weft_Int8Tensor:$weight, Weft_F32Tensor:$scales,
                       UnitAttr:$transpose_rhs);
  let results = (outs Weft_F32Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $weight `,` $scales attr-dict `:` type($lhs) `,` type($weight) `,` type($scales)
  }];
}

#endif // WEFT_QUANT_OPS_TD
