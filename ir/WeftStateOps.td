//===- WeftStateOps.td - ops that update persistent state in place ---------===//
//
// This file defines the weft ops made for values that persist between runs
// (weft.state arguments such as a key/value cache): weft.dynamic_update_slice,
// which writes a block into a tensor at a run-time offset. Returned as the
// weft.update of the argument it reads, the code generators write the block
// into the argument's storage and leave the rest untouched (see
// passes/memory/InPlaceUpdate.h).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_STATE_OPS_TD
#define WEFT_STATE_OPS_TD

include "ir/WeftBase.td"

def Weft_DynamicUpdateSliceOp : Weft_Op<"dynamic_update_slice", [Pure,
    AllTypesMatch<["input", "result"]>, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "a tensor with a block written at a run-time offset along one dimension";
  let description = [{
    `update` has the input's rank and element type, every dimension equal to
    the input's except `dim`, where it may be shorter. With
    s = clamp(start, 0, input[dim] - update[dim]) the result is the input
    with

      result[..., s + i, ...] = update[..., i, ...]   (i along `dim`)

    and every other element unchanged. `start` is a rank-0 integer tensor read
    at run time, so one compiled program writes at any position (a decode
    step appending one key to a cache). As with weft.gather, an offset out of
    range is clamped by the generated code and reported by the reference
    evaluator. When the result is returned as the `weft.update` of the
    input's argument, only the block is written (in place); otherwise the
    input is copied first. Not differentiable.

    Example:
    ```mlir
    %k1 = weft.dynamic_update_slice %cache[%pos], %k dim = 2
        : tensor<4x12x128x64xf32>, tensor<4x12x1x64xf32>, tensor<i64>
    ```
  }];
  let arguments = (ins Weft_Tensor:$input, Weft_Tensor:$update,
                       0DTensorOf<[I32, I64]>:$start, I64Attr:$dim);
  let results = (outs Weft_Tensor:$result);
  let assemblyFormat = [{
    $input `[` $start `]` `,` $update `dim` `=` $dim attr-dict `:` type($input) `,`
    type($update) `,` type($start)
  }];
  let hasVerifier = 1;
}

#endif // WEFT_STATE_OPS_TD
