// RUN: weft-opt %s -split-input-file -weft-autodiff -weft-optimizer="optimizer=sgd" -canonicalize -cse -weft-fuse-elementwise -weft-schedule -weft-plan-memory -weft-test-print-memory-breakdown -o /dev/null | FileCheck %s --check-prefix=SGD
// RUN: weft-opt %s -split-input-file -weft-autodiff -weft-optimizer -canonicalize -cse -weft-fuse-elementwise -weft-schedule -weft-plan-memory -weft-test-print-memory-breakdown -o /dev/null | FileCheck %s --check-prefix=ADAMW
// RUN: weft-opt %s -split-input-file -weft-autodiff -weft-optimizer="optimizer=sgd" -weft-test-print-memory-breakdown -o /dev/null | FileCheck %s --check-prefix=UNFUSED

// Tests the breakdown of a training step y = tanh(x w), loss = sum(y) with w 32x32 (4096 bytes) and x 16x32
// (2048 bytes). At the peak the forward pass's results the backward reads (tanh's 2048 bytes, and the loss
// in a 64-byte slot) are activations; w's gradient (4096 bytes) is the only gradient; the inputs are x and the
// learning rate (64 bytes; AdamW's "step" is an input too). SGD without momentum keeps no state; AdamW keeps
// m and v (2 x 4096 bytes). Unfused, the learning rate broadcast to w's shape flows into w's new value too,
// but it is not computed from the forward pass: workspace, not a gradient.

// SGD-LABEL: memory breakdown @main: weights = 4096, optimizer-state = 0, cache = 0
// SGD-NEXT: peak at step {{[0-9]+}}: activations = 2112, gradients = 4096, inputs = 2112,
// ADAMW-LABEL: memory breakdown @main: weights = 4096, optimizer-state = 8192, cache = 0
// ADAMW-NEXT: peak at step {{[0-9]+}}: activations = 2112, gradients = 4096, inputs = 2048,
// UNFUSED-LABEL: memory breakdown @main: weights = 4096, optimizer-state = 0, cache = 0
// UNFUSED-NEXT: peak at step {{[0-9]+}}: activations = 64, gradients = 4096, inputs = 0, constants = 2176, workspace = 8256
func.func @main(%x: tensor<16x32xf32> {weft.input = "x"}, %w: tensor<32x32xf32> {weft.param = "w"})
    -> (tensor<f32> {weft.output = "loss"}) {
  %0 = weft.matmul %x, %w : tensor<16x32xf32>, tensor<32x32xf32>
  %1 = weft.tanh %0 : tensor<16x32xf32>
  %2 = weft.reduce sum %1 dims = [0, 1] : tensor<16x32xf32>
  return %2 : tensor<f32>
}
