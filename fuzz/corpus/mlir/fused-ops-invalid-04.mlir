func.func @fused_matmul_bias(%a: tensor<16x32xf32>, %w: tensor<32x64xf32>, %b: tensor<16xf32>) {
  %0 = weft.fused_matmul %a, %w, %b : tensor<16x32xf32>, tensor<32x64xf32>, tensor<16xf32>
  return
}
