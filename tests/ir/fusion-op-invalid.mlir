// RUN: weft-opt %s -split-input-file -verify-diagnostics

// Tests that weft.fusion rejects having no results.

func.func @no_results(%x: tensor<4xf32>) {
  // expected-error @+1 {{has no results; a fused kernel must yield at least one value}}
  weft.fusion %x : (tensor<4xf32>) -> () {
  ^bb0(%a: tensor<4xf32>):
    weft.yield
  }
  return
}

// -----

// Tests that weft.fusion rejects a yield whose types differ from the results.

func.func @yield_type(%x: tensor<4xf32>) -> tensor<4xf16> {
  %y = weft.fusion %x : (tensor<4xf32>) -> tensor<4xf16> {
  ^bb0(%a: tensor<4xf32>):
    %s = weft.exp %a : tensor<4xf32>
    // expected-error @+1 {{operand #0 has type 'tensor<4xf32>' but result #0 of the weft.fusion has type 'tensor<4xf16>'}}
    weft.yield %s : tensor<4xf32>
  }
  return %y : tensor<4xf16>
}

// -----

// Tests that weft.fusion rejects block arguments that do not mirror the operands.

func.func @block_argument_type(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{block argument #0 has type 'tensor<8xf32>' but operand #0 has type 'tensor<4xf32>'}}
  %y = weft.fusion %x : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<8xf32>):
    %c = weft.constant dense<1.0> : tensor<4xf32>
    weft.yield %c : tensor<4xf32>
  }
  return %y : tensor<4xf32>
}

// -----

// Tests that the body of weft.fusion may not read values from outside (it is isolated from above).

func.func @reads_outside(%x: tensor<4xf32>, %z: tensor<4xf32>) -> tensor<4xf32> {
  // expected-note @+1 {{required by region isolation constraints}}
  %y = weft.fusion %x : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    // expected-error @+1 {{using value defined outside the region}}
    %s = weft.add %a, %z : tensor<4xf32>
    weft.yield %s : tensor<4xf32>
  }
  return %y : tensor<4xf32>
}

// -----

// Tests that weft.fusion rejects ops that are not region-free weft ops (here a nested fusion).

func.func @nested_fusion(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = weft.fusion %x : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    // expected-error @+1 {{cannot be inside a weft.fusion; its body holds only weft ops without regions or side effects}}
    %n = weft.fusion %a : (tensor<4xf32>) -> tensor<4xf32> {
    ^bb0(%b: tensor<4xf32>):
      %e = weft.exp %b : tensor<4xf32>
      weft.yield %e : tensor<4xf32>
    }
    weft.yield %n : tensor<4xf32>
  }
  return %y : tensor<4xf32>
}

// -----

// Tests that weft.yield outside a weft.fusion is rejected.

func.func @yield_outside(%x: tensor<4xf32>) {
  // expected-error @+1 {{expects parent op 'weft.fusion'}}
  weft.yield %x : tensor<4xf32>
}
