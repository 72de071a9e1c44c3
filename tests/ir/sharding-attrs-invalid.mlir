// RUN: weft-opt %s -split-input-file -verify-diagnostics

// Tests that malformed meshes and shardings are rejected with errors that
// name the axis, the dimension and its size.

// expected-error @+1 {{mesh axis 'tp' is declared twice (axes #0 and #1); axis names must be unique}}
module attributes {weft.mesh = #weft.mesh<tp = 2, tp = 4>} {}

// -----

// expected-error @+1 {{mesh axis 'dp' has size 0; sizes must be >= 1}}
module attributes {weft.mesh = #weft.mesh<dp = 0>} {}

// -----

// expected-error @+1 {{a mesh needs at least one axis}}
module attributes {weft.mesh = #weft.mesh<>} {}

// -----

// expected-error @+1 {{only a builtin.module carries the mesh}}
func.func @mesh_on_func() attributes {weft.mesh = #weft.mesh<dp = 2>} {
  return
}

// -----

module attributes {weft.mesh = #weft.mesh<dp = 2, tp = 4>} {
  // expected-error @+1 {{argument #0 has an invalid "weft.sharding": dimension 1 uses the unknown mesh axis 'pp'; the mesh has axes {dp, tp}}}
  func.func @unknown_axis(%x: tensor<8x8xf32> {weft.sharding = #weft.sharding<[{}, {pp}]>}) {
    return
  }
}

// -----

module attributes {weft.mesh = #weft.mesh<dp = 2, tp = 4>} {
  // expected-error @+1 {{partial uses the unknown mesh axis 'sp'}}
  func.func @unknown_partial(%x: tensor<8x8xf32> {weft.sharding = #weft.sharding<[{}, {}] partial {sp}>}) {
    return
  }
}

// -----

// expected-error @+1 {{mesh axis 'tp' is used by both dimension 0 and dimension 1; each axis splits a tensor once}}
func.func private @axis_in_two_dims() attributes {s = #weft.sharding<[{tp}, {tp}]>}

// -----

// expected-error @+1 {{mesh axis 'tp' is used twice in {tp, tp}; each axis splits a tensor once}}
func.func private @axis_twice_in_one_dim() attributes {s = #weft.sharding<[{tp, tp}]>}

// -----

// expected-error @+1 {{mesh axis 'dp' is used by both dimension 0 and partial}}
func.func private @axis_in_dim_and_partial() attributes {s = #weft.sharding<[{dp}] partial {dp}>}

// -----

// expected-error @+1 {{dimension sharding {tp} has 0 blocks; blocks must be >= 1}}
func.func private @zero_blocks() attributes {s = #weft.sharding<[{tp} x 0]>}

// -----

module attributes {weft.mesh = #weft.mesh<dp = 2, tp = 4>} {
  // expected-error @+1 {{argument #0 has an invalid "weft.sharding": dimension 1 of size 3 cannot be split 4 ways over {tp}}}
  func.func @too_many_ways(%x: tensor<8x3xf32> {weft.sharding = #weft.sharding<[{}, {tp}]>}) {
    return
  }
}

// -----

module attributes {weft.mesh = #weft.mesh<dp = 2, tp = 4>} {
  // expected-error @+1 {{result #0 has an invalid "weft.sharding": dimension 0 of size 18 in 3 blocks cannot be split 4 ways over {tp}: 3 x 4 must divide 18}}
  func.func @blocks_not_dividing(%x: tensor<18xf32>) -> (tensor<18xf32> {weft.sharding = #weft.sharding<[{tp} x 3]>}) {
    return %x : tensor<18xf32>
  }
}

// -----

module attributes {weft.mesh = #weft.mesh<dp = 2, tp = 4>} {
  // expected-error @+1 {{argument #0 has an invalid "weft.sharding": sharding #weft.sharding<[{dp}]> has 1 dimensions but the tensor 'tensor<8x8xf32>' has rank 2}}
  func.func @rank_mismatch(%x: tensor<8x8xf32> {weft.sharding = #weft.sharding<[{dp}]>}) {
    return
  }
}

// -----

// expected-error @+1 {{argument #0 has "weft.sharding" = #weft.sharding<[{dp}]> but the enclosing module has no weft.mesh; add one, e.g. module attributes {weft.mesh = #weft.mesh<dp = 2>}}}
func.func @sharding_without_mesh(%x: tensor<8xf32> {weft.sharding = #weft.sharding<[{dp}]>}) {
  return
}

// -----

module attributes {weft.mesh = #weft.mesh<dp = 2>} {
  func.func @shardings_count(%x: tensor<8xf32>) {
    // expected-error @+1 {{the op has "weft.shardings" = [#weft.sharding<[{dp}]>, #weft.sharding<[{dp}]>]; expected an array of one #weft.sharding per result (1)}}
    %0 = weft.neg %x {weft.shardings = [#weft.sharding<[{dp}]>, #weft.sharding<[{dp}]>]} : tensor<8xf32>
    return
  }
}

// -----

module attributes {weft.mesh = #weft.mesh<dp = 2>} {
  func.func @shardings_not_a_sharding(%x: tensor<8xf32>) {
    // expected-error @+1 {{result #0 has "weft.shardings" = "dp"; expected a #weft.sharding}}
    %0 = weft.neg %x {weft.shardings = ["dp"]} : tensor<8xf32>
    return
  }
}
