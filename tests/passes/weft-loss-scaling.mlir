// RUN: weft-opt %s -weft-mixed-precision="precision=f16 loss-scaling=true" -weft-autodiff="loss=scaled_loss" -weft-optimizer="optimizer=sgd weight-decay=0 keep-gradients=true" -weft-loss-scaling="growth-interval=3" | FileCheck %s
// RUN: not weft-opt %s -weft-loss-scaling 2>&1 | FileCheck %s --check-prefix=NOSCALE
// RUN: not weft-opt %s -weft-mixed-precision="precision=f16 loss-scaling=true" -weft-autodiff="loss=scaled_loss" -weft-loss-scaling 2>&1 | FileCheck %s --check-prefix=NOUPDATE
// RUN: not weft-opt %s -weft-loss-scaling="growth-interval=0" 2>&1 | FileCheck %s --check-prefix=BADGROWTH

// Tests the f16 training step after weft-mixed-precision, weft-autodiff (of scaled_loss) and weft-optimizer:
// the input amp.loss_scale_log2 becomes state next to the new amp.good_steps; the f16 gradient is cast up and
// multiplied by 1 / loss_scale before the SGD update reads it; finiteness is sum(g * 0) == 0; the parameter's
// update is a select between the new and the old value; the scale's exponent goes +1 after 3 finite steps and
// -1 on a non-finite one; scaled_loss and the gradient outputs are dropped, loss_scale stays an output.
// Negative cases: no loss scale (weft-mixed-precision did not run), no updates (weft-optimizer did not run), a
// growth interval < 1.

// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[W:[^ ]*]]: tensor<4x3xf32> {weft.param = "w"}
// CHECK-SAME: %[[S:[^ ]*]]: tensor<f32> {weft.state = "amp.loss_scale_log2"}
// CHECK-SAME: %[[LR:[^ ]*]]: tensor<f32> {weft.input = "lr"}
// CHECK-SAME: %[[GOOD:[^ ]*]]: tensor<f32> {weft.state = "amp.good_steps"})
// CHECK-SAME: -> (tensor<f32> {weft.output = "loss"}, tensor<f32> {weft.output = "loss_scale"}, tensor<4x3xf32> {weft.update = "w"}, tensor<f32> {weft.update = "amp.loss_scale_log2"}, tensor<f32> {weft.update = "amp.good_steps"})
// CHECK: weft.matmul %{{.*}}, %{{.*}} : tensor<2x4xf16>, tensor<4x3xf16>
// CHECK: %[[SCALE:.*]] = weft.pow
// CHECK: %[[ONE:.*]] = weft.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[INV:.*]] = weft.div %[[ONE]], %[[SCALE]] : tensor<f32>
// CHECK: %[[G16:.*]] = weft.matmul %{{.*}}, %{{.*}} {transpose_lhs} : tensor<2x4xf16>, tensor<2x3xf16>
// CHECK: %[[G:.*]] = weft.cast %[[G16]] : tensor<4x3xf16> -> tensor<4x3xf32>
// CHECK: %[[INVB:.*]] = weft.broadcast %[[INV]] dims = [] : tensor<f32> -> tensor<4x3xf32>
// CHECK: %[[GU:.*]] = weft.mul %[[G]], %[[INVB]] : tensor<4x3xf32>
// CHECK: %[[STEP:.*]] = weft.mul %{{.*}}, %[[GU]] : tensor<4x3xf32>
// CHECK: %[[NEW:.*]] = weft.sub %[[W]], %[[STEP]] : tensor<4x3xf32>
// CHECK: %[[ZERO:.*]] = weft.constant dense<0.000000e+00> : tensor<4x3xf32>
// CHECK: %[[G0:.*]] = weft.mul %[[GU]], %[[ZERO]] : tensor<4x3xf32>
// CHECK: %[[SUM:.*]] = weft.reduce sum %[[G0]] dims = [0, 1] : tensor<4x3xf32>
// CHECK: %[[FINITE:.*]] = weft.compare eq, %[[SUM]], %{{.*}} : tensor<f32>
// CHECK: %[[FB:.*]] = weft.broadcast %[[FINITE]] dims = [] : tensor<i1> -> tensor<4x3xi1>
// CHECK: %[[W2:.*]] = weft.select %[[FB]], %[[NEW]], %[[W]] : tensor<4x3xi1>, tensor<4x3xf32>
// CHECK: %[[COUNTED:.*]] = weft.add %[[GOOD]], %{{.*}} : tensor<f32>
// CHECK: %[[INTERVAL:.*]] = weft.constant dense<3.000000e+00> : tensor<f32>
// CHECK: %[[GROW:.*]] = weft.compare ge, %[[COUNTED]], %[[INTERVAL]] : tensor<f32>
// CHECK: %[[GOOD2:.*]] = weft.select %[[FINITE]], %{{.*}}, %{{.*}} : tensor<i1>, tensor<f32>
// CHECK: %[[DOWN:.*]] = weft.sub %[[S]], %{{.*}} : tensor<f32>
// CHECK: %[[UP:.*]] = weft.add %[[S]], %{{.*}} : tensor<f32>
// CHECK: %[[S2:.*]] = weft.select %[[FINITE]], %[[UP]], %[[DOWN]] : tensor<i1>, tensor<f32>
// CHECK: return %{{.*}}, %[[SCALE]], %[[W2]], %[[S2]], %[[GOOD2]]

// NOSCALE: error: 'func.func' op has no loss scale (input 'amp.loss_scale_log2', outputs 'loss_scale' and 'scaled_loss'); run weft-mixed-precision with loss-scaling before weft-autodiff
// NOUPDATE: error: 'func.func' op has no gradient outputs or no updates; run weft-optimizer with keep-gradients before weft-loss-scaling
// BADGROWTH: error: weft-loss-scaling: growth-interval must be >= 1, got 0; pass growth-interval=N with N >= 1
func.func @main(%w: tensor<4x3xf32> {weft.param = "w"}, %x: tensor<2x4xf32> {weft.input = "x"})
    -> (tensor<f32> {weft.output = "loss"}) {
  %0 = weft.matmul %x, %w : tensor<2x4xf32>, tensor<4x3xf32>
  %1 = weft.reduce mean %0 dims = [0, 1] : tensor<2x3xf32>
  return %1 : tensor<f32>
}
