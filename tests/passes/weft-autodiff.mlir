// RUN: weft-opt %s -split-input-file -weft-autodiff -verify-diagnostics | FileCheck %s

// Tests that a linear layer gets grad:w = x^T g (one matmul with transpose_lhs), grad:b = the bias broadcast
// undone by a reduce sum, that the forward outputs are kept in front and that an unused parameter gets zeros.

// CHECK-LABEL: func.func @main(
// CHECK-SAME: -> (tensor<2x3xf32> {weft.output = "y"}, tensor<f32> {weft.output = "loss"},
// CHECK-SAME: tensor<4x3xf32> {weft.output = "grad:w"}, tensor<3xf32> {weft.output = "grad:b"},
// CHECK-SAME: tensor<5xf32> {weft.output = "grad:unused"})
// CHECK: %[[LOSS:.*]] = weft.reduce sum
// CHECK: %[[SEED:.*]] = weft.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[G:.*]] = weft.broadcast %[[SEED]] dims = [] : tensor<f32> -> tensor<2x3xf32>
// CHECK: %[[GB:.*]] = weft.reduce sum %[[G]] dims = [0] : tensor<2x3xf32>
// CHECK: %[[GW:.*]] = weft.matmul %arg2, %[[G]] {transpose_lhs} : tensor<2x4xf32>, tensor<2x3xf32>
// CHECK: %[[ZERO:.*]] = weft.constant dense<0.000000e+00> : tensor<5xf32>
// CHECK: return %{{.*}}, %[[LOSS]], %[[GW]], %[[GB]], %[[ZERO]]
func.func @main(%w: tensor<4x3xf32> {weft.param = "w"}, %b: tensor<3xf32> {weft.param = "b"},
                %x: tensor<2x4xf32> {weft.input = "x"}, %u: tensor<5xf32> {weft.param = "unused"})
    -> (tensor<2x3xf32> {weft.output = "y"}, tensor<f32> {weft.output = "loss"}) {
  %0 = weft.matmul %x, %w : tensor<2x4xf32>, tensor<4x3xf32>
  %1 = weft.broadcast %b dims = [1] : tensor<3xf32> -> tensor<2x3xf32>
  %2 = weft.add %0, %1 : tensor<2x3xf32>
  %3 = weft.reduce sum %2 dims = [0, 1] : tensor<2x3xf32>
  return %2, %3 : tensor<2x3xf32>, tensor<f32>
}

// -----

// Tests that with both operands transposed, C = A^T B^T gives dA = B^T g^T and dB = g^T A^T: single matmuls
// with both transpose flags and no weft.transpose.

// CHECK-LABEL: func.func @main(
// CHECK: %[[G:.*]] = weft.broadcast
// CHECK-NOT: weft.transpose
// CHECK: %[[GA:.*]] = weft.matmul %arg1, %[[G]] {transpose_lhs, transpose_rhs} : tensor<4x3xf32>, tensor<2x4xf32>
// CHECK: %[[GB:.*]] = weft.matmul %[[G]], %arg0 {transpose_lhs, transpose_rhs} : tensor<2x4xf32>, tensor<3x2xf32>
// CHECK: return %{{.*}}, %[[GA]], %[[GB]]
func.func @main(%a: tensor<3x2xf32> {weft.param = "a"}, %b: tensor<4x3xf32> {weft.param = "b"})
    -> (tensor<f32> {weft.output = "loss"}) {
  %0 = weft.matmul %a, %b {transpose_lhs, transpose_rhs} : tensor<3x2xf32>, tensor<4x3xf32>
  %1 = weft.reduce sum %0 dims = [0, 1] : tensor<2x4xf32>
  return %1 : tensor<f32>
}

// -----

// Tests that a parameter used three times (twice by one mul, once by exp) sums its three cotangents with
// weft.add.

