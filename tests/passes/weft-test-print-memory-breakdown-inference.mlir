// RUN: weft-opt %s -weft-test-print-memory-breakdown -o /dev/null | FileCheck %s

// Tests the breakdown of a function without a loss output (inference): every op is the forward pass, so every
// live result is an activation; a state named "<kind>:<param>" is optimizer state, any other state (a
// key/value cache) is cache. The peak is at the tanh (its operand and result, 128 bytes each); the planned
// arena is smaller than that because tanh runs in place.

// CHECK-LABEL: memory breakdown @main: weights = 256, optimizer-state = 128, cache = 128
// CHECK-NEXT: peak at step 3: activations = 256, gradients = 0, inputs = 0, constants = 0, workspace = 0
// CHECK-NEXT: arena = 128
func.func @main(%x: tensor<4x8xf32> {weft.input = "x"}, %w: tensor<8x8xf32> {weft.param = "w"},
                %k: tensor<4x8xf32> {weft.state = "cache.k"}, %m: tensor<4x8xf32> {weft.state = "adamw.m:w"})
    -> (tensor<4x8xf32> {weft.output = "y"}, tensor<4x8xf32> {weft.update = "cache.k"}) {
  %0 = weft.matmul %x, %w : tensor<4x8xf32>, tensor<8x8xf32>
  %1 = weft.add %0, %k : tensor<4x8xf32>
  %2 = weft.tanh %1 : tensor<4x8xf32>
  return %2, %0 : tensor<4x8xf32>, tensor<4x8xf32>
}
