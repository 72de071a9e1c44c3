//===- WeftBase.td - shared definitions of weft's op files -----------------===//
//
// This file defines what every weft op file shares: the dialect, the tensor
// type constraints, the size bound every op verifies and the Weft_Op base
// class.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_BASE_TD
#define WEFT_BASE_TD

include "ir/WeftDialect.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def Weft_Tensor : StaticShapeTensorOf<[F32, F16, BF16, I32, I64, I1]>;
def Weft_NumericTensor : StaticShapeTensorOf<[F32, F16, BF16, I32, I64]>;
def Weft_FloatTensor : StaticShapeTensorOf<[F32, F16, BF16]>;
def Weft_IndexTensor : StaticShapeTensorOf<[I32, I64]>;
def Weft_BoolTensor : StaticShapeTensorOf<[I1]>;
// What a table may hold: the tensors above or int8 (the int8 rows of a
// quantized embedding table, gathered and then cast to a float type).
def Weft_TableTensor : StaticShapeTensorOf<[F32, F16, BF16, I32, I64, I1, I8]>;

// Every weft op verifies that its tensors hold at most 2^62 bytes
// (ir/TensorSizeLimits.h), so size and offset arithmetic cannot overflow.
def Weft_BoundedTensorSizes : NativeOpTrait<"BoundedTensorSizes"> {
  let cppNamespace = "::weft::traits";
}

class Weft_Op<string mnemonic, list<Trait> traits = []> :
    Op<Weft_Dialect, mnemonic, !listconcat(traits, [Weft_BoundedTensorSizes])>;

#endif // WEFT_BASE_TD
