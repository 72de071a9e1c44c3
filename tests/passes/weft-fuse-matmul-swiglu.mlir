// RUN: weft-opt %s -split-input-file -weft-fuse-matmul-swiglu | FileCheck %s

// Tests that silu(g) * (x Wu) becomes one weft.fused_matmul with the gate g, whichever operand order the multiplies
// and the SiLU use, with the transpose flags kept (nn.Linear weights [N, K]).

// CHECK-LABEL: func.func @gate
// CHECK-NEXT: %[[H:.*]] = weft.fused_matmul %arg0, %arg1 gate %arg2 : tensor<16x32xf32>, tensor<32x64xf32> gate tensor<16x64xf32>
// CHECK-NEXT: return %[[H]]
func.func @gate(%x: tensor<16x32xf32>, %wu: tensor<32x64xf32>, %g: tensor<16x64xf32>) -> tensor<16x64xf32> {
  %u = weft.matmul %x, %wu : tensor<16x32xf32>, tensor<32x64xf32>
  %sg = weft.sigmoid %g : tensor<16x64xf32>
  %s = weft.mul %g, %sg : tensor<16x64xf32>
  %h = weft.mul %s, %u : tensor<16x64xf32>
  return %h : tensor<16x64xf32>
}

// CHECK-LABEL: func.func @operands_swapped
// CHECK-NEXT: %[[G:.*]] = weft.matmul %arg0, %arg1 {transpose_rhs}
// CHECK-NEXT: %[[H:.*]] = weft.fused_matmul %arg0, %arg2 gate %[[G]] {transpose_rhs} : tensor<16x32xf32>, tensor<64x32xf32> gate tensor<16x64xf32>
// CHECK-NEXT: return %[[H]]
func.func @operands_swapped(%x: tensor<16x32xf32>, %wg: tensor<64x32xf32>, %wu: tensor<64x32xf32>) -> tensor<16x64xf32> {
  %g = weft.matmul %x, %wg {transpose_rhs} : tensor<16x32xf32>, tensor<64x32xf32>
  %u = weft.matmul %x, %wu {transpose_rhs} : tensor<16x32xf32>, tensor<64x32xf32>
  %sg = weft.sigmoid %g : tensor<16x64xf32>
  %s = weft.mul %sg, %g : tensor<16x64xf32>
  %h = weft.mul %u, %s : tensor<16x64xf32>
  return %h : tensor<16x64xf32>
}

// -----

// Tests nn::Linear on 3-D inputs: the products are reshaped to [B, T, N]; the fused op reads the gate's [M, N]
// source and its result is reshaped like the product was.

// CHECK-LABEL: func.func @reshaped
// CHECK: %[[G:.*]] = weft.matmul %arg0, %arg1
// CHECK-NOT: weft.sigmoid
// CHECK: %[[F:.*]] = weft.fused_matmul %arg0, %arg2 gate %[[G]] : tensor<8x32xbf16>, tensor<32x64xbf16> gate tensor<8x64xbf16>
// CHECK-NEXT: %[[H:.*]] = weft.reshape %[[F]] : tensor<8x64xbf16> -> tensor<2x4x64xbf16>
// CHECK-NEXT: return %[[H]]
func.func @reshaped(%x: tensor<8x32xbf16>, %wg: tensor<32x64xbf16>, %wu: tensor<32x64xbf16>) -> tensor<2x4x64xbf16> {
  %g2 = weft.matmul %x, %wg : tensor<8x32xbf16>, tensor<32x64xbf16>
  %g = weft.reshape %g2 : tensor<8x64xbf16> -> tensor<2x4x64xbf16>
  %u2 = weft.matmul %x, %wu : tensor<8x32xbf16>, tensor<32x64xbf16>
  %u = weft.reshape %u2 : tensor<8x64xbf16> -> tensor<2x4x64xbf16>
  %sg = weft.sigmoid %g : tensor<2x4x64xbf16>
  %s = weft.mul %g, %sg : tensor<2x4x64xbf16>
  %h = weft.mul %s, %u : tensor<2x4x64xbf16>
  return %h : tensor<2x4x64xbf16>
}

// -----

// Tests that nothing is fused when a value the epilogue would absorb has another user (a training step keeps the
// product and the SiLU for the backward pass), or when the other factor is not a SiLU of its own input.

// CHECK-LABEL: func.func @kept_for_backward
// CHECK-NOT: weft.fused_matmul
// CHECK: return
func.func @kept_for_backward(%x: tensor<16x32xf32>, %wu: tensor<32x64xf32>, %g: tensor<16x64xf32>) -> (tensor<16x64xf32>, tensor<16x64xf32>, tensor<16x64xf32>) {
  %u = weft.matmul %x, %wu : tensor<16x32xf32>, tensor<32x64xf32>
  %sg = weft.sigmoid %g : tensor<16x64xf32>
  %s = weft.mul %g, %sg : tensor<16x64xf32>
  %h = weft.mul %s, %u : tensor<16x64xf32>
  return %h, %u, %s : tensor<16x64xf32>, tensor<16x64xf32>, tensor<16x64xf32>
}

// CHECK-LABEL: func.func @not_a_silu
// CHECK-NOT: weft.fused_matmul
// CHECK: return
func.func @not_a_silu(%x: tensor<16x32xf32>, %wu: tensor<32x64xf32>, %g: tensor<16x64xf32>, %y: tensor<16x64xf32>) -> tensor<16x64xf32> {
  %u = weft.matmul %x, %wu : tensor<16x32xf32>, tensor<32x64xf32>
  %sg = weft.sigmoid %y : tensor<16x64xf32>
  %s = weft.mul %g, %sg : tensor<16x64xf32>
  %h = weft.mul %s, %u : tensor<16x64xf32>
  return %h : tensor<16x64xf32>
}
