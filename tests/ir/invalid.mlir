// RUN: weft-opt %s -split-input-file -verify-diagnostics

// Tests that the verifiers reject malformed weft IR with errors that name the shapes.

func.func @matmul_k_mismatch(%a: tensor<8x768xf32>, %b: tensor<512x768xf32>) -> tensor<8x768xf32> {
  // expected-error @+1 {{'weft.matmul' op contracting dimensions differ: lhs [8, 768] has K = 768 but rhs [512, 768] has K = 512}}
  %0 = weft.matmul %a, %b : tensor<8x768xf32>, tensor<512x768xf32>
  return %0 : tensor<8x768xf32>
}

// -----

func.func @matmul_rank(%a: tensor<2x8x8xf32>, %b: tensor<8x8xf32>) {
  // expected-error @+1 {{'weft.matmul' op expects 2-D operands, got lhs [2, 8, 8] and rhs [8, 8]}}
  %0 = weft.matmul %a, %b : tensor<2x8x8xf32>, tensor<8x8xf32>
  return
}

// -----

func.func @batch_mismatch(%a: tensor<2x8x8xf32>, %b: tensor<3x8x8xf32>) {
  // expected-error @+1 {{'weft.batch_matmul' op batch dimensions differ: lhs [2, 8, 8] vs rhs [3, 8, 8]}}
  %0 = weft.batch_matmul %a, %b : tensor<2x8x8xf32>, tensor<3x8x8xf32>
  return
}

// -----

func.func @reshape_count(%a: tensor<4x8xf32>) {
  // expected-error @+1 {{'weft.reshape' op cannot reshape [4, 8] (32 elements) to [5, 8] (40 elements)}}
  %0 = weft.reshape %a : tensor<4x8xf32> -> tensor<5x8xf32>
  return
}

// -----

func.func @broadcast_size(%a: tensor<3xf32>) {
  // expected-error @+1 {{'weft.broadcast' op cannot broadcast [3] to [4, 5]: input dimension 0 (size 3) maps to result dimension 1 (size 5)}}
  %0 = weft.broadcast %a dims = [1] : tensor<3xf32> -> tensor<4x5xf32>
  return
}

// -----

func.func @broadcast_rank(%a: tensor<3xf32>) {
  // expected-error @+1 {{'weft.broadcast' op dims has 2 entries but the input [3] has rank 1}}
  %0 = weft.broadcast %a dims = [0, 1] : tensor<3xf32> -> tensor<3x5xf32>
  return
}

// -----

func.func @transpose_perm(%a: tensor<3x4xf32>) {
  // expected-error @+1 {{'weft.transpose' op permutation [0, 0] is not a permutation of 0..1}}
  %0 = weft.transpose %a permutation = [0, 0] : tensor<3x4xf32>
  return
}

// -----

func.func @reduce_dims(%a: tensor<3x4xf32>) {
  // expected-error @+1 {{'weft.reduce' op dims entry 2 is out of range for rank 2}}
  %0 = weft.reduce sum %a dims = [2] : tensor<3x4xf32>
  return
}

// -----

func.func @slice_limit(%a: tensor<3x4xf32>) {
  // expected-error @+1 {{'weft.slice' op dimension 1 of [3, 4]: need 0 <= start (0) <= limit (5) <= size (4) and stride (1) >= 1}}
  %0 = weft.slice %a start = [0, 0] limit = [3, 5] strides = [1, 1] : tensor<3x4xf32>
  return
}

// -----

func.func @concat_mismatch(%a: tensor<3x4xf32>, %b: tensor<3x5xf32>) {
  // expected-error @+1 {{'weft.concat' op inputs [3, 4] and [3, 5] differ outside dimension 0 or in element type}}
  %0 = weft.concat %a, %b dim = 0 : tensor<3x4xf32>, tensor<3x5xf32>
  return
}

// -----

func.func @binary_types(%a: tensor<3x4xf32>, %b: tensor<4x3xf32>) {
  // expected-error @+1 {{'weft.add' op all non-scalar operands/results must have the same shape and base type}}
  %0 = "weft.add"(%a, %b) : (tensor<3x4xf32>, tensor<4x3xf32>) -> tensor<3x4xf32>
  return
}

