// RUN: weft-opt %s -split-input-file -verify-diagnostics

// Tests that weft.dynamic_update_slice's verifier rejects a dimension out of range, an update of another element
// type or rank, a block longer than the dimension, a mismatch on another dimension and an offset that is not a
// rank-0 integer, naming the shapes.

func.func @dim_out_of_range(%c: tensor<2x8x4xf32>, %u: tensor<2x1x4xf32>, %p: tensor<i64>) {
  // expected-error @+1 {{'weft.dynamic_update_slice' op dim 3 is outside [0, 3) for an operand of shape [2, 8, 4]}}
  %0 = weft.dynamic_update_slice %c[%p], %u dim = 3 : tensor<2x8x4xf32>, tensor<2x1x4xf32>, tensor<i64>
  return
}

// -----

func.func @element_type(%c: tensor<2x8x4xf32>, %u: tensor<2x1x4xf16>, %p: tensor<i64>) {
  // expected-error @+1 {{'weft.dynamic_update_slice' op update element type 'f16' differs from the operand's 'f32'}}
  %0 = weft.dynamic_update_slice %c[%p], %u dim = 1 : tensor<2x8x4xf32>, tensor<2x1x4xf16>, tensor<i64>
  return
}

// -----

func.func @rank(%c: tensor<2x8x4xf32>, %u: tensor<2x4xf32>, %p: tensor<i64>) {
  // expected-error @+1 {{'weft.dynamic_update_slice' op update of shape [2, 4] has rank 2 but the operand [2, 8, 4] has rank 3}}
  %0 = weft.dynamic_update_slice %c[%p], %u dim = 1 : tensor<2x8x4xf32>, tensor<2x4xf32>, tensor<i64>
  return
}

// -----

func.func @longer_block(%c: tensor<2x8x4xf32>, %u: tensor<2x9x4xf32>, %p: tensor<i64>) {
  // expected-error @+1 {{'weft.dynamic_update_slice' op update of shape [2, 9, 4] does not fit the operand [2, 8, 4] at dimension 1: the block is longer than the operand along dim}}
  %0 = weft.dynamic_update_slice %c[%p], %u dim = 1 : tensor<2x8x4xf32>, tensor<2x9x4xf32>, tensor<i64>
  return
}

// -----

func.func @other_dimension(%c: tensor<2x8x4xf32>, %u: tensor<3x1x4xf32>, %p: tensor<i64>) {
  // expected-error @+1 {{'weft.dynamic_update_slice' op update of shape [3, 1, 4] does not fit the operand [2, 8, 4] at dimension 0: every dimension but dim must equal the operand's}}
  %0 = weft.dynamic_update_slice %c[%p], %u dim = 1 : tensor<2x8x4xf32>, tensor<3x1x4xf32>, tensor<i64>
  return
}

// -----

func.func @offset_rank(%c: tensor<2x8x4xf32>, %u: tensor<2x1x4xf32>, %p: tensor<1xi64>) {
  // expected-error @+1 {{operand #2 must be 0D tensor of 32-bit signless integer or 64-bit signless integer values}}
  %0 = weft.dynamic_update_slice %c[%p], %u dim = 1 : tensor<2x8x4xf32>, tensor<2x1x4xf32>, tensor<1xi64>
  return
}
