// RUN: weft-opt %s -split-input-file -verify-diagnostics

// Tests that weft.layer_norm rejects a gamma that is not [C].

func.func @layer_norm_gamma_shape(%x: tensor<4x8xf32>, %g: tensor<4x8xf32>) {
  // expected-error @+1 {{gamma must be a 1-D tensor of the normalized (last) dimension, [8], but it is [4, 8]}}
  %y, %m, %r = weft.layer_norm %x, %g epsilon = 1.0e-05 : tensor<4x8xf32>, tensor<4x8xf32>
  return
}

// -----

// Tests that weft.layer_norm rejects a beta of another element type.

func.func @layer_norm_beta_type(%x: tensor<4x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf16>) {
  // expected-error @+1 {{beta element type 'f16' differs from the input's 'f32'; insert a weft.cast}}
  %y, %m, %r = weft.layer_norm %x, %g, %b epsilon = 1.0e-05 : tensor<4x8xf32>, tensor<8xf32>, tensor<8xf16>
  return
}

// -----

// Tests that weft.rms_norm rejects a negative epsilon.

func.func @rms_norm_epsilon(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{epsilon must be finite and >= 0, got -1.000000e+00}}
  %y, %r = weft.rms_norm %x epsilon = -1.0 : tensor<4x8xf32>
  return
}

// -----

// Tests that weft.layer_norm rejects a rank-0 input.

func.func @layer_norm_rank0(%x: tensor<f32>) {
  // expected-error @+1 {{normalizes the last dimension but the input is rank 0}}
  %y, %m, %r = weft.layer_norm %x epsilon = 1.0e-05 : tensor<f32>
  return
}

// -----

// Tests that weft.fused_matmul rejects a bias that is not [N].

func.func @fused_matmul_bias(%a: tensor<16x32xf32>, %w: tensor<32x64xf32>, %b: tensor<16xf32>) {
  // expected-error @+1 {{bias must be a 1-D tensor [N] = [64] for a product of shape [16, 64], got [16]}}
  %0 = weft.fused_matmul %a, %w, %b : tensor<16x32xf32>, tensor<32x64xf32>, tensor<16xf32>
  return
}

// -----

// Tests that weft.fused_matmul rejects a gate that is not the product's shape.

func.func @fused_matmul_gate_shape(%a: tensor<16x32xf32>, %w: tensor<32x64xf32>, %g: tensor<64x16xf32>) {
  // expected-error @+1 {{gate must have the product's shape [16, 64], got [64, 16]}}
  %0 = weft.fused_matmul %a, %w gate %g : tensor<16x32xf32>, tensor<32x64xf32> gate tensor<64x16xf32>
  return
}

// -----

// Tests that weft.fused_matmul rejects a gate of another element type than the product's.

func.func @fused_matmul_gate_type(%a: tensor<16x32xf32>, %w: tensor<32x64xf32>, %g: tensor<16x64xbf16>) {
  // expected-error @+1 {{gate element type 'bf16' differs from the product's 'f32'; insert a cast}}
  %0 = weft.fused_matmul %a, %w gate %g : tensor<16x32xf32>, tensor<32x64xf32> gate tensor<16x64xbf16>
  return
}

// -----

// Tests that weft.fused_matmul checks the contracting dimensions like weft.matmul.

func.func @fused_matmul_k(%a: tensor<16x32xf32>, %w: tensor<64x32xf32>) {
  // expected-error @+1 {{contracting dimensions differ: lhs [16, 32] has K = 32 but rhs [64, 32] has K = 64}}
  %0 = weft.fused_matmul %a, %w activation = gelu : tensor<16x32xf32>, tensor<64x32xf32>
  return
}

// -----

// Tests that weft.fused_batch_matmul rejects an addend that is not a suffix of the product's shape.

func.func @fused_batch_matmul_addend(%q: tensor<2x8x16xf32>, %k: tensor<2x16x8xf32>, %m: tensor<2x8xf32>) {
  // expected-error @+1 {{addend [2, 8] must have the product's shape [2, 8, 8] or a suffix of it of rank >= 2}}
  %0 = weft.fused_batch_matmul %q, %k, %m alpha = 1.0 beta = 1.0 : tensor<2x8x16xf32>, tensor<2x16x8xf32>, tensor<2x8xf32>
  return
}

// -----

// Tests that weft.fused_batch_matmul rejects a non-zero beta without an addend.

func.func @fused_batch_matmul_beta(%q: tensor<2x8x16xf32>, %k: tensor<2x16x8xf32>) {
  // expected-error @+1 {{has beta = 1.000000e+00 but no addend; set beta = 0 or pass the addend}}
  %0 = weft.fused_batch_matmul %q, %k alpha = 1.0 beta = 1.0 : tensor<2x8x16xf32>, tensor<2x16x8xf32>
  return
}
