// RUN: weft-opt %s -split-input-file -weft-propagate-sharding -verify-diagnostics

// Tests that two hints asking one op for different splits of the same dimension are an error at the op that
// names both shardings.

module attributes {weft.mesh = #weft.mesh<dp = 2, tp = 2>} {
  func.func @main(%x: tensor<4x6xf32> {weft.input = "x", weft.sharding = #weft.sharding<[{dp}, {}]>},
                  %y: tensor<4x6xf32> {weft.input = "y", weft.sharding = #weft.sharding<[{tp}, {}]>})
      -> tensor<4x6xf32> {
    // expected-error @below {{conflicting sharding hints: operand 0 is #weft.sharding<[{dp}, {}]> but operand 1 is #weft.sharding<[{tp}, {}]>}}
    %s = weft.add %x, %y : tensor<4x6xf32>
    return %s : tensor<4x6xf32>
  }
}

// -----

// Tests that one mesh axis hinted for two dimensions of one op (M and N of a matmul) is an error.

module attributes {weft.mesh = #weft.mesh<tp = 2>} {
  func.func @main(%x: tensor<4x6xf32> {weft.input = "x", weft.sharding = #weft.sharding<[{tp}, {}]>},
                  %w: tensor<6x8xf32> {weft.param = "w", weft.sharding = #weft.sharding<[{}, {tp}]>})
      -> tensor<4x8xf32> {
    // expected-error @below {{conflicting sharding hints: operand 0 is #weft.sharding<[{tp}, {}]> but operand 1 is #weft.sharding<[{}, {tp}]>}}
    %h = weft.matmul %x, %w : tensor<4x6xf32>, tensor<6x8xf32>
    return %h : tensor<4x8xf32>
  }
}

// -----

// Tests that a module without a mesh is refused with a hint.

// expected-error @below {{weft-propagate-sharding: the module has no weft.mesh attribute}}
module {
  func.func @main(%x: tensor<4xf32> {weft.input = "x"}) -> tensor<4xf32> {
    return %x : tensor<4xf32>
  }
}
