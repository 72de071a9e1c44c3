// RUN: weft-opt %s -split-input-file -verify-diagnostics

// Tests that the collective ops check their axes against the module's mesh
// and their shapes against the group size.

func.func @no_mesh(%x: tensor<8xf32>) {
  // expected-error @+1 {{'weft.all_reduce' op needs a weft.mesh on the enclosing module to name its axes; add one, e.g. module attributes {weft.mesh = #weft.mesh<dp = 2, tp = 4>}}}
  %0 = weft.all_reduce sum %x axes = ["tp"] : tensor<8xf32>
  return
}

// -----

module attributes {weft.mesh = #weft.mesh<dp = 2, tp = 4>} {
  func.func @unknown_axis(%x: tensor<8xf32>) {
    // expected-error @+1 {{'weft.all_gather' op axis 'pp' is not an axis of the mesh; the mesh has axes {dp, tp}}}
    %0 = weft.all_gather %x axes = ["pp"] dim = 0 : tensor<8xf32> -> tensor<16xf32>
    return
  }
}

// -----

module attributes {weft.mesh = #weft.mesh<dp = 2, tp = 4>} {
  func.func @repeated_axis(%x: tensor<8xf32>) {
    // expected-error @+1 {{'weft.all_reduce' op axis 'tp' is listed twice in ["tp", "tp"]}}
    %0 = weft.all_reduce sum %x axes = ["tp", "tp"] : tensor<8xf32>
    return
  }
}

// -----

module attributes {weft.mesh = #weft.mesh<dp = 2, tp = 4>} {
  func.func @mean(%x: tensor<8xf32>) {
    // expected-error @+1 {{'weft.all_reduce' op kind mean is not a collective reduction; use sum (and scale by 1/G) or max or min}}
    %0 = weft.all_reduce mean %x axes = ["tp"] : tensor<8xf32>
    return
  }
}

// -----

module attributes {weft.mesh = #weft.mesh<dp = 2, tp = 4>} {
  func.func @gather_shape(%x: tensor<8x4xf32>) {
    // expected-error @+1 {{'weft.all_gather' op result type 'tensor<8x8xf32>' does not match 'tensor<8x16xf32>' (dimension 1 gathered from 4 devices)}}
    %0 = weft.all_gather %x axes = ["tp"] dim = 1 : tensor<8x4xf32> -> tensor<8x8xf32>
    return
  }
}

// -----

module attributes {weft.mesh = #weft.mesh<dp = 2, tp = 4>} {
  func.func @gather_dim(%x: tensor<8x4xf32>) {
    // expected-error @+1 {{'weft.all_gather' op dim 2 is out of range for the operand [8, 4] of rank 2}}
    %0 = weft.all_gather %x axes = ["tp"] dim = 2 : tensor<8x4xf32> -> tensor<8x16xf32>
    return
  }
}

// -----

module attributes {weft.mesh = #weft.mesh<dp = 2, tp = 4>} {
  func.func @scatter_divides(%x: tensor<8x6xf32>) {
    // expected-error @+1 {{'weft.reduce_scatter' op dimension 1 of the operand [8, 6] has size 6, which does not divide into 4 blocks over ["tp"]}}
    %0 = weft.reduce_scatter sum %x axes = ["tp"] dim = 1 : tensor<8x6xf32> -> tensor<8x1xf32>
    return
  }
}

// -----

module attributes {weft.mesh = #weft.mesh<dp = 2, tp = 4>} {
  func.func @scatter_shape(%x: tensor<8x8xf32>) {
    // expected-error @+1 {{'weft.reduce_scatter' op result type 'tensor<8x4xf32>' does not match 'tensor<8x2xf32>' (dimension 1 scattered over 4 devices)}}
    %0 = weft.reduce_scatter sum %x axes = ["tp"] dim = 1 : tensor<8x8xf32> -> tensor<8x4xf32>
    return
  }
}

// -----

