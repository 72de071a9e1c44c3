//===- WeftFusedOps.td - ops produced by the fusion passes -----------------===//
//
// This file defines the weft ops that only the graph fusion passes create:
// LayerNorm and RMSNorm as single ops (keeping their statistics for the
// backward pass), contractions with epilogues. The DSL never builds them.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_FUSED_OPS_TD
#define WEFT_FUSED_OPS_TD

include "ir/WeftBase.td"

//===----------------------------------------------------------------------===//
// Normalizations
//===----------------------------------------------------------------------===//

def Weft_LayerNormOp : Weft_Op<"layer_norm", [Pure, AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "layer normalization over the last dimension, with its statistics";
  let description = [{
    Normalizes each row (the last dimension, of size C) of `input`:

      mean   = sum_c x[.., c] / C
      var    = sum_c (x[.., c] - mean)^2 / C
      rstd   = 1 / sqrt(var + epsilon)
      result = (x - mean) * rstd * gamma + beta

    `gamma` and `beta` are optional 1-D [C] tensors (the affine part; a
    missing one means 1 and 0). `beta` needs `gamma` (a shift without a scale
    is written as a separate weft.add). Besides the normalized result the op
    returns `mean` and `rstd`, shaped like the input without its last
    dimension, which the backward pass reuses. Everything shares the input's
    element type. `epsilon` is finite and >= 0.

    Created by `weft-fuse-layernorm` from the primitive form the DSL emits.

    Example:
    ```mlir
    %y, %mean, %rstd = weft.layer_norm %x, %gamma, %beta epsilon = 1.000000e-05
        : tensor<128x768xf32>, tensor<768xf32>, tensor<768xf32>
    ```
  }];
  let arguments = (ins Weft_FloatTensor:$input,
                       Optional<Weft_FloatTensor>:$gamma,
                       Optional<Weft_FloatTensor>:$beta,
                       F64Attr:$epsilon);
  let results = (outs Weft_FloatTensor:$result, Weft_FloatTensor:$mean,
                      Weft_FloatTensor:$rstd);
  let assemblyFormat = [{
    $input (`,` $gamma^)? (`,` $beta^)? `epsilon` `=` $epsilon attr-dict
    `:` type($input) (`,` type($gamma)^)? (`,` type($beta)^)?
  }];
  let hasVerifier = 1;
}

