//===- WeftDialect.td - the weft dialect and its attributes ---------------===//
//
// This file declares the weft dialect: whole-program tensor graphs with static
// shapes, produced by the C++ DSL (frontend/) and consumed by the graph passes
// (passes/) and code generators (codegen/). Enumerations used by op attributes
// (comparison direction, reduction kind, fused epilogue activation) live here
// too, and the mesh and sharding attributes (ir/WeftShardingAttrs.td).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_DIALECT_TD
#define WEFT_DIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Weft_Dialect : Dialect {
  let name = "weft";
  let cppNamespace = "::weft";
  let summary = "Tensor graphs for training and serving models on a mesh of devices";
  let description = [{
    The weft dialect holds a model as a function over ranked tensors with
    static shapes. Element types are f32, f16, bf16, i32, i64 and i1.
    Parameters, inputs and outputs of a model are function arguments and
    results, tagged with `weft.param`, `weft.input` and `weft.output` names
    (spelled once, in ir/AttrNames.h).
    Ops take operands of exactly the shapes they need: broadcasting is an
    explicit `weft.broadcast`, as in StableHLO.
  }];
  let useDefaultAttributePrinterParser = 1;
  let usePropertiesForAttributes = 0;
  let hasConstantMaterializer = 1;
  // The weft.* attributes of function arguments and results and of ops
  // (ir/AttrNames.h) are checked where they are attached: ir/AttrVerifier.cpp.
  let hasRegionArgAttrVerify = 1;
  let hasRegionResultAttrVerify = 1;
  let hasOperationAttrVerify = 1;
  let extraClassDeclaration = [{
    /// Registers the attributes (defined in ir/WeftShardingAttrs.cpp, where
    /// their storage classes are generated).
    void registerAttributes();
  }];
}

def Weft_CompareDirection : I32EnumAttr<"CompareDirection",
    "how weft.compare relates its operands", [
      I32EnumAttrCase<"EQ", 0, "eq">, I32EnumAttrCase<"NE", 1, "ne">,
      I32EnumAttrCase<"LT", 2, "lt">, I32EnumAttrCase<"LE", 3, "le">,
      I32EnumAttrCase<"GT", 4, "gt">, I32EnumAttrCase<"GE", 5, "ge">]> {
  let cppNamespace = "::weft";
  let genSpecializedAttr = 0;
}
def Weft_CompareDirectionAttr :
    EnumAttr<Weft_Dialect, Weft_CompareDirection, "compare_direction"> {
  let assemblyFormat = "$value";
}

def Weft_ReduceKind : I32EnumAttr<"ReduceKind",
    "the combining function of weft.reduce", [
      I32EnumAttrCase<"Sum", 0, "sum">, I32EnumAttrCase<"Mean", 1, "mean">,
      I32EnumAttrCase<"Max", 2, "max">, I32EnumAttrCase<"Min", 3, "min">]> {
  let cppNamespace = "::weft";
  let genSpecializedAttr = 0;
}
def Weft_ReduceKindAttr : EnumAttr<Weft_Dialect, Weft_ReduceKind, "reduce_kind"> {
  let assemblyFormat = "$value";
}

def Weft_EpilogueActivation : I32EnumAttr<"EpilogueActivation",
    "the activation applied by weft.fused_matmul's epilogue", [
      I32EnumAttrCase<"None", 0, "none">, I32EnumAttrCase<"Gelu", 1, "gelu">,
      I32EnumAttrCase<"GeluTanh", 2, "gelu_tanh">,
      I32EnumAttrCase<"FastGelu", 3, "fast_gelu">]> {
  let cppNamespace = "::weft";
  let genSpecializedAttr = 0;
}
def Weft_EpilogueActivationAttr :
    EnumAttr<Weft_Dialect, Weft_EpilogueActivation, "activation"> {
  let assemblyFormat = "$value";
}

include "ir/WeftShardingAttrs.td"

#endif // WEFT_DIALECT_TD