// CHECK-LABEL: func.func @main(
// CHECK: %[[E:.*]] = weft.exp %arg0
// CHECK: %[[G:.*]] = weft.broadcast
// CHECK: %[[C1:.*]] = weft.mul %[[G]], %[[E]]
// CHECK: %[[C2:.*]] = weft.mul %[[G]], %arg0
// CHECK: %[[C3:.*]] = weft.mul %[[G]], %arg0
// CHECK: %[[S1:.*]] = weft.add %[[C1]], %[[C2]]
// CHECK: %[[S2:.*]] = weft.add %[[S1]], %[[C3]]
// CHECK: return %{{.*}}, %[[S2]]
func.func @main(%w: tensor<4xf32> {weft.param = "w"}) -> (tensor<f32> {weft.output = "loss"}) {
  %0 = weft.mul %w, %w : tensor<4xf32>
  %1 = weft.exp %w : tensor<4xf32>
  %2 = weft.add %0, %1 : tensor<4xf32>
  %3 = weft.reduce sum %2 dims = [0] : tensor<4xf32>
  return %3 : tensor<f32>
}

// -----

// Tests that the embedding table's gradient is a weft.scatter_add of the cotangent at the token indices, and
// that the input-only branch (exp of %x) gets no gradient ops.

// CHECK-LABEL: func.func @main(
// CHECK-SAME: -> (tensor<f32> {weft.output = "loss"}, tensor<10x4xf32> {weft.output = "grad:wte"})
// CHECK: %[[M:.*]] = weft.exp %arg2
// CHECK: %[[G:.*]] = weft.broadcast
// CHECK-NEXT: %[[D:.*]] = weft.mul %[[G]], %[[M]] : tensor<6x4xf32>
// CHECK-NEXT: %[[T:.*]] = weft.scatter_add %[[D]][%arg1] : tensor<6x4xf32>, tensor<6xi64> -> tensor<10x4xf32>
// CHECK-NEXT: return %{{.*}}, %[[T]]
func.func @main(%wte: tensor<10x4xf32> {weft.param = "wte"}, %tok: tensor<6xi64> {weft.input = "tokens"},
                %x: tensor<6x4xf32> {weft.input = "x"})
    -> (tensor<f32> {weft.output = "loss"}) {
  %0 = weft.gather %wte[%tok] : tensor<10x4xf32>, tensor<6xi64>
  %m = weft.exp %x : tensor<6x4xf32>
  %1 = weft.mul %0, %m : tensor<6x4xf32>
  %2 = weft.reduce sum %1 dims = [0, 1] : tensor<6x4xf32>
  return %2 : tensor<f32>
}

// -----

// Tests that a strided slice's gradient interleaves zeros (reshape, concat, reshape, slice) and pads the
// remaining positions with zero blocks before and after.

// CHECK-LABEL: func.func @main(
// CHECK: %[[G:.*]] = weft.broadcast %{{.*}} dims = [] : tensor<f32> -> tensor<3xf32>
// CHECK: %[[R:.*]] = weft.reshape %[[G]] : tensor<3xf32> -> tensor<3x1xf32>
// CHECK: %[[Z:.*]] = weft.constant dense<0.000000e+00> : tensor<3x1xf32>
// CHECK: %[[I:.*]] = weft.concat %[[R]], %[[Z]] dim = 1
// CHECK: %[[F:.*]] = weft.reshape %[[I]] : tensor<3x2xf32> -> tensor<6xf32>
// CHECK: %[[S:.*]] = weft.slice %[[F]] start = [0] limit = [5] strides = [1]
// CHECK: %[[P:.*]] = weft.concat %{{.*}}, %[[S]], %{{.*}} dim = 0 : tensor<1xf32>, tensor<5xf32>, tensor<1xf32>
// CHECK: return %{{.*}}, %[[P]]
func.func @main(%w: tensor<7xf32> {weft.param = "w"}) -> (tensor<f32> {weft.output = "loss"}) {
  %0 = weft.slice %w start = [1] limit = [6] strides = [2] : tensor<7xf32>
  %1 = weft.reduce sum %0 dims = [0] : tensor<3xf32>
  return %1 : tensor<f32>
}

// -----