def Weft_RmsNormOp : Weft_Op<"rms_norm", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "root-mean-square normalization over the last dimension";
  let description = [{
    Scales each row (the last dimension, of size C) of `input` by the
    reciprocal of its root mean square:

      rstd   = 1 / sqrt(sum_c x[.., c]^2 / C + epsilon)
      result = x * rstd * gamma

    `gamma` is an optional 1-D [C] tensor (missing means 1). The op also
    returns `rstd`, shaped like the input without its last dimension, for the
    backward pass. Everything shares the input's element type. `epsilon` is
    finite and >= 0.

    Created by `weft-fuse-layernorm` from the primitive form.

    Example:
    ```mlir
    %y, %rstd = weft.rms_norm %x, %gamma epsilon = 1.000000e-06
        : tensor<128x4096xf32>, tensor<4096xf32>
    ```
  }];
  let arguments = (ins Weft_FloatTensor:$input,
                       Optional<Weft_FloatTensor>:$gamma, F64Attr:$epsilon);
  let results = (outs Weft_FloatTensor:$result, Weft_FloatTensor:$rstd);
  let assemblyFormat = [{
    $input (`,` $gamma^)? `epsilon` `=` $epsilon attr-dict
    `:` type($input) (`,` type($gamma)^)?
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Contractions with epilogues
//===----------------------------------------------------------------------===//

def Weft_FusedMatmulOp : Weft_Op<"fused_matmul", [Pure, AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "matrix product with a bias, activation and SiLU-gate epilogue";
  let description = [{
    result = act(op(lhs) x op(rhs) + bias) * silu(gate), where op, the shapes
    and the transpose flags are those of weft.matmul ([M, K] x [K, N] ->
    [M, N]), `bias` is an optional 1-D [N] tensor added to every row, `act` is
    the `activation` (none, gelu, gelu_tanh or fast_gelu, with the formulas of
    the weft ops of the same names; none when omitted), and `gate` is an
    optional [M, N] tensor whose SiLU, g * sigmoid(g), multiplies the result
    (a SwiGLU MLP's up projection: silu(x Wg) * (x Wu); 1 when omitted). All
    tensors share one float element type. The epilogue runs on the product
    while it is still in registers/cache: on the CPU right after the BLAS call
    in one pass over the output, on CUDA as a cuBLASLt epilogue where
    cuBLASLt has one (bias, gelu_tanh + bias), else as one kernel after it.

    Created by `weft-fuse-matmul-gelu` (bias, activation) and
    `weft-fuse-matmul-swiglu` (gate).

    Example:
    ```mlir
    %h = weft.fused_matmul %x, %w, %b activation = gelu_tanh
        : tensor<128x768xf32>, tensor<768x3072xf32>, tensor<3072xf32>
    %m = weft.fused_matmul %x, %wu gate %g
        : tensor<128x768xf32>, tensor<768x2048xf32> gate tensor<128x2048xf32>
    ```
  }];
  let arguments = (ins Weft_FloatTensor:$lhs, Weft_FloatTensor:$rhs,
                       Optional<Weft_FloatTensor>:$bias,
                       Optional<Weft_FloatTensor>:$gate,
                       UnitAttr:$transpose_lhs, UnitAttr:$transpose_rhs,
                       DefaultValuedAttr<Weft_EpilogueActivationAttr,
                           "::weft::EpilogueActivation::None">:$activation);
  let results = (outs Weft_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs (`,` $bias^)? (`gate` $gate^)? (`activation` `=` $activation^)? attr-dict
    `:` type($lhs) `,` type($rhs) (`,` type($bias)^)? (`gate` type($gate)^)?
  }];
}

def Weft_FusedBatchMatmulOp : Weft_Op<"fused_batch_matmul", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "batched matrix product with a scale-and-add epilogue";
  let description = [{
    result = alpha * (op(lhs) x op(rhs)) + beta * addend, where op, the
    shapes and the transpose flags are those of weft.batch_matmul
    ([B.., M, K] x [B.., K, N] -> [B.., M, N]). `addend` is optional; its
    shape is a suffix of the result's shape of rank >= 2 (e.g. a [M, N]
    attention mask shared by every batch) and it is repeated over the missing
    leading dimensions. Without an addend `beta` is 0. All tensors share one
    float element type. On CUDA this is cuBLASLt's alpha/beta with C = addend.

    Created by `weft-fuse-batch-matmul-add`, e.g. from attention scores
    `q x k^T * (1/sqrt(d)) + mask`.

    Example:
    ```mlir
    %s = weft.fused_batch_matmul %q, %k, %mask alpha = 1.250000e-01 beta = 1.000000e+00
        {transpose_rhs}
        : tensor<12x128x64xf32>, tensor<12x128x64xf32>, tensor<128x128xf32>
    ```
  }];
  let arguments = (ins Weft_FloatTensor:$lhs, Weft_FloatTensor:$rhs,
                       Optional<Weft_FloatTensor>:$addend,
                       UnitAttr:$transpose_lhs, UnitAttr:$transpose_rhs,
                       F64Attr:$alpha, F64Attr:$beta);
  let results = (outs Weft_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs (`,` $addend^)? `alpha` `=` $alpha `beta` `=` $beta attr-dict
    `:` type($lhs) `,` type($rhs) (`,` type($addend)^)?
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Fused elementwise kernels (weft-fuse-elementwise)
//===----------------------------------------------------------------------===//

def Weft_FusionOp : Weft_Op<"fusion", [IsolatedFromAbove, RecursiveMemoryEffects,
    SingleBlock]> {
  let summary = "one fused kernel: a region of elementwise, broadcast and reduce ops";
  let description = [{
    A group of weft ops that runs as ONE kernel. The operands are the
    tensors the group reads from outside, each listed once (so a kernel never
    reads an input twice from memory): weft-fuse-elementwise builds them so,
    and the canonicalizer merges operands that later passes (CSE) made equal
    and drops operands the body does not read; the single
    block's arguments are those operands, in order, with their types. The
    body holds ordinary weft ops on tensors: elementwise math, compare,
    select, cast, broadcast, iota, constants and reduce; it ends with
    `weft.yield` of the values the rest of the graph uses, which are the
    op's results (one or more). The region is isolated from above: the body
    reads only its block arguments and values it defines.

    Semantics are those of the body evaluated as a function of the operands.
    Code generators compile the op as one kernel: on the CPU the body is
    lowered op by op to linalg on tensors and the resulting linalg.generic ops
    are fused into as few loop nests as their iteration spaces allow (one for
    a tree of elementwise ops and broadcasts; max, sum-of-exp and divide for
    a softmax); intermediates never leave the kernel.

    Created by `weft-fuse-elementwise`; the DSL never builds it.

    Example (softmax over the last dimension):
    ```mlir
    %p = weft.fusion %s : (tensor<4x8xf32>) -> tensor<4x8xf32> {
    ^bb0(%x: tensor<4x8xf32>):
      %m = weft.reduce max %x dims = [1] : tensor<4x8xf32>
      %mb = weft.broadcast %m dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
      %d = weft.sub %x, %mb : tensor<4x8xf32>
      %e = weft.exp %d : tensor<4x8xf32>
      %z = weft.reduce sum %e dims = [1] : tensor<4x8xf32>
      %zb = weft.broadcast %z dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
      %y = weft.div %e, %zb : tensor<4x8xf32>
      weft.yield %y : tensor<4x8xf32>
    }
    ```
  }];
  // An operand may be int8: gathered rows of a quantized table, which the
  // body casts to a float type (weft-quantize-weights).
  let arguments = (ins Variadic<Weft_TableTensor>:$inputs);
  let results = (outs Variadic<Weft_Tensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $inputs attr-dict `:` functional-type($inputs, $results) $body
  }];
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
  let hasCanonicalizer = 1;
}

def Weft_YieldOp : Weft_Op<"yield", [Pure, Terminator,
    HasParent<"FusionOp">]> {
  let summary = "the results of a weft.fusion body";
  let description = [{
    Ends the body of a `weft.fusion`; its operands become the fusion's
    results and must have the result types, in order.

    Example:
    ```mlir
    weft.yield %y, %z : tensor<4x8xf32>, tensor<4xf32>
    ```
  }];
  let arguments = (ins Variadic<Weft_Tensor>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
}

#endif // WEFT_FUSED_OPS_TD
