//===- WeftCollectiveOps.td - collectives over the device mesh -------------===//
//
// This file defines the ops that exchange data between the devices of the
// module's mesh (#weft.mesh on the builtin.module): all_reduce, all_gather,
// reduce_scatter, all_to_all, collective_permute, the rank's index in a group
// (axis_index) and the user's sharding hint (sharding_constraint). Each
// collective runs independently within every group of devices that differ
// only in the listed mesh `axes`; G, the group size, is the product of those
// axes' sizes. A device's index in its group is row-major over `axes` in the
// order listed. The SPMD partitioner creates them; the SPMD evaluator
// (ir/evaluator/SpmdEvaluator.h) gives them meaning on a simulated mesh.
//
// Ops that change the shape (all_gather, reduce_scatter, all_to_all) spell
// their result type: it depends on the module's mesh, which type inference
// cannot see. Their verifiers check it, and their C++ builders compute it.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_COLLECTIVE_OPS_TD
#define WEFT_COLLECTIVE_OPS_TD

include "ir/WeftBase.td"

/// A collective: `axes` names the mesh axes spanning each group.
class Weft_CollectiveOp<string mnemonic, list<Trait> traits = []> :
    Weft_Op<mnemonic, !listconcat([Pure], traits)> {
  let hasVerifier = 1;
  code extraCollectiveDeclaration = [{
    /// The mesh axes of the group, as listed.
    llvm::SmallVector<mlir::StringAttr> getAxisNames() {
      return llvm::to_vector(getAxes().getAsRange<mlir::StringAttr>());
    }
    /// The number of devices in each group on the module's mesh.
    int64_t getGroupSize(MeshAttr mesh) { return mesh.groupSize(getAxisNames()); }
  }];
  let extraClassDeclaration = extraCollectiveDeclaration;
}

def Weft_AllReduceOp : Weft_CollectiveOp<"all_reduce",
    [SameOperandsAndResultType, InferTypeOpInterface]> {
  let summary = "combines a tensor over each group; every member gets the result";
  let description = [{
    Every device of a group gets the elementwise sum (max, min) of the
    group's operands. `kind` is sum, max or min.

    Example:
    ```mlir
    %y = weft.all_reduce sum %x axes = ["tp"] : tensor<8x768xf32>
    ```
  }];
  let arguments = (ins Weft_ReduceKindAttr:$kind, Weft_NumericTensor:$input,
                       StrArrayAttr:$axes);
  let results = (outs Weft_NumericTensor:$result);
  let assemblyFormat = "$kind $input `axes` `=` $axes attr-dict `:` type($result)";
  let builders = [
    OpBuilder<(ins "ReduceKind":$kind, "mlir::Value":$input,
                   "llvm::ArrayRef<mlir::StringAttr>":$axes)>
  ];
}

def Weft_AllGatherOp : Weft_CollectiveOp<"all_gather"> {
  let summary = "concatenates the group's tensors along a dimension";
  let description = [{
    Every device of a group gets the concatenation along `dim` of the
    group's operands, in group order: the result's dimension `dim` is G
    times the operand's.

    Example (dp = 2):
    ```mlir
    %y = weft.all_gather %x axes = ["dp"] dim = 0 : tensor<4x8xf32> -> tensor<8x8xf32>
    ```
  }];
  let arguments = (ins Weft_Tensor:$input, StrArrayAttr:$axes, I64Attr:$dim);
  let results = (outs Weft_Tensor:$result);
  let assemblyFormat = [{
    $input `axes` `=` $axes `dim` `=` $dim attr-dict `:` type($input) `->` type($result)
  }];
  let builders = [
    // The result type from the mesh of the module at the insertion point.
    OpBuilder<(ins "mlir::Value":$input, "llvm::ArrayRef<mlir::StringAttr>":$axes,
                   "int64_t":$dim)>,
    OpBuilder<(ins "MeshAttr":$mesh, "mlir::Value":$input,
                   "llvm::ArrayRef<mlir::StringAttr>":$axes, "int64_t":$dim)>
  ];
}

def Weft_ReduceScatterOp : Weft_CollectiveOp<"reduce_scatter"> {
  let summary = "combines over each group and leaves each member one block";
  let description = [{
    The elementwise sum (max, min) of the group's operands, split along
    `dim` into G equal blocks: the device at index i of its group gets block
    i. The operand's dimension `dim` must divide by G.

    Example (tp = 4):
    ```mlir
    %y = weft.reduce_scatter sum %x axes = ["tp"] dim = 1 : tensor<8x768xf32> -> tensor<8x192xf32>
    ```
  }];
  let arguments = (ins Weft_ReduceKindAttr:$kind, Weft_NumericTensor:$input,
                       StrArrayAttr:$axes, I64Attr:$dim);
  let results = (outs Weft_NumericTensor:$result);
  let assemblyFormat = [{
    $kind $input `axes` `=` $axes `dim` `=` $dim attr-dict `:` type($input) `->` type($result)
  }];
  let builders = [
    OpBuilder<(ins "ReduceKind":$kind, "mlir::Value":$input,
                   "llvm::ArrayRef<mlir::StringAttr>":$axes, "int64_t":$dim)>,
    OpBuilder<(ins "MeshAttr":$mesh, "ReduceKind":$kind, "mlir::Value":$input,
                   "llvm::ArrayRef<mlir::StringAttr>":$axes, "int64_t":$dim)>
  ];
}

