// RUN: weft-opt %s -split-input-file -weft-fuse-batch-matmul-add | FileCheck %s

// Tests that scaled attention scores plus a [T, T] mask broadcast over batch and heads become one
// weft.fused_batch_matmul with alpha = the scale, beta = 1 and the unbroadcast mask as addend.

// CHECK-LABEL: func.func @scaled_scores_plus_mask
// CHECK-NEXT: %[[S:.*]] = weft.fused_batch_matmul %arg0, %arg1, %arg2 alpha = 1.250000e-01 beta = 1.000000e+00 {transpose_rhs} : tensor<2x3x8x64xf32>, tensor<2x3x8x64xf32>, tensor<8x8xf32>
// CHECK-NEXT: return %[[S]]
func.func @scaled_scores_plus_mask(%q: tensor<2x3x8x64xf32>, %k: tensor<2x3x8x64xf32>, %mask: tensor<8x8xf32>) -> tensor<2x3x8x8xf32> {
  %s = weft.batch_matmul %q, %k {transpose_rhs} : tensor<2x3x8x64xf32>, tensor<2x3x8x64xf32>
  %c = weft.constant dense<1.250000e-01> : tensor<2x3x8x8xf32>
  %t = weft.mul %s, %c : tensor<2x3x8x8xf32>
  %mb = weft.broadcast %mask dims = [2, 3] : tensor<8x8xf32> -> tensor<2x3x8x8xf32>
  %r = weft.add %t, %mb : tensor<2x3x8x8xf32>
  return %r : tensor<2x3x8x8xf32>
}

// -----

// Tests that a division by a splat constant gives alpha = 1 / c, a full-shaped addend is taken as it is, and
// operands of mul/add in either order are recognized.

// CHECK-LABEL: func.func @divided_plus_residual
// CHECK-NEXT: %[[S:.*]] = weft.fused_batch_matmul %arg0, %arg1, %arg2 alpha = 2.500000e-01 beta = 1.000000e+00 : tensor<4x8x16xf32>, tensor<4x16x8xf32>, tensor<4x8x8xf32>
// CHECK-NEXT: return %[[S]]
func.func @divided_plus_residual(%a: tensor<4x8x16xf32>, %b: tensor<4x16x8xf32>, %res: tensor<4x8x8xf32>) -> tensor<4x8x8xf32> {
  %s = weft.batch_matmul %a, %b : tensor<4x8x16xf32>, tensor<4x16x8xf32>
  %c = weft.constant dense<4.0> : tensor<4x8x8xf32>
  %t = weft.div %s, %c : tensor<4x8x8xf32>
  %r = weft.add %res, %t : tensor<4x8x8xf32>
  return %r : tensor<4x8x8xf32>
}

// CHECK-LABEL: func.func @scale_first_operand
// CHECK-NEXT: %[[S:.*]] = weft.fused_batch_matmul %arg0, %arg1, %arg2 alpha = 5.000000e-01 beta = 1.000000e+00 {transpose_lhs}
// CHECK-NEXT: return %[[S]]
func.func @scale_first_operand(%a: tensor<4x16x8xf32>, %b: tensor<4x16x8xf32>, %res: tensor<4x8x8xf32>) -> tensor<4x8x8xf32> {
  %s = weft.batch_matmul %a, %b {transpose_lhs} : tensor<4x16x8xf32>, tensor<4x16x8xf32>
  %c = weft.constant dense<0.5> : tensor<4x8x8xf32>
  %t = weft.mul %c, %s : tensor<4x8x8xf32>
  %r = weft.add %t, %res : tensor<4x8x8xf32>
  return %r : tensor<4x8x8xf32>
}

// -----

// Tests that an add without a scale gives alpha = 1, a subtract gives beta = -1, and a scale alone gives a fused op
// without addend (beta = 0).

// CHECK-LABEL: func.func @add_only
// CHECK-NEXT: weft.fused_batch_matmul %arg0, %arg1, %arg2 alpha = 1.000000e+00 beta = 1.000000e+00
func.func @add_only(%a: tensor<4x8x16xf32>, %b: tensor<4x16x8xf32>, %res: tensor<4x8x8xf32>) -> tensor<4x8x8xf32> {
  %s = weft.batch_matmul %a, %b : tensor<4x8x16xf32>, tensor<4x16x8xf32>
  %r = weft.add %s, %res : tensor<4x8x8xf32>
  return %r : tensor<4x8x8xf32>
}

