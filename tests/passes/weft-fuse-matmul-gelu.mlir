// RUN: weft-opt %s -split-input-file -weft-fuse-matmul-gelu | FileCheck %s

// Tests that matmul + [N] bias + gelu_tanh becomes one weft.fused_matmul with a bias and gelu_tanh epilogue.

// CHECK-LABEL: func.func @bias_gelu_tanh
// CHECK-NEXT: %[[Y:.*]] = weft.fused_matmul %arg0, %arg1, %arg2 activation = gelu_tanh : tensor<16x32xf32>, tensor<32x64xf32>, tensor<64xf32>
// CHECK-NEXT: return %[[Y]]
func.func @bias_gelu_tanh(%x: tensor<16x32xf32>, %w: tensor<32x64xf32>, %b: tensor<64xf32>) -> tensor<16x64xf32> {
  %p = weft.matmul %x, %w : tensor<16x32xf32>, tensor<32x64xf32>
  %bb = weft.broadcast %b dims = [1] : tensor<64xf32> -> tensor<16x64xf32>
  %z = weft.add %p, %bb : tensor<16x64xf32>
  %h = weft.gelu_tanh %z : tensor<16x64xf32>
  return %h : tensor<16x64xf32>
}

// -----

// Tests that the transpose flags are kept, the bias may be the add's first operand, and exact gelu and fast_gelu are
// absorbed too, also without a bias.

// CHECK-LABEL: func.func @transposed_gelu
// CHECK-NEXT: %[[Y:.*]] = weft.fused_matmul %arg0, %arg1, %arg2 activation = gelu {transpose_rhs} : tensor<16x32xf32>, tensor<64x32xf32>, tensor<64xf32>
// CHECK-NEXT: return %[[Y]]
func.func @transposed_gelu(%x: tensor<16x32xf32>, %w: tensor<64x32xf32>, %b: tensor<64xf32>) -> tensor<16x64xf32> {
  %p = weft.matmul %x, %w {transpose_rhs} : tensor<16x32xf32>, tensor<64x32xf32>
  %bb = weft.broadcast %b dims = [1] : tensor<64xf32> -> tensor<16x64xf32>
  %z = weft.add %bb, %p : tensor<16x64xf32>
  %h = weft.gelu %z : tensor<16x64xf32>
  return %h : tensor<16x64xf32>
}

// CHECK-LABEL: func.func @fast_gelu_no_bias
// CHECK-NEXT: %[[Y:.*]] = weft.fused_matmul %arg0, %arg1 activation = fast_gelu {transpose_lhs} : tensor<32x16xf32>, tensor<32x64xf32>
// CHECK-NEXT: return %[[Y]]
func.func @fast_gelu_no_bias(%x: tensor<32x16xf32>, %w: tensor<32x64xf32>) -> tensor<16x64xf32> {
  %p = weft.matmul %x, %w {transpose_lhs} : tensor<32x16xf32>, tensor<32x64xf32>
  %h = weft.fast_gelu %p : tensor<16x64xf32>
  return %h : tensor<16x64xf32>
}

// -----

// Tests that a bias add alone becomes a fused_matmul without activation.

// CHECK-LABEL: func.func @bias_only
// CHECK-NEXT: %[[Y:.*]] = weft.fused_matmul %arg0, %arg1, %arg2 : tensor<16x32xf32>, tensor<32x64xf32>, tensor<64xf32>
// CHECK-NEXT: return %[[Y]]
func.func @bias_only(%x: tensor<16x32xf32>, %w: tensor<32x64xf32>, %b: tensor<64xf32>) -> tensor<16x64xf32> {
  %p = weft.matmul %x, %w : tensor<16x32xf32>, tensor<32x64xf32>
  %bb = weft.broadcast %b dims = [1] : tensor<64xf32> -> tensor<16x64xf32>
  %z = weft.add %p, %bb : tensor<16x64xf32>
  return %z : tensor<16x64xf32>
}

// -----

// Tests that nn::Linear's form on 3-D inputs (matmul, bias, reshape back, then the activation) fuses through the
// reshape: the fused product is reshaped.

