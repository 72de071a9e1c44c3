// RUN: weft-opt %s -split-input-file -weft-autodiff -weft-accumulate-gradients="mode=micro micro-batches=4" | FileCheck %s --check-prefix=MICRO
// RUN: weft-opt %s -split-input-file -weft-autodiff -weft-optimizer="optimizer=sgd weight-decay=0 keep-gradients=1" -weft-accumulate-gradients="mode=apply micro-batches=4" | FileCheck %s --check-prefix=APPLY
// RUN: weft-opt %s -split-input-file -verify-diagnostics -weft-accumulate-gradients="mode=micro"
// RUN: not weft-opt %s -split-input-file -weft-autodiff -weft-accumulate-gradients="mode=micro zero=3" 2>&1 | FileCheck %s --check-prefix=ZERO3

// Tests that mode=micro turns the gradient output into the in-place update of a new state argument
// grad_accum:w (accumulator + gradient * 0.25, 1 / 4 micro-batches) and keeps the loss; that mode=apply (after
// weft-optimizer) makes the update read grad_accum:w itself instead of the gradient, zeroes the accumulator
// (new w * 0: after every read of it), and erases the forward and backward passes with the input x only they read; on a mesh
// with dp, that the accumulator is split like its parameter and partial over dp, and an unhinted parameter is
// fixed replicated. Without weft-autodiff (third RUN) every function is refused for having no gradients; with
// zero=3 (fourth) every function is refused.
// ZERO3: error: weft-accumulate-gradients: gradient accumulation does not support ZeRO 3

// MICRO-LABEL: func.func @main(
// MICRO-SAME: %[[W:[^:]*]]: tensor<4xf32> {weft.param = "w"}, %[[X:[^:]*]]: tensor<4xf32> {weft.input = "x"}, %[[ACC:[^:]*]]: tensor<4xf32> {weft.state = "grad_accum:w"})
// MICRO-SAME: -> (tensor<f32> {weft.output = "loss"}, tensor<4xf32> {weft.update = "grad_accum:w"})
// MICRO: %[[LOSS:.*]] = weft.reduce sum
// MICRO: %[[G:.*]] = weft.mul %{{.*}}, %[[X]] : tensor<4xf32>
// MICRO: %[[QUARTER:.*]] = weft.constant dense<2.500000e-01> : tensor<4xf32>
// MICRO: %[[MEAN:.*]] = weft.mul %[[G]], %[[QUARTER]] : tensor<4xf32>
// MICRO: %[[NEW:.*]] = weft.add %[[ACC]], %[[MEAN]] : tensor<4xf32>
// MICRO: return %[[LOSS]], %[[NEW]]

// APPLY-LABEL: func.func @main(
// APPLY-SAME: %[[W:[^:]*]]: tensor<4xf32> {weft.param = "w"}, %[[LR:[^:]*]]: tensor<f32> {weft.input = "lr"}, %[[ACC:[^:]*]]: tensor<4xf32> {weft.state = "grad_accum:w"})
// APPLY-SAME: -> (tensor<4xf32> {weft.update = "w"}, tensor<4xf32> {weft.update = "grad_accum:w"})
// APPLY-NOT: weft.reduce
// APPLY: weft.mul %{{.*}}, %[[ACC]] : tensor<4xf32>
// APPLY: %[[NEWW:.*]] = weft.sub %[[W]], %{{.*}} : tensor<4xf32>
// APPLY: %[[ZERO:.*]] = weft.constant dense<0.000000e+00> : tensor<4xf32>
// APPLY: %[[CLEARED:.*]] = weft.mul %[[NEWW]], %[[ZERO]] : tensor<4xf32>
// APPLY: return %[[NEWW]], %[[CLEARED]]
// expected-error @+1 {{has no gradient outputs}}
func.func @main(%w: tensor<4xf32> {weft.param = "w"}, %x: tensor<4xf32> {weft.input = "x"})
    -> (tensor<f32> {weft.output = "loss"}) {
  %0 = weft.mul %w, %x : tensor<4xf32>
  %1 = weft.reduce sum %0 dims = [0] : tensor<4xf32>
  return %1 : tensor<f32>
}

// -----

// MICRO-LABEL: func.func @main(
// MICRO-SAME: %{{[^:]*}}: tensor<4x2xf32> {weft.param = "w", weft.sharding = #weft.sharding<[{}, {tp}]>}
// MICRO-SAME: %{{[^:]*}}: tensor<2xf32> {weft.param = "b", weft.sharding = #weft.sharding<[{}]>}
// MICRO-SAME: tensor<4x2xf32> {weft.sharding = #weft.sharding<[{}, {tp}] partial {dp}>, weft.state = "grad_accum:w"}
// MICRO-SAME: tensor<2xf32> {weft.sharding = #weft.sharding<[{}] partial {dp}>, weft.state = "grad_accum:b"}

// APPLY-LABEL: func.func @main(
// APPLY-SAME: tensor<4x2xf32> {weft.sharding = #weft.sharding<[{}, {tp}] partial {dp}>, weft.state = "grad_accum:w"}
// APPLY-SAME: tensor<2xf32> {weft.sharding = #weft.sharding<[{}] partial {dp}>, weft.state = "grad_accum:b"}
module attributes {weft.mesh = #weft.mesh<dp = 2, tp = 2>} {
  // expected-error @+1 {{has no gradient outputs}}
  func.func @main(%w: tensor<4x2xf32> {weft.param = "w", weft.sharding = #weft.sharding<[{}, {tp}]>},
                  %b: tensor<2xf32> {weft.param = "b"},
                  %x: tensor<8x4xf32> {weft.input = "x", weft.sharding = #weft.sharding<[{dp}, {}]>})
      -> (tensor<f32> {weft.output = "loss"}) {
    %0 = weft.matmul %x, %w : tensor<8x4xf32>, tensor<4x2xf32>
    %1 = weft.broadcast %b dims = [1] : tensor<2xf32> -> tensor<8x2xf32>
    %2 = weft.add %0, %1 : tensor<8x2xf32>
    %3 = weft.reduce mean %2 dims = [0, 1] : tensor<8x2xf32>
    return %3 : tensor<f32>
  }
}
