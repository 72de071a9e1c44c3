// RUN: weft-opt %s -split-input-file -canonicalize | FileCheck %s

// Tests that a cast of a splat float constant folds to a splat constant of the new type (rounded to nearest even),
// so fusion can recompute it in every kernel instead of reading a materialized tensor.

// CHECK-LABEL: func.func @cast_of_splat
// CHECK-NEXT: %[[C:.*]] = weft.constant dense<1.250000e-01> : tensor<4x8xbf16>
// CHECK-NEXT: %[[M:.*]] = weft.mul %arg0, %[[C]] : tensor<4x8xbf16>
// CHECK-NEXT: return %[[M]]
func.func @cast_of_splat(%x: tensor<4x8xbf16>) -> tensor<4x8xbf16> {
  %c = weft.constant dense<0.125> : tensor<4x8xf32>
  %b = weft.cast %c : tensor<4x8xf32> -> tensor<4x8xbf16>
  %m = weft.mul %x, %b : tensor<4x8xbf16>
  return %m : tensor<4x8xbf16>
}

// -----

// Tests that a cast of a non-splat constant is not folded (it would copy the data).

// CHECK-LABEL: func.func @cast_of_dense_stays
// CHECK: weft.cast
func.func @cast_of_dense_stays() -> tensor<2xbf16> {
  %c = weft.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %b = weft.cast %c : tensor<2xf32> -> tensor<2xbf16>
  return %b : tensor<2xbf16>
}

// -----

// Tests that weft.stop_gradient folds to its input (it only matters to weft-autodiff, which runs before).

// CHECK-LABEL: func.func @stop_gradient_folds
// CHECK-NEXT: %[[E:.*]] = weft.exp %arg0
// CHECK-NEXT: return %[[E]]
func.func @stop_gradient_folds(%x: tensor<4xf32>) -> tensor<4xf32> {
  %s = weft.stop_gradient %x : tensor<4xf32>
  %e = weft.exp %s : tensor<4xf32>
  return %e : tensor<4xf32>
}

// -----

// Tests that the sum of zero-padded concats (the gradient of three slices of one tensor) becomes one concat of the
// three pieces: no padding is written or added.

// CHECK-LABEL: func.func @padded_slice_gradients
// CHECK-NEXT: %[[C:.*]] = weft.concat %arg0, %arg1, %arg2 dim = 1 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
// CHECK-NEXT: return %[[C]]
func.func @padded_slice_gradients(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>, %c: tensor<2x3xf32>) -> tensor<2x9xf32> {
  %z3 = weft.constant dense<0.0> : tensor<2x3xf32>
  %z6 = weft.constant dense<0.0> : tensor<2x6xf32>
  %pa = weft.concat %a, %z6 dim = 1 : tensor<2x3xf32>, tensor<2x6xf32>
  %pb = weft.concat %z3, %b, %z3 dim = 1 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
  %pc = weft.concat %z6, %c dim = 1 : tensor<2x6xf32>, tensor<2x3xf32>
  %s0 = weft.add %pa, %pb : tensor<2x9xf32>
  %s1 = weft.add %s0, %pc : tensor<2x9xf32>
  return %s1 : tensor<2x9xf32>
}

// -----

// Tests that concats whose non-zero pieces overlap, or whose zero padding would cut a non-zero piece, stay a sum.

// CHECK-LABEL: func.func @overlapping_concats_stay
// CHECK: weft.add
// CHECK: weft.add
func.func @overlapping_concats_stay(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>, %w: tensor<2x6xf32>)
    -> (tensor<2x6xf32>, tensor<2x6xf32>) {
  %z3 = weft.constant dense<0.0> : tensor<2x3xf32>
  %pa = weft.concat %a, %z3 dim = 1 : tensor<2x3xf32>, tensor<2x3xf32>
  %pb = weft.concat %b, %z3 dim = 1 : tensor<2x3xf32>, tensor<2x3xf32>
  %s = weft.add %pa, %pb : tensor<2x6xf32>
  %z2 = weft.constant dense<0.0> : tensor<2x2xf32>
  %z4 = weft.constant dense<0.0> : tensor<2x4xf32>
  %p2 = weft.concat %z2, %z4 dim = 1 : tensor<2x2xf32>, tensor<2x4xf32>
  %pw = weft.concat %a, %b dim = 1 : tensor<2x3xf32>, tensor<2x3xf32>
  %t = weft.add %pw, %p2 : tensor<2x6xf32>
  return %s, %t : tensor<2x6xf32>, tensor<2x6xf32>
}
