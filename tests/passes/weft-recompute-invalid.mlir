// RUN: weft-opt %s -split-input-file -verify-diagnostics -weft-recompute

// Tests that recompute groups without the loss output are refused at the function: the forward pass cannot be
// told from the backward pass.

// expected-error @+1 {{has recompute groups (weft.recompute) but no output named 'loss'}}
func.func @no_loss(%x: tensor<8xf32> {weft.input = "x"}) -> (tensor<f32> {weft.output = "total"}) {
  %t = weft.tanh %x {weft.recompute = 0 : i64} : tensor<8xf32>
  %l = weft.reduce sum %t dims = [0] {weft.recompute = 0 : i64} : tensor<8xf32>
  return %l : tensor<f32>
}

// -----

// Tests that a recompute group must be a non-negative i64.

func.func @bad_group(%x: tensor<8xf32> {weft.input = "x"}) -> (tensor<8xf32> {weft.output = "loss"}) {
  // expected-error @+1 {{has weft.recompute = -1 : i64; expected a recompute group, a non-negative i64}}
  %t = weft.tanh %x {weft.recompute = -1 : i64} : tensor<8xf32>
  return %t : tensor<8xf32>
}