// CHECK-LABEL: func.func @through_reshape
// CHECK-NEXT: %[[X2:.*]] = weft.reshape %arg0
// CHECK-NEXT: %[[F:.*]] = weft.fused_matmul %[[X2]], %arg1, %arg2 activation = gelu_tanh
// CHECK-NEXT: %[[R:.*]] = weft.reshape %[[F]] : tensor<8x64xf32> -> tensor<2x4x64xf32>
// CHECK-NEXT: return %[[R]]
func.func @through_reshape(%x: tensor<2x4x32xf32>, %w: tensor<32x64xf32>, %b: tensor<64xf32>) -> tensor<2x4x64xf32> {
  %x2 = weft.reshape %x : tensor<2x4x32xf32> -> tensor<8x32xf32>
  %p = weft.matmul %x2, %w : tensor<8x32xf32>, tensor<32x64xf32>
  %bb = weft.broadcast %b dims = [1] : tensor<64xf32> -> tensor<8x64xf32>
  %z = weft.add %p, %bb : tensor<8x64xf32>
  %z3 = weft.reshape %z : tensor<8x64xf32> -> tensor<2x4x64xf32>
  %h = weft.gelu_tanh %z3 : tensor<2x4x64xf32>
  return %h : tensor<2x4x64xf32>
}

// -----

// Tests that a pre-activation value with another user keeps its activation separate: only the bias is fused.

// CHECK-LABEL: func.func @preactivation_escapes
// CHECK-NEXT: %[[Z:.*]] = weft.fused_matmul %arg0, %arg1, %arg2 : tensor<16x32xf32>, tensor<32x64xf32>, tensor<64xf32>
// CHECK-NEXT: %[[H:.*]] = weft.gelu %[[Z]]
// CHECK-NEXT: return %[[H]], %[[Z]]
func.func @preactivation_escapes(%x: tensor<16x32xf32>, %w: tensor<32x64xf32>, %b: tensor<64xf32>) -> (tensor<16x64xf32>, tensor<16x64xf32>) {
  %p = weft.matmul %x, %w : tensor<16x32xf32>, tensor<32x64xf32>
  %bb = weft.broadcast %b dims = [1] : tensor<64xf32> -> tensor<16x64xf32>
  %z = weft.add %p, %bb : tensor<16x64xf32>
  %h = weft.gelu %z : tensor<16x64xf32>
  return %h, %z : tensor<16x64xf32>, tensor<16x64xf32>
}

// -----

// Tests that nothing is fused when the product itself has another user.

// CHECK-LABEL: func.func @product_escapes
// CHECK-NOT: weft.fused_matmul
// CHECK: weft.matmul
// CHECK: weft.gelu
func.func @product_escapes(%x: tensor<16x32xf32>, %w: tensor<32x64xf32>) -> (tensor<16x64xf32>, tensor<16x64xf32>) {
  %p = weft.matmul %x, %w : tensor<16x32xf32>, tensor<32x64xf32>
  %h = weft.gelu %p : tensor<16x64xf32>
  return %h, %p : tensor<16x64xf32>, tensor<16x64xf32>
}

// -----

// Tests that batch_matmul is not matched, nor an add of a full [M, N] tensor (not a bias), nor another activation.

// CHECK-LABEL: func.func @not_matched
// CHECK-NOT: weft.fused_matmul
// CHECK: weft.batch_matmul
// CHECK: weft.gelu
// CHECK: weft.matmul
// CHECK: weft.add
// CHECK: weft.matmul
// CHECK: weft.relu
func.func @not_matched(%a: tensor<2x16x32xf32>, %b: tensor<2x32x64xf32>, %x: tensor<16x32xf32>, %w: tensor<32x64xf32>, %r: tensor<16x64xf32>) -> (tensor<2x16x64xf32>, tensor<16x64xf32>, tensor<16x64xf32>) {
  %p = weft.batch_matmul %a, %b : tensor<2x16x32xf32>, tensor<2x32x64xf32>
  %h = weft.gelu %p : tensor<2x16x64xf32>
  %q = weft.matmul %x, %w : tensor<16x32xf32>, tensor<32x64xf32>
  %z = weft.add %q, %r : tensor<16x64xf32>
  %s = weft.matmul %x, %w : tensor<16x32xf32>, tensor<32x64xf32>
  %t = weft.relu %s : tensor<16x64xf32>
  return %h, %z, %t : tensor<2x16x64xf32>, tensor<16x64xf32>, tensor<16x64xf32>
}
