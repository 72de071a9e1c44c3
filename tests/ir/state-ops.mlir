// RUN: weft-opt %s | FileCheck %s
// RUN: weft-opt %s | weft-opt | FileCheck %s
// RUN: weft-opt %s -mlir-print-op-generic | weft-opt | FileCheck %s

// Tests that weft.dynamic_update_slice prints and parses back, with a run-time offset of either integer type
// and a block as long as the whole dimension, and that its result type is the operand's.

// CHECK-LABEL: func.func @cache_write
func.func @cache_write(%cache: tensor<4x12x128x64xf32>, %k: tensor<4x12x1x64xf32>, %pos: tensor<i64>,
                       %p32: tensor<i32>, %all: tensor<4x12x128x64xf32>)
    -> (tensor<4x12x128x64xf32>, tensor<4x12x128x64xf32>) {
  // CHECK: weft.dynamic_update_slice %{{.*}}[%{{.*}}], %{{.*}} dim = 2 : tensor<4x12x128x64xf32>, tensor<4x12x1x64xf32>, tensor<i64>
  %0 = weft.dynamic_update_slice %cache[%pos], %k dim = 2 : tensor<4x12x128x64xf32>, tensor<4x12x1x64xf32>, tensor<i64>
  // CHECK: weft.dynamic_update_slice %{{.*}}[%{{.*}}], %{{.*}} dim = 0 : tensor<4x12x128x64xf32>, tensor<4x12x128x64xf32>, tensor<i32>
  %1 = weft.dynamic_update_slice %0[%p32], %all dim = 0 : tensor<4x12x128x64xf32>, tensor<4x12x128x64xf32>, tensor<i32>
  return %0, %1 : tensor<4x12x128x64xf32>, tensor<4x12x128x64xf32>
}
