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
