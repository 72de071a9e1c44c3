// RUN: weft-opt %s | FileCheck %s
// RUN: weft-opt %s | weft-opt | FileCheck %s
// RUN: weft-opt %s -mlir-print-op-generic | weft-opt | FileCheck %s

// Tests that the fused ops (created by the fusion passes) print and parse back to the same text, with their
// optional operands and attributes, and infer their result types.

// CHECK-LABEL: func.func @norms
func.func @norms(%x: tensor<2x4x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>) -> (tensor<2x4x8xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4xf32>) {
  // CHECK: %{{.*}}, %{{.*}}, %{{.*}} = weft.layer_norm %{{.*}}, %{{.*}}, %{{.*}} epsilon = 1.000000e-05 : tensor<2x4x8xf32>, tensor<8xf32>, tensor<8xf32>
  %y, %m, %r = weft.layer_norm %x, %g, %b epsilon = 1.0e-05 : tensor<2x4x8xf32>, tensor<8xf32>, tensor<8xf32>
  // CHECK: weft.layer_norm %{{.*}} epsilon = 0.000000e+00 : tensor<2x4x8xf32>
  %y2, %m2, %r2 = weft.layer_norm %x epsilon = 0.0 : tensor<2x4x8xf32>
  // CHECK: weft.rms_norm %{{.*}}, %{{.*}} epsilon = 9.9999999999999995E-7 : tensor<2x4x8xf32>, tensor<8xf32>
  %y3, %r3 = weft.rms_norm %x, %g epsilon = 1.0e-06 : tensor<2x4x8xf32>, tensor<8xf32>
  return %y, %m, %r, %y2, %y3, %r3 : tensor<2x4x8xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4xf32>
}

// CHECK-LABEL: func.func @contractions
func.func @contractions(%a: tensor<16x32xbf16>, %w: tensor<64x32xbf16>, %bias: tensor<64xbf16>, %q: tensor<2x8x16xf32>, %k: tensor<2x8x16xf32>, %mask: tensor<8x8xf32>) -> (tensor<16x64xbf16>, tensor<16x64xbf16>, tensor<2x8x8xf32>, tensor<2x8x8xf32>) {
  // CHECK: weft.fused_matmul %{{.*}}, %{{.*}}, %{{.*}} activation = fast_gelu {transpose_rhs} : tensor<16x32xbf16>, tensor<64x32xbf16>, tensor<64xbf16>
  %0 = weft.fused_matmul %a, %w, %bias activation = fast_gelu {transpose_rhs} : tensor<16x32xbf16>, tensor<64x32xbf16>, tensor<64xbf16>
  // CHECK: weft.fused_matmul %{{.*}}, %{{.*}} {transpose_rhs} : tensor<16x32xbf16>, tensor<64x32xbf16>
  %1 = weft.fused_matmul %a, %w {transpose_rhs} : tensor<16x32xbf16>, tensor<64x32xbf16>
  // CHECK: weft.fused_matmul %{{.*}}, %{{.*}}, %{{.*}} gate %{{.*}} activation = gelu {transpose_rhs} : tensor<16x32xbf16>, tensor<64x32xbf16>, tensor<64xbf16> gate tensor<16x64xbf16>
  %g = weft.fused_matmul %a, %w, %bias gate %1 activation = gelu {transpose_rhs} : tensor<16x32xbf16>, tensor<64x32xbf16>, tensor<64xbf16> gate tensor<16x64xbf16>
  // CHECK: weft.fused_matmul %{{.*}}, %{{.*}} gate %{{.*}} {transpose_rhs} : tensor<16x32xbf16>, tensor<64x32xbf16> gate tensor<16x64xbf16>
  %g2 = weft.fused_matmul %a, %w gate %g {transpose_rhs} : tensor<16x32xbf16>, tensor<64x32xbf16> gate tensor<16x64xbf16>
  // CHECK: weft.fused_batch_matmul %{{.*}}, %{{.*}}, %{{.*}} alpha = 2.500000e-01 beta = 1.000000e+00 {transpose_rhs} : tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<8x8xf32>
  %2 = weft.fused_batch_matmul %q, %k, %mask alpha = 0.25 beta = 1.0 {transpose_rhs} : tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<8x8xf32>
  // CHECK: weft.fused_batch_matmul %{{.*}}, %{{.*}} alpha = 2.000000e+00 beta = 0.000000e+00 {transpose_rhs} : tensor<2x8x16xf32>, tensor<2x8x16xf32>
  %3 = weft.fused_batch_matmul %q, %k alpha = 2.0 beta = 0.0 {transpose_rhs} : tensor<2x8x16xf32>, tensor<2x8x16xf32>
  return %0, %g2, %2, %3 : tensor<16x64xbf16>, tensor<16x64xbf16>, tensor<2x8x8xf32>, tensor<2x8x8xf32>
}
