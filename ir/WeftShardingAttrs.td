//===- WeftShardingAttrs.td - mesh and sharding attributes -----------------===//
//
// This file defines the attributes that describe how a program is spread over
// a mesh of devices: #weft.mesh (the named axes of the device mesh, on the
// module), #weft.dim_sharding (how one tensor dimension is split over mesh
// axes) and #weft.sharding (a tensor's layout: one dim_sharding per dimension
// plus the axes over which the value is a pending sum). Their C++ helpers
// (local shapes, verification against a mesh and a type) live in
// ir/Sharding.{h,cpp}; the collective ops that move data between the shards
// are in ir/WeftCollectiveOps.td.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_SHARDING_ATTRS_TD
#define WEFT_SHARDING_ATTRS_TD

include "mlir/IR/AttrTypeBase.td"

class Weft_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Weft_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def Weft_MeshAttr : Weft_Attr<"Mesh", "mesh"> {
  let summary = "a logical mesh of devices with named axes";
  let description = [{
    The devices of a program, arranged as an N-dimensional grid whose axes
    have names and sizes. Ranks are numbered row-major over the axes in the
    order written (the last axis varies fastest): on `<dp = 2, tp = 4>` rank
    r has coordinates (dp = r / 4, tp = r % 4). It sits on the module as
    `weft.mesh` (ir/AttrNames.h). At least one axis; names are non-empty and
    unique; sizes are >= 1.

    Example:
    ```mlir
    module attributes {weft.mesh = #weft.mesh<dp = 2, tp = 4>} { ... }
    ```
  }];
  let parameters = (ins ArrayRefParameter<"mlir::StringAttr">:$axisNames,
                        ArrayRefParameter<"int64_t">:$axisSizes);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The number of devices: the product of the axis sizes.
    int64_t numDevices() const;
    /// The position of the axis named `name`, if the mesh has one.
    std::optional<unsigned> axisIndex(llvm::StringRef name) const;
    /// The size of axis `name` (which must exist: asserts).
    int64_t axisSize(llvm::StringRef name) const;
    /// The number of devices in a group spanned by `axes`: the product of
    /// their sizes (1 for none). Every axis must exist.
    int64_t groupSize(llvm::ArrayRef<mlir::StringAttr> axes) const;
    /// The mesh coordinates of `rank` (row-major, last axis fastest).
    llvm::SmallVector<int64_t> coordinates(int64_t rank) const;
  }];
}

def Weft_DimShardingAttr : Weft_Attr<"DimSharding", "dim_sharding"> {
  let summary = "how one tensor dimension is split over mesh axes";
  let description = [{
    `axes` lists the mesh axes the dimension is split over, major to minor
    (`{dp, tp}` on `<dp = 2, tp = 4>` makes 8 pieces, piece = dp * 4 + tp).
    No axes means the dimension is not split.

    `blocks` (default 1) views a dimension of size N as [blocks, N / blocks]
    and splits the inner part: every rank holds its contiguous piece of each
    of the blocks (Megatron's fused QKV: a [3C] dimension with `x 3` split over
    tp gives each rank [3, C / tp], i.e. 3C / tp elements). With k pieces the
    local size is ceil(N / (blocks * k)) * blocks; the last pieces are padded
    when k does not divide N. blocks > 1 requires N divisible by blocks * k.

    Printed inside #weft.sharding as `{axis, ...}` optionally followed by
    `x BLOCKS`; on its own as `#weft.dim_sharding<{tp} x 3>`.
  }];
  let parameters = (ins ArrayRefParameter<"mlir::StringAttr">:$axes,
                        "int64_t":$blocks);
  let builders = [
    AttrBuilder<(ins "llvm::ArrayRef<mlir::StringAttr>":$axes), [{
      return $_get($_ctxt, axes, 1);
    }]>
  ];
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// True if the dimension is split over at least one axis.
    bool isSplit() const { return !getAxes().empty(); }
    /// Parses `{axis, ...}` optionally followed by `x BLOCKS`.
    static DimShardingAttr parseBody(mlir::AsmParser &parser);
    /// Prints `{axis, ...}` and ` x BLOCKS` when blocks != 1.
    void printBody(mlir::AsmPrinter &printer) const;
  }];
}

def Weft_ShardingAttr : Weft_Attr<"Sharding", "sharding"> {
  let summary = "the layout of a tensor over a mesh";
  let description = [{
    One #weft.dim_sharding per tensor dimension and, after `partial`, the
    mesh axes over which the value is a pending sum (each rank of a group
    over those axes holds an addend; the true value is their sum). Every
    mesh axis appears at most once in the whole sharding (in one dimension
    or in `partial`); axes not named are replicated. Checked against a mesh
    and a tensor type by `weft::verifySharding` (ir/Sharding.h). On function
    arguments and results as `weft.sharding`, on ops as `weft.shardings`
    (one per result).

    Example (rank 3: dim 0 replicated, dim 1 over tp, dim 2 over dp and tp in
    3 blocks, a pending sum over pp):
    ```mlir
    #weft.sharding<[{}, {tp}, {dp} x 3] partial {pp}>
    ```
  }];
  let parameters = (ins ArrayRefParameter<"DimShardingAttr">:$dims,
                        ArrayRefParameter<"mlir::StringAttr">:$partial);
  let builders = [
    AttrBuilder<(ins "llvm::ArrayRef<DimShardingAttr>":$dims), [{
      return $_get($_ctxt, dims, llvm::ArrayRef<mlir::StringAttr>{});
    }]>
  ];
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The tensor rank this sharding describes.
    unsigned getRank() const { return getDims().size(); }
    /// True if no dimension is split and nothing is partial.
    bool isReplicated() const;
    /// The mesh axes used, dimensions first (in order), then partial.
    llvm::SmallVector<mlir::StringAttr> usedAxes() const;
    /// The sharding of rank `rank` with nothing split and nothing partial.
    static ShardingAttr replicated(mlir::MLIRContext *ctx, unsigned rank);
    /// This sharding with `partial` replaced.
    ShardingAttr withPartial(llvm::ArrayRef<mlir::StringAttr> partial) const;
    /// This sharding with dimension `d` replaced.
    ShardingAttr withDim(unsigned d, DimShardingAttr dim) const;
  }];
}

#endif // WEFT_SHARDING_ATTRS_TD