// Tests that relu written as a compare + select of a parameter differentiates through the select and leaves
// the i1 condition alone (no error: the parameter also has a float path).

// CHECK-LABEL: func.func @main(
// CHECK: %[[C:.*]] = weft.compare gt, %arg0, %{{.*}} : tensor<4xf32>
// CHECK: weft.select %[[C]], %{{.*}}, %{{.*}} : tensor<4xi1>, tensor<4xf32>
// CHECK: %[[G:.*]] = weft.select %[[C]], %{{.*}}, %{{.*}} : tensor<4xi1>, tensor<4xf32>
// CHECK: return %{{.*}}, %[[G]]
func.func @main(%w: tensor<4xf32> {weft.param = "w"}) -> (tensor<f32> {weft.output = "loss"}) {
  %z = weft.constant dense<0.0> : tensor<4xf32>
  %c = weft.compare gt, %w, %z : tensor<4xf32>
  %0 = weft.select %c, %w, %z : tensor<4xi1>, tensor<4xf32>
  %1 = weft.reduce sum %0 dims = [0] : tensor<4xf32>
  return %1 : tensor<f32>
}

// -----

// Tests that a function without a loss output is rejected, naming the outputs it has.

// expected-error @+1 {{has no output named 'loss' (outputs: 'y'); tag the loss result}}
func.func @main(%w: tensor<4xf32> {weft.param = "w"}) -> (tensor<f32> {weft.output = "y"}) {
  %0 = weft.reduce sum %w dims = [0] : tensor<4xf32>
  return %0 : tensor<f32>
}

// -----

// Tests that a loss that is not a scalar is rejected at the op producing it.

