func.func @scaled_scores_plus_mask(%q: tensor<2x3x8x64xf32>, %k: tensor<2x3x8x64xf32>, %mask: tensor<8x8xf32>) -> tensor<2x3x8x8xf32> {
  %s = weft.batch_matmul %q, %k {transpose_rhs} : tensor<2x3x8x64xf32>, tensor<2x3x8x64xf32>
  %c = weft.constant dense<1.250000e-01> : tensor<2x3x8x8xf32>
  %t = weft.mul %s, %c : tensor<2x3x8x8xf32>
  %mb = weft.broadcast %mask dims = [2, 3] : tensor<8x8xf32> -> tensor<2x3x8x8xf32>
  %r = weft.add %t, %mb : tensor<2x3x8x8xf32>
  return %r : tensor<2x3x8x8xf32>
}