module attributes {weft.mesh = #weft.mesh<dp = 2, tp = 4>} {
  func.func @all_to_all_divides(%x: tensor<8x6xf32>) {
    // expected-error @+1 {{'weft.all_to_all' op split_dim 1 of the operand [8, 6] has size 6, which does not divide into 4 blocks over ["tp"]}}
    %0 = weft.all_to_all %x axes = ["tp"] split_dim = 1 concat_dim = 0 : tensor<8x6xf32> -> tensor<32x1xf32>
    return
  }
}

// -----

module attributes {weft.mesh = #weft.mesh<dp = 2, tp = 4>} {
  func.func @all_to_all_shape(%x: tensor<8x8xf32>) {
    // expected-error @+1 {{'weft.all_to_all' op result type 'tensor<8x8xf32>' does not match 'tensor<32x2xf32>' (dimension 1 split and dimension 0 concatenated over 4 devices)}}
    %0 = weft.all_to_all %x axes = ["tp"] split_dim = 1 concat_dim = 0 : tensor<8x8xf32> -> tensor<8x8xf32>
    return
  }
}

// -----

module attributes {weft.mesh = #weft.mesh<dp = 2, tp = 4>} {
  func.func @permute_target_twice(%x: tensor<8xf32>) {
    // expected-error @+1 {{'weft.collective_permute' op index 1 is the target of two pairs; each device receives once}}
    %0 = weft.collective_permute %x axes = ["tp"] pairs = [[0, 1], [2, 1]] : tensor<8xf32>
    return
  }
}

// -----

module attributes {weft.mesh = #weft.mesh<dp = 2, tp = 4>} {
  func.func @permute_source_twice(%x: tensor<8xf32>) {
    // expected-error @+1 {{'weft.collective_permute' op index 0 is the source of two pairs; each device sends once}}
    %0 = weft.collective_permute %x axes = ["tp"] pairs = [[0, 1], [0, 2]] : tensor<8xf32>
    return
  }
}

// -----

module attributes {weft.mesh = #weft.mesh<dp = 2, tp = 4>} {
  func.func @permute_range(%x: tensor<8xf32>) {
    // expected-error @+1 {{'weft.collective_permute' op pair [0, 2] names index 2, outside the group of 2 devices over ["dp"]}}
    %0 = weft.collective_permute %x axes = ["dp"] pairs = [[0, 2]] : tensor<8xf32>
    return
  }
}

// -----

module attributes {weft.mesh = #weft.mesh<dp = 2, tp = 4>} {
  func.func @permute_pair(%x: tensor<8xf32>) {
    // expected-error @+1 {{'weft.collective_permute' op pair [0, 1, 2] is not [source, target] (two i64 indices)}}
    %0 = weft.collective_permute %x axes = ["dp"] pairs = [[0, 1, 2]] : tensor<8xf32>
    return
  }
}

// -----

module attributes {weft.mesh = #weft.mesh<dp = 2, tp = 4>} {
  func.func @axis_index_unknown() {
    // expected-error @+1 {{'weft.axis_index' op axis 'x' is not an axis of the mesh; the mesh has axes {dp, tp}}}
    %0 = weft.axis_index axes = ["x"] : tensor<i64>
    return
  }
}

// -----

module attributes {weft.mesh = #weft.mesh<dp = 2, tp = 4>} {
  func.func @constraint_invalid(%x: tensor<8x3xf32>) {
    // expected-error @+1 {{'weft.sharding_constraint' op dimension 1 of size 3 cannot be split 4 ways over {tp}}}
    %0 = weft.sharding_constraint %x {sharding = #weft.sharding<[{}, {tp}]>} : tensor<8x3xf32>
    return
  }
}

// -----

func.func @constraint_no_mesh(%x: tensor<8xf32>) {
  // expected-error @+1 {{'weft.sharding_constraint' op needs a weft.mesh on the enclosing module for its sharding}}
  %0 = weft.sharding_constraint %x {sharding = #weft.sharding<[{dp}]>} : tensor<8xf32>
  return
}
