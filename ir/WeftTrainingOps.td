//===- WeftTrainingOps.td - ops produced by the training passes ------------===//
//
// This file defines the weft ops that only the training passes create (the
// gradients built by weft-autodiff), never the DSL: weft.scatter_add, the
// gradient of weft.gather.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TRAINING_OPS_TD
#define WEFT_TRAINING_OPS_TD

include "ir/WeftBase.td"

def Weft_ScatterAddOp : Weft_Op<"scatter_add", [Pure,
    OptionalTypesMatchWith<"init has the result's type", "result", "init", "$_self">]> {
  let summary = "sums rows into a table at integer indices (gather's gradient)";
  let description = [{
    The transpose of weft.gather: `updates` has shape [I..., D...] and
    `indices` shape [I...]; the result has shape [V, D...] and holds

      result[v, d] = init[v, d] + sum over every i with indices[i] == v
                                  of updates[i, d]

    where `init` is the optional operand after `into` (of the result's
    type), or zero without it. `V` comes from the result type. As with
    weft.gather, an index outside [0, V) is clamped into range by the
    generated code and reported by the reference evaluator. The updates and
    the result share a float element type. Built by `weft-autodiff` for the
    table gradient of a gather (embedding lookup); `weft-scatter-add-into`
    gives it an `init` where the gradient is added to another (a tied
    embedding's LM-head gradient), and the memory plan may then write the
    result into the storage of an `init` that dies at the op.

    Example:
    ```mlir
    %g = weft.scatter_add %dy[%tokens] : tensor<128x768xf32>, tensor<128xi64>
        -> tensor<50257x768xf32>
    %h = weft.scatter_add %dy[%tokens] into %head : tensor<128x768xf32>,
        tensor<128xi64> -> tensor<50257x768xf32>
    ```
  }];
  let arguments = (ins Weft_FloatTensor:$updates, Weft_IndexTensor:$indices,
                       Optional<Weft_FloatTensor>:$init);
  let results = (outs Weft_FloatTensor:$result);
  let assemblyFormat = [{
    $updates `[` $indices `]` (`into` $init^)? attr-dict `:` type($updates) `,` type($indices)
    `->` type($result)
  }];
  let builders = [
    // Into a zero table (no init).
    OpBuilder<(ins "::mlir::Type":$result, "::mlir::Value":$updates, "::mlir::Value":$indices), [{
      build($_builder, $_state, result, updates, indices, ::mlir::Value());
    }]>
  ];
  let hasVerifier = 1;
}

#endif // WEFT_TRAINING_OPS_TD