// -----

func.func @exp_int(%a: tensor<3xi32>) {
  // expected-error @+1 {{'weft.exp' op operand #0 must be statically shaped tensor of}}
  %0 = weft.exp %a : tensor<3xi32>
  return
}

// -----

func.func @dynamic(%a: tensor<?xf32>) {
  // expected-error @+1 {{'weft.neg' op operand #0 must be statically shaped tensor of}}
  %0 = weft.neg %a : tensor<?xf32>
  return
}

// -----

func.func @iota_dim(%a: tensor<3xf32>) {
  // expected-error @+1 {{'weft.iota' op dim 1 is out of range for [4]}}
  %0 = weft.iota dim = 1 : tensor<4xi64>
  return
}

// -----

func.func @random_seed_not_scalar(%seed: tensor<2xi64>) {
  // expected-error @+1 {{'weft.random_uniform' op seed must be a rank-0 i64 tensor, got 'tensor<2xi64>'}}
  %0 = weft.random_uniform %seed stream = 0 : tensor<2xi64> -> tensor<4xf32>
  return
}

// -----

func.func @random_integer_result(%seed: tensor<i64>) {
  // expected-error @+1 {{'weft.random_uniform' op result must be a float tensor, got 'tensor<4xi64>'}}
  %0 = weft.random_uniform %seed stream = 0 : tensor<i64> -> tensor<4xi64>
  return
}

// -----

func.func @gather_float_index(%t: tensor<5x4xf32>, %i: tensor<3xf32>) {
  // expected-error @+1 {{'weft.gather' op operand #1 must be statically shaped tensor of 32-bit signless integer or 64-bit signless integer values}}
  %0 = weft.gather %t[%i] : tensor<5x4xf32>, tensor<3xf32>
  return
}

// -----

// Tests that a tensor of more than 2^62 bytes is refused at the op that uses it (sizes and offsets of such
// tensors would overflow int64 in the memory plan and the cost model).
func.func @tensor_too_large(%a: tensor<4611686018427387904x4xf32>) {
  // expected-error @+1 {{'weft.neg' op operand #0 of type 'tensor<4611686018427387904x4xf32>' holds more than 2^62 bytes}}
  %0 = weft.neg %a : tensor<4611686018427387904x4xf32>
  return
}

// -----

// Tests that a weft.param that is not a name is refused where it is attached.
// expected-error @+1 {{argument #0 has "weft.param" = 5 : i64; expected a non-empty string naming it}}
func.func @param_not_a_string(%a: tensor<4xf32> {weft.param = 5}) {
  return
}

// -----

// expected-error @+1 {{result #0 has "weft.output" = ""; expected a non-empty string naming it}}
func.func @empty_output_name(%a: tensor<4xf32>) -> (tensor<4xf32> {weft.output = ""}) {
  return %a : tensor<4xf32>
}

// -----

// expected-error @+1 {{argument #0 has the unknown attribute "weft.parm"; weft knows weft.param, weft.frozen, weft.input, weft.state, weft.offset, weft.sharding and weft.global_shape there}}
func.func @misspelt_tag(%a: tensor<4xf32> {weft.parm = "w"}) {
  return
}

// -----

// expected-error @+1 {{argument #0 has "weft.frozen" = true; it is a unit attribute of a weft.param argument}}
func.func @frozen_input(%a: tensor<4xf32> {weft.input = "x", weft.frozen = true}) {
  return
}

// -----

// expected-error @+1 {{the op has "weft.arena_alignment" = 48 : i64; expected a power of two}}
func.func @arena_alignment_not_a_power_of_two() attributes {weft.arena_alignment = 48 : i64} {
  return
}

// -----

func.func @negative_offset(%a: tensor<4xf32>) {
  // expected-error @+1 {{the op has "weft.offset" = -64 : i64; expected an integer >= 0}}
  %0 = weft.neg %a {weft.offset = -64 : i64} : tensor<4xf32>
  return
}