func.func @main(%w: tensor<4xf32> {weft.param = "w"}) -> (tensor<4xf32> {weft.output = "loss"}) {
  // expected-error @+1 {{produces the loss output 'loss' of type 'tensor<4xf32>', but the loss must be a scalar}}
  %0 = weft.exp %w : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Tests that an integer loss is rejected at the op producing it.

func.func @main(%w: tensor<4xf32> {weft.param = "w"}) -> (tensor<i32> {weft.output = "loss"}) {
  %0 = weft.cast %w : tensor<4xf32> -> tensor<4xi32>
  // expected-error @+1 {{but the loss must be a float scalar (f32); cast it}}
  %1 = weft.reduce sum %0 dims = [0] : tensor<4xi32>
  return %1 : tensor<i32>
}

// -----

// Tests that a parameter reaching the loss only through an integer cast is reported at that cast as not
// differentiable, with a note at the parameter.

// expected-note @+1 {{parameter 'w' is defined here}}
func.func @main(%w: tensor<4xf32> {weft.param = "w"}) -> (tensor<f32> {weft.output = "loss"}) {
  // expected-error @+1 {{'weft.cast' op is not differentiable: parameter 'w' reaches the loss only through its non-float result}}
  %0 = weft.cast %w : tensor<4xf32> -> tensor<4xi32>
  %1 = weft.cast %0 : tensor<4xi32> -> tensor<4xf32>
  %2 = weft.reduce sum %1 dims = [0] : tensor<4xf32>
  return %2 : tensor<f32>
}

// -----

// Tests that an op without a gradient model on the path (a fused op created after autodiff should have run)
// is reported as not differentiable.

func.func @main(%x: tensor<2x4xf32> {weft.input = "x"}, %g: tensor<4xf32> {weft.param = "gamma"})
    -> (tensor<f32> {weft.output = "loss"}) {
  // expected-error @+1 {{'weft.layer_norm' op is not differentiable: it has no gradient (GradientOpInterface)}}
  %y, %mean, %rstd = weft.layer_norm %x, %g epsilon = 1.000000e-05 : tensor<2x4xf32>, tensor<4xf32>
  %0 = weft.reduce sum %y dims = [0, 1] : tensor<2x4xf32>
  return %0 : tensor<f32>
}

// -----

// Tests that differentiating twice is rejected.

// expected-error @+1 {{already has the gradient output 'grad:w'; run weft-autodiff once}}
func.func @main(%w: tensor<4xf32> {weft.param = "w"})
    -> (tensor<f32> {weft.output = "loss"}, tensor<4xf32> {weft.output = "grad:w"}) {
  %0 = weft.reduce sum %w dims = [0] : tensor<4xf32>
  return %0, %w : tensor<f32>, tensor<4xf32>
}

// -----

// Tests that a module without @main is rejected.

// expected-error @+1 {{weft-autodiff: the module has no function @main with a body}}
module {
  func.func @forward(%w: tensor<4xf32> {weft.param = "w"}) -> (tensor<f32> {weft.output = "loss"}) {
    %0 = weft.reduce sum %w dims = [0] : tensor<4xf32>
    return %0 : tensor<f32>
  }
}

// -----

// Tests that softmax with a stopped row maximum (as the DSL builds it) differentiates without the maximum's
// gradient (no argmax mask, weft.compare) and that its backward pass reads the probabilities y and the row sums,
// not exp(x): g * exp(x) is computed as (g * broadcast(sum)) * y.

// CHECK-LABEL: func.func @main(%{{.*}}: tensor<2x5xf32> {weft.param = "x"}, %{{.*}}: tensor<2x5xf32> {weft.input = "w"})
// CHECK-SAME: tensor<2x5xf32> {weft.output = "grad:x"}
// CHECK-NOT: weft.compare
// CHECK: %[[E:.*]] = weft.exp
// CHECK: %[[Z:.*]] = weft.reduce  sum %[[E]]
// CHECK: %[[ZB:.*]] = weft.broadcast %[[Z]]
// CHECK: %[[Y:.*]] = weft.div %[[E]], %[[ZB]]
// CHECK-NOT: %[[E]]
// CHECK-NOT: weft.compare
// CHECK: %[[GZ:.*]] = weft.mul %{{.*}}, %[[ZB]]
// CHECK-NEXT: %{{.*}} = weft.mul %[[GZ]], %[[Y]]
// CHECK-NOT: %[[E]]
// CHECK: return
func.func @main(%x: tensor<2x5xf32> {weft.param = "x"}, %w: tensor<2x5xf32> {weft.input = "w"})
    -> (tensor<f32> {weft.output = "loss"}) {
  %m = weft.reduce max %x dims = [1] : tensor<2x5xf32>
  %ms = weft.stop_gradient %m : tensor<2xf32>
  %mb = weft.broadcast %ms dims = [0] : tensor<2xf32> -> tensor<2x5xf32>
  %s = weft.sub %x, %mb : tensor<2x5xf32>
  %e = weft.exp %s : tensor<2x5xf32>
  %z = weft.reduce sum %e dims = [1] : tensor<2x5xf32>
  %zb = weft.broadcast %z dims = [0] : tensor<2xf32> -> tensor<2x5xf32>
  %y = weft.div %e, %zb : tensor<2x5xf32>
  %l0 = weft.mul %y, %w : tensor<2x5xf32>
  %l = weft.reduce sum %l0 dims = [0, 1] : tensor<2x5xf32>
  return %l : tensor<f32>
}

// -----

// Tests that a key/value cache write on the path from a parameter to the loss is reported as not differentiable
// (decoding programs are never differentiated).

func.func @main(%c: tensor<2x8xf32> {weft.input = "cache"}, %w: tensor<2x1xf32> {weft.param = "w"},
                %p: tensor<i64> {weft.input = "pos"}) -> (tensor<f32> {weft.output = "loss"}) {
  // expected-error @+1 {{'weft.dynamic_update_slice' op is not differentiable: it has no gradient (GradientOpInterface)}}
  %0 = weft.dynamic_update_slice %c[%p], %w dim = 1 : tensor<2x8xf32>, tensor<2x1xf32>, tensor<i64>
  %1 = weft.reduce sum %0 dims = [0, 1] : tensor<2x8xf32>
  return %1 : tensor<f32>
}

// -----

// Tests that a frozen parameter (weft.frozen, LoRA's base weight) is a constant: only the trainable
// adapter gets a gradient output, and no VJP is built for the frozen weight (a single matmul
// with transpose_lhs for grad:a, none for w).

// CHECK-LABEL: func.func @main(
// CHECK-SAME: -> (tensor<f32> {weft.output = "loss"}, tensor<4x3xf32> {weft.output = "grad:a"})
// CHECK-NOT: grad:w
// CHECK: %[[GA:.*]] = weft.matmul %arg2, %{{.*}} {transpose_lhs} : tensor<2x4xf32>, tensor<2x3xf32>
// CHECK-NOT: weft.matmul
// CHECK: return %{{.*}}, %[[GA]]
func.func @main(%w: tensor<4x3xf32> {weft.param = "w", weft.frozen}, %a: tensor<4x3xf32> {weft.param = "a"},
                %x: tensor<2x4xf32> {weft.input = "x"})
    -> (tensor<f32> {weft.output = "loss"}) {
  %0 = weft.matmul %x, %w : tensor<2x4xf32>, tensor<4x3xf32>
  %1 = weft.matmul %x, %a : tensor<2x4xf32>, tensor<4x3xf32>
  %2 = weft.add %0, %1 : tensor<2x3xf32>
  %3 = weft.reduce sum %2 dims = [0, 1] : tensor<2x3xf32>
  return %3 : tensor<f32>
}

// -----

// Tests that weft.matmul_q8 (a frozen int8 base weight) passes its cotangent to the activations as
// (g * scales) x weight read the other way, a weft.matmul_q8 with unit scales, so that the adapter on the
// layer's input gets its gradient; the int8 weight and its frozen scales get none.

// CHECK-LABEL: func.func @main(
// CHECK-SAME: -> (tensor<f32> {weft.output = "loss"}, tensor<4x4xf32> {weft.output = "grad:a"})
// CHECK: %[[SB:.*]] = weft.broadcast %arg1
// CHECK: %[[GS:.*]] = weft.mul %{{.*}}, %[[SB]] : tensor<2x3xf32>
// CHECK: %[[ONE:.*]] = weft.constant dense<1.000000e+00> : tensor<4xf32>
// CHECK: weft.matmul_q8 %[[GS]], %arg0, %[[ONE]] {transpose_rhs} : tensor<2x3xf32>, tensor<4x3xi8>, tensor<4xf32>
func.func @main(%q: tensor<4x3xi8> {weft.param = "w.q8", weft.frozen}, %s: tensor<3xf32> {weft.param = "w.scale", weft.frozen},
                %a: tensor<4x4xf32> {weft.param = "a"}, %x: tensor<2x4xf32> {weft.input = "x"})
    -> (tensor<f32> {weft.output = "loss"}) {
  %0 = weft.matmul %x, %a : tensor<2x4xf32>, tensor<4x4xf32>
  %1 = weft.matmul_q8 %0, %q, %s : tensor<2x4xf32>, tensor<4x3xi8>, tensor<3xf32>
  %2 = weft.reduce sum %1 dims = [0, 1] : tensor<2x3xf32>
  return %2 : tensor<f32>
}

// -----

// Tests that a trainable quantized weight (its scales not frozen) is an error at the weft.matmul_q8: int8
// weights have no gradient.

func.func @main(%q: tensor<4x3xi8> {weft.param = "w.q8"}, %s: tensor<3xf32> {weft.param = "w.scale"},
                %x: tensor<2x4xf32> {weft.input = "x"})
    -> (tensor<f32> {weft.output = "loss"}) {
  // expected-error @+2 {{is not differentiable with respect to its quantized weight}}
  // expected-note @+1 {{int8 weights are frozen}}
  %0 = weft.matmul_q8 %x, %q, %s : tensor<2x4xf32>, tensor<4x3xi8>, tensor<3xf32>
  %1 = weft.reduce sum %0 dims = [0, 1] : tensor<2x3xf32>
  return %1 : tensor<f32>
}