def Weft_AllToAllOp : Weft_CollectiveOp<"all_to_all"> {
  let summary = "exchanges blocks: split one dimension, concatenate another";
  let description = [{
    Each device splits its operand along `split_dim` into G equal blocks and
    sends block j to the group's device j; each device concatenates what it
    receives along `concat_dim`, in group order. The result's `split_dim` is
    the operand's / G (it must divide), its `concat_dim` G times the
    operand's (the two may be the same dimension).

    Example (tp = 4):
    ```mlir
    %y = weft.all_to_all %x axes = ["tp"] split_dim = 1 concat_dim = 0
        : tensor<2x8xf32> -> tensor<8x2xf32>
    ```
  }];
  let arguments = (ins Weft_Tensor:$input, StrArrayAttr:$axes,
                       I64Attr:$split_dim, I64Attr:$concat_dim);
  let results = (outs Weft_Tensor:$result);
  let assemblyFormat = [{
    $input `axes` `=` $axes `split_dim` `=` $split_dim `concat_dim` `=` $concat_dim
    attr-dict `:` type($input) `->` type($result)
  }];
  let builders = [
    OpBuilder<(ins "mlir::Value":$input, "llvm::ArrayRef<mlir::StringAttr>":$axes,
                   "int64_t":$split_dim, "int64_t":$concat_dim)>,
    OpBuilder<(ins "MeshAttr":$mesh, "mlir::Value":$input,
                   "llvm::ArrayRef<mlir::StringAttr>":$axes,
                   "int64_t":$split_dim, "int64_t":$concat_dim)>
  ];
}

def Weft_CollectivePermuteOp : Weft_CollectiveOp<"collective_permute",
    [SameOperandsAndResultType, InferTypeOpInterface]> {
  let summary = "sends each listed device's tensor to another in its group";
  let description = [{
    `pairs` lists [source, target] indices within a group: the device at
    index `target` gets the operand of the device at index `source`. No
    index is a source twice or a target twice; devices that receive nothing
    get zeros.

    Example (a ring over pp = 4):
    ```mlir
    %y = weft.collective_permute %x axes = ["pp"] pairs = [[0, 1], [1, 2], [2, 3], [3, 0]]
        : tensor<8x768xf32>
    ```
  }];
  let arguments = (ins Weft_Tensor:$input, StrArrayAttr:$axes, ArrayAttr:$pairs);
  let results = (outs Weft_Tensor:$result);
  let assemblyFormat = [{
    $input `axes` `=` $axes `pairs` `=` $pairs attr-dict `:` type($result)
  }];
  let builders = [
    OpBuilder<(ins "mlir::Value":$input, "llvm::ArrayRef<mlir::StringAttr>":$axes,
                   "llvm::ArrayRef<std::pair<int64_t, int64_t>>":$pairs)>
  ];
  let extraClassDeclaration = extraCollectiveDeclaration # [{
    /// The (source, target) pairs (the op must be valid).
    llvm::SmallVector<std::pair<int64_t, int64_t>> getSourceTargetPairs();
  }];
}

def Weft_AxisIndexOp : Weft_CollectiveOp<"axis_index",
    [DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "the device's index within its group";
  let description = [{
    The index of the executing device within its group over `axes`:
    row-major over the listed axes (for ["dp", "tp"] on
    <dp = 2, tp = 4>: dp * 4 + tp), in [0, G).

    Example:
    ```mlir
    %i = weft.axis_index axes = ["tp"] : tensor<i64>
    ```
  }];
  let arguments = (ins StrArrayAttr:$axes);
  let results = (outs 0DTensorOf<[I64]>:$result);
  let assemblyFormat = "`axes` `=` $axes attr-dict `:` type($result)";
  let builders = [
    OpBuilder<(ins "llvm::ArrayRef<mlir::StringAttr>":$axes)>
  ];
}

def Weft_ShardingConstraintOp : Weft_Op<"sharding_constraint",
    [Pure, SameOperandsAndResultType, InferTypeOpInterface]> {
  let summary = "the user's required layout of a value (a sharding hint)";
  let description = [{
    The identity on values; `sharding` is the layout the value must have at
    this point of the program. Sharding propagation treats it as fixed and
    the SPMD partitioner turns it into a reshard. It has no folder, so it
    survives canonicalization while it has uses.

    Example:
    ```mlir
    %y = weft.sharding_constraint %x {sharding = #weft.sharding<[{dp}, {} ]>} : tensor<8x768xf32>
    ```
  }];
  let arguments = (ins Weft_Tensor:$input, Weft_ShardingAttr:$sharding);
  let results = (outs Weft_Tensor:$result);
  // The sharding sits in the attribute dictionary: a dialect attribute right
  // before the `:` would take the op's type as its own.
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let hasVerifier = 1;
}

#endif // WEFT_COLLECTIVE_OPS_TD