// CHECK-LABEL: func.func @subtract
// CHECK-NEXT: weft.fused_batch_matmul %arg0, %arg1, %arg2 alpha = 1.000000e+00 beta = -1.000000e+00
func.func @subtract(%a: tensor<4x8x16xf32>, %b: tensor<4x16x8xf32>, %res: tensor<4x8x8xf32>) -> tensor<4x8x8xf32> {
  %s = weft.batch_matmul %a, %b : tensor<4x8x16xf32>, tensor<4x16x8xf32>
  %r = weft.sub %s, %res : tensor<4x8x8xf32>
  return %r : tensor<4x8x8xf32>
}

// CHECK-LABEL: func.func @scale_only
// CHECK-NEXT: %[[S:.*]] = weft.fused_batch_matmul %arg0, %arg1 alpha = 2.000000e+00 beta = 0.000000e+00 : tensor<4x8x16xf32>, tensor<4x16x8xf32>
// CHECK-NEXT: %[[E:.*]] = weft.exp %[[S]]
// CHECK-NEXT: return %[[E]], %[[S]]
func.func @scale_only(%a: tensor<4x8x16xf32>, %b: tensor<4x16x8xf32>) -> (tensor<4x8x8xf32>, tensor<4x8x8xf32>) {
  %s = weft.batch_matmul %a, %b : tensor<4x8x16xf32>, tensor<4x16x8xf32>
  %c = weft.constant dense<2.0> : tensor<4x8x8xf32>
  %t = weft.mul %s, %c : tensor<4x8x8xf32>
  %e = weft.exp %t : tensor<4x8x8xf32>
  return %e, %t : tensor<4x8x8xf32>, tensor<4x8x8xf32>
}

// -----

// Tests that a mask broadcast with size-1 expansion (not only along leading dimensions) is kept as a broadcast and
// passed full-shaped.

// CHECK-LABEL: func.func @padding_mask
// CHECK-NEXT: %[[MB:.*]] = weft.broadcast %arg2 dims = [0, 1, 2]
// CHECK-NEXT: weft.fused_batch_matmul %arg0, %arg1, %[[MB]] alpha = 1.000000e+00 beta = 1.000000e+00
func.func @padding_mask(%a: tensor<4x8x16xf32>, %b: tensor<4x16x8xf32>, %mask: tensor<4x1x8xf32>) -> tensor<4x8x8xf32> {
  %s = weft.batch_matmul %a, %b : tensor<4x8x16xf32>, tensor<4x16x8xf32>
  %mb = weft.broadcast %mask dims = [0, 1, 2] : tensor<4x1x8xf32> -> tensor<4x8x8xf32>
  %r = weft.add %s, %mb : tensor<4x8x8xf32>
  return %r : tensor<4x8x8xf32>
}

// -----

// Tests that nothing is fused when the product has another user, and that a plain matmul or a non-constant scale
// is not matched.

// CHECK-LABEL: func.func @product_escapes
// CHECK-NOT: weft.fused_batch_matmul
// CHECK: weft.batch_matmul
// CHECK: weft.add
func.func @product_escapes(%a: tensor<4x8x16xf32>, %b: tensor<4x16x8xf32>, %res: tensor<4x8x8xf32>) -> (tensor<4x8x8xf32>, tensor<4x8x8xf32>) {
  %s = weft.batch_matmul %a, %b : tensor<4x8x16xf32>, tensor<4x16x8xf32>
  %r = weft.add %s, %res : tensor<4x8x8xf32>
  return %r, %s : tensor<4x8x8xf32>, tensor<4x8x8xf32>
}

// CHECK-LABEL: func.func @not_matched
// CHECK-NOT: weft.fused_batch_matmul
// CHECK: weft.matmul
// CHECK: weft.batch_matmul
// CHECK: weft.mul
func.func @not_matched(%x: tensor<8x16xf32>, %w: tensor<16x8xf32>, %r: tensor<8x8xf32>, %a: tensor<4x8x16xf32>, %b: tensor<4x16x8xf32>, %scale: tensor<4x8x8xf32>) -> (tensor<8x8xf32>, tensor<4x8x8xf32>) {
  %p = weft.matmul %x, %w : tensor<8x16xf32>, tensor<16x8xf32>
  %z = weft.add %p, %r : tensor<8x8xf32>
  %s = weft.batch_matmul %a, %b : tensor<4x8x16xf32>, tensor<4x16x8xf32>
  %t = weft.mul %s, %scale : tensor<4x8x8xf32>
  return %z, %t : tensor<8x8xf32>, tensor<4x8x8xf32>
}
