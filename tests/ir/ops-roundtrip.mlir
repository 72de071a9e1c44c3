// RUN: weft-opt %s | FileCheck %s
// RUN: weft-opt %s | weft-opt | FileCheck %s
// RUN: weft-opt %s -mlir-print-op-generic | weft-opt | FileCheck %s

// Tests that every weft op prints and parses back to the same text.

// CHECK-LABEL: func.func @elementwise
func.func @elementwise(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>, %i: tensor<4x8xi64>) -> tensor<4x8xf32> {
  // CHECK: weft.neg %{{.*}} : tensor<4x8xf32>
  %0 = weft.neg %a : tensor<4x8xf32>
  // CHECK: weft.abs
  %1 = weft.abs %0 : tensor<4x8xf32>
  // CHECK: weft.exp
  %2 = weft.exp %1 : tensor<4x8xf32>
  // CHECK: weft.log
  %3 = weft.log %2 : tensor<4x8xf32>
  // CHECK: weft.sqrt
  %4 = weft.sqrt %3 : tensor<4x8xf32>
  // CHECK: weft.rsqrt
  %5 = weft.rsqrt %4 : tensor<4x8xf32>
  // CHECK: weft.tanh
  %6 = weft.tanh %5 : tensor<4x8xf32>
  // CHECK: weft.relu
  %7 = weft.relu %6 : tensor<4x8xf32>
  // CHECK: weft.sigmoid
  %8 = weft.sigmoid %7 : tensor<4x8xf32>
  // CHECK: weft.gelu %{{.*}} : tensor<4x8xf32>
  %9 = weft.gelu %8 : tensor<4x8xf32>
  // CHECK: weft.gelu_tanh
  %10 = weft.gelu_tanh %9 : tensor<4x8xf32>
  // CHECK: weft.fast_gelu
  %11 = weft.fast_gelu %10 : tensor<4x8xf32>
  // CHECK: weft.add %{{.*}}, %{{.*}} : tensor<4x8xf32>
  %12 = weft.add %11, %b : tensor<4x8xf32>
  // CHECK: weft.sub
  %13 = weft.sub %12, %b : tensor<4x8xf32>
  // CHECK: weft.mul
  %14 = weft.mul %13, %b : tensor<4x8xf32>
  // CHECK: weft.div
  %15 = weft.div %14, %b : tensor<4x8xf32>
  // CHECK: weft.max
  %16 = weft.max %15, %b : tensor<4x8xf32>
  // CHECK: weft.min
  %17 = weft.min %16, %b : tensor<4x8xf32>
  // CHECK: weft.pow
  %18 = weft.pow %17, %b : tensor<4x8xf32>
  // CHECK: weft.compare lt, %{{.*}}, %{{.*}} : tensor<4x8xi64>
  %19 = weft.compare lt, %i, %i : tensor<4x8xi64>
  // CHECK: weft.select %{{.*}}, %{{.*}}, %{{.*}} : tensor<4x8xi1>, tensor<4x8xf32>
  %20 = weft.select %19, %18, %a : tensor<4x8xi1>, tensor<4x8xf32>
  // CHECK: weft.cast %{{.*}} : tensor<4x8xf32> -> tensor<4x8xbf16>
  %21 = weft.cast %20 : tensor<4x8xf32> -> tensor<4x8xbf16>
  // CHECK: weft.cast %{{.*}} : tensor<4x8xbf16> -> tensor<4x8xf32>
  %22 = weft.cast %21 : tensor<4x8xbf16> -> tensor<4x8xf32>
  // CHECK: weft.stop_gradient %{{.*}} : tensor<4x8xf32>
  %23 = weft.stop_gradient %22 : tensor<4x8xf32>
  return %23 : tensor<4x8xf32>
}

// CHECK-LABEL: func.func @contractions
func.func @contractions(%x: tensor<8x768xf32>, %w: tensor<512x768xf32>, %q: tensor<12x128x64xf32>) -> (tensor<8x512xf32>, tensor<12x128x128xf32>) {
  // CHECK: weft.matmul %{{.*}}, %{{.*}} {transpose_rhs} : tensor<8x768xf32>, tensor<512x768xf32>
  %0 = weft.matmul %x, %w {transpose_rhs} : tensor<8x768xf32>, tensor<512x768xf32>
  // CHECK: weft.batch_matmul %{{.*}}, %{{.*}} {transpose_rhs} : tensor<12x128x64xf32>, tensor<12x128x64xf32>
  %1 = weft.batch_matmul %q, %q {transpose_rhs} : tensor<12x128x64xf32>, tensor<12x128x64xf32>
  return %0, %1 : tensor<8x512xf32>, tensor<12x128x128xf32>
}

// CHECK-LABEL: func.func @movement
func.func @movement(%x: tensor<128x2304xf32>, %b: tensor<768xf32>, %t: tensor<128xi64>, %e: tensor<50x768xf32>) -> (tensor<128xf32>, tensor<12x128x64xf32>, tensor<128x768xf32>, tensor<128x768xf32>, tensor<128x1536xf32>, tensor<128x768xf32>, tensor<128xi64>, tensor<2xf32>) {
  // CHECK: weft.reduce mean %{{.*}} dims = [1] : tensor<128x2304xf32>
  %0 = weft.reduce mean %x dims = [1] : tensor<128x2304xf32>
  // CHECK: weft.slice %{{.*}} start = [0, 0] limit = [128, 768] strides = [1, 1] : tensor<128x2304xf32>
  %1 = weft.slice %x start = [0, 0] limit = [128, 768] strides = [1, 1] : tensor<128x2304xf32>
  // CHECK: weft.reshape %{{.*}} : tensor<128x768xf32> -> tensor<128x12x64xf32>
  %2 = weft.reshape %1 : tensor<128x768xf32> -> tensor<128x12x64xf32>
  // CHECK: weft.transpose %{{.*}} permutation = [1, 0, 2] : tensor<128x12x64xf32>
  %3 = weft.transpose %2 permutation = [1, 0, 2] : tensor<128x12x64xf32>
  // CHECK: weft.broadcast %{{.*}} dims = [1] : tensor<768xf32> -> tensor<128x768xf32>
  %4 = weft.broadcast %b dims = [1] : tensor<768xf32> -> tensor<128x768xf32>
  // CHECK: weft.concat %{{.*}}, %{{.*}} dim = 1 : tensor<128x768xf32>, tensor<128x768xf32>
  %5 = weft.concat %1, %4 dim = 1 : tensor<128x768xf32>, tensor<128x768xf32>
  // CHECK: weft.gather %{{.*}}[%{{.*}}] : tensor<50x768xf32>, tensor<128xi64>
  %6 = weft.gather %e[%t] : tensor<50x768xf32>, tensor<128xi64>
  // CHECK: weft.iota dim = 0 : tensor<128xi64>
  %7 = weft.iota dim = 0 : tensor<128xi64>
  // CHECK: weft.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
  %8 = weft.constant dense<[1.0, 2.0]> : tensor<2xf32>
  return %0, %3, %4, %1, %5, %6, %7, %8 : tensor<128xf32>, tensor<12x128x64xf32>, tensor<128x768xf32>, tensor<128x768xf32>, tensor<128x1536xf32>, tensor<128x768xf32>, tensor<128xi64>, tensor<2xf32>
}

// CHECK-LABEL: func.func @random_uniform
func.func @random_uniform(%seed: tensor<i64>) -> tensor<4x8xf32> {
  // CHECK: weft.random_uniform %{{.*}} stream = 3 : tensor<i64> -> tensor<4x8xf32>
  %0 = weft.random_uniform %seed stream = 3 : tensor<i64> -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}
