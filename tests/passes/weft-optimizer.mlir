// RUN: weft-opt %s -split-input-file -weft-optimizer="optimizer=sgd weight-decay=0" -verify-diagnostics | FileCheck %s --check-prefix=SGD
// RUN: weft-opt %s -split-input-file -weft-optimizer="clip-norm=1.0" -verify-diagnostics | FileCheck %s --check-prefix=ADAMW

// Tests that SGD adds the "lr" input, reads it through the packed scalar vector (reshape + slice + broadcast),
// updates w in place (weft.update) and drops the gradient output; that AdamW adds "lr" and "step", the state
// arguments m and v, the bias correction from pow(beta, step), the grad_norm output, and returns the new
// parameter, m and v, with weight decay (a multiply of w) on the matrix only.

// SGD-LABEL: func.func @main(
// SGD-SAME: %[[W:.*]]: tensor<4x3xf32> {weft.param = "w"}, %[[B:.*]]: tensor<3xf32> {weft.param = "b"}, %{{.*}}: tensor<2x4xf32> {weft.input = "x"}, %[[LR:.*]]: tensor<f32> {weft.input = "lr"})
// SGD-SAME: -> (tensor<f32> {weft.output = "loss"}, tensor<4x3xf32> {weft.update = "w"}, tensor<3xf32> {weft.update = "b"})
// SGD: %[[C:.*]] = weft.reshape %[[LR]] : tensor<f32> -> tensor<1xf32>
// SGD: %[[S:.*]] = weft.slice %[[C]] start = [0] limit = [1] strides = [1] : tensor<1xf32>
// SGD: %[[BW:.*]] = weft.broadcast %[[S]] dims = [0] : tensor<1xf32> -> tensor<4x3xf32>
// SGD: %[[D:.*]] = weft.mul %[[BW]], %[[GW:.*]] : tensor<4x3xf32>
// SGD: %[[NW:.*]] = weft.sub %[[W]], %[[D]] : tensor<4x3xf32>
// SGD: %[[NB:.*]] = weft.sub %[[B]], %{{.*}} : tensor<3xf32>
// SGD: return %{{.*}}, %[[NW]], %[[NB]]

// ADAMW-LABEL: func.func @main(
// ADAMW-SAME: %[[LR:[^:]*]]: tensor<f32> {weft.input = "lr"}, %[[STEP:[^:]*]]: tensor<f32> {weft.input = "step"},
// ADAMW-SAME: %[[MW:[^:]*]]: tensor<4x3xf32> {weft.state = "adamw.m:w"}, %[[VW:[^:]*]]: tensor<4x3xf32> {weft.state = "adamw.v:w"},
// ADAMW-SAME: %{{[^:]*}}: tensor<3xf32> {weft.state = "adamw.m:b"}, %{{[^:]*}}: tensor<3xf32> {weft.state = "adamw.v:b"})
// ADAMW-SAME: -> (tensor<f32> {weft.output = "loss"}, tensor<f32> {weft.output = "grad_norm"},
// ADAMW-SAME: tensor<4x3xf32> {weft.update = "w"}, tensor<4x3xf32> {weft.update = "adamw.m:w"}, tensor<4x3xf32> {weft.update = "adamw.v:w"},
// ADAMW-SAME: tensor<3xf32> {weft.update = "b"}, tensor<3xf32> {weft.update = "adamw.m:b"}, tensor<3xf32> {weft.update = "adamw.v:b"})
// ADAMW: %[[NORM:.*]] = weft.sqrt
// ADAMW: weft.min
// ADAMW: weft.pow %{{.*}}, %[[STEP]] : tensor<f32>
// ADAMW: weft.concat
// ADAMW: weft.mul %{{.*}}, %[[MW]] : tensor<4x3xf32>
// ADAMW: weft.mul %{{.*}}, %[[VW]] : tensor<4x3xf32>
// ADAMW: weft.sqrt %{{.*}} : tensor<4x3xf32>
// ADAMW: %[[DECAYED:.*]] = weft.mul %arg0, %{{.*}} : tensor<4x3xf32>
// ADAMW: %[[NEWW:.*]] = weft.sub %[[DECAYED]], %{{.*}} : tensor<4x3xf32>
// ADAMW-NOT: weft.mul %arg1,
// ADAMW: %[[NEWB:.*]] = weft.sub %arg1, %{{.*}} : tensor<3xf32>
// ADAMW: return %{{.*}}, %[[NORM]], %[[NEWW]]
func.func @main(%w: tensor<4x3xf32> {weft.param = "w"}, %b: tensor<3xf32> {weft.param = "b"},
                %x: tensor<2x4xf32> {weft.input = "x"})
    -> (tensor<f32> {weft.output = "loss"}, tensor<4x3xf32> {weft.output = "grad:w"},
        tensor<3xf32> {weft.output = "grad:b"}) {
  %0 = weft.matmul %x, %w : tensor<2x4xf32>, tensor<4x3xf32>
  %1 = weft.reduce sum %0 dims = [0, 1] : tensor<2x3xf32>
  %gw = weft.matmul %x, %0 {transpose_lhs} : tensor<2x4xf32>, tensor<2x3xf32>
  %gb = weft.reduce sum %0 dims = [0] : tensor<2x3xf32>
  return %1, %gw, %gb : tensor<f32>, tensor<4x3xf32>, tensor<3xf32>
}

// -----

// Tests that a function without gradient outputs is refused with a hint to run weft-autodiff first.

// expected-error @+1 {{has no gradient outputs}}
func.func @main(%w: tensor<4xf32> {weft.param = "w"}) -> (tensor<4xf32> {weft.output = "y"}) {
  return %w : tensor<4xf32>
}
