// RUN: weft-opt %s -split-input-file -weft-print-stats | FileCheck %s

// Tests that weft-print-stats counts 2*M*N*K FLOPs for a matmul and the bytes of operands and result.

// CHECK-LABEL: stats @matmul
// CHECK-NEXT: weft.matmul count = 1, flops = 1024, bytes = 896
// CHECK-NEXT: total ops = 1, flops = 1024, bytes = 896
func.func @matmul(%a: tensor<8x16xf32>, %b: tensor<16x4xf32>) -> tensor<8x4xf32> {
  %0 = weft.matmul %a, %b : tensor<8x16xf32>, tensor<16x4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

// Tests that transposed and batched contractions take K from the right dimension, elementwise ops count one
// FLOP per element, and reshapes and constants cost nothing.

// CHECK-LABEL: stats @mixed
// CHECK-NEXT: weft.add count = 1, flops = 24, bytes = 288
// CHECK-NEXT: weft.batch_matmul count = 1, flops = 240, bytes = 376
// CHECK-NEXT: weft.constant count = 1, flops = 0, bytes = 0
// CHECK-NEXT: weft.reshape count = 1, flops = 0, bytes = 0
// CHECK-NEXT: total ops = 4, flops = 264, bytes = 664
func.func @mixed(%a: tensor<2x5x4xf32>, %b: tensor<2x3x5xf32>) -> tensor<4x6xf32> {
  %0 = weft.batch_matmul %a, %b {transpose_lhs, transpose_rhs} : tensor<2x5x4xf32>, tensor<2x3x5xf32>
  %1 = weft.reshape %0 : tensor<2x4x3xf32> -> tensor<4x6xf32>
  %c = weft.constant dense<1.0> : tensor<4x6xf32>
  %2 = weft.add %1, %c : tensor<4x6xf32>
  return %2 : tensor<4x6xf32>
}

// -----

// Tests that a gather moves its indices and the rows it returns (read, then written), not the whole table, and a
// slice its window: 50x768 f32 table, 4 indices -> 4x768 f32 (2 * 12288 + 32 bytes); a 4x16 window of 8x16.

// CHECK-LABEL: stats @gather_and_slice
// CHECK-NEXT: weft.gather count = 1, flops = 0, bytes = 24608
// CHECK-NEXT: weft.slice count = 1, flops = 0, bytes = 512
func.func @gather_and_slice(%e: tensor<50x768xf32>, %t: tensor<4xi64>, %x: tensor<8x16xf32>) -> (tensor<4x768xf32>, tensor<4x16xf32>) {
  %0 = weft.gather %e[%t] : tensor<50x768xf32>, tensor<4xi64>
  %1 = weft.slice %x start = [0, 0] limit = [4, 16] strides = [1, 1] : tensor<8x16xf32>
  return %0, %1 : tensor<4x768xf32>, tensor<4x16xf32>
}

// -----

// Tests that counts saturate instead of wrapping: 2*M*N*K = 2^91 FLOPs here (each operand is 2^62 bytes, the
// largest tensor the verifier accepts); the count used to print as a negative number.

// CHECK-LABEL: stats @huge_matmul
// CHECK-NEXT: weft.matmul count = 1, flops = 9223372036854775807, bytes = 9223372036854775807
func.func @huge_matmul(%a: tensor<1073741824x1073741824xf32>, %b: tensor<1073741824x1073741824xf32>) -> tensor<1073741824x1073741824xf32> {
  %0 = weft.matmul %a, %b : tensor<1073741824x1073741824xf32>, tensor<1073741824x1073741824xf32>
  return %0 : tensor<1073741824x1073741824xf32>
}

// -----

// Tests that a fusion counts its body's FLOPs (one per element each op reads: 5 x 32) and, per reduction in it, one
// more pass over the reduction's input: a softmax-like kernel over [4, 8] f32 (128 B) reads its operand and writes
// its result (256 B), and its max and sum passes read 128 B each: 512 B.

// CHECK-LABEL: stats @fused_softmax
// CHECK-NEXT: weft.fusion count = 1, flops = 160, bytes = 512
// CHECK-NEXT: total ops = 1, flops = 160, bytes = 512
func.func @fused_softmax(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = weft.fusion %x : (tensor<4x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>):
    %m = weft.reduce max %a dims = [1] : tensor<4x8xf32>
    %mb = weft.broadcast %m dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
    %d = weft.sub %a, %mb : tensor<4x8xf32>
    %e = weft.exp %d : tensor<4x8xf32>
    %s = weft.reduce sum %e dims = [1] : tensor<4x8xf32>
    %sb = weft.broadcast %s dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
    %y = weft.div %e, %sb : tensor<4x8xf32>
    weft.yield %y : tensor<4x8xf32>
  }
  return %0 : tensor<4x8xf32>
}
