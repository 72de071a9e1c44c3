func.func @fused_matmul_k(%a: tensor<16x32xf32>, %w: tensor<64x32xf32>) {
  %0 = weft.fused_matmul %a, %w activation = gelu : tensor<16x32xf32>, tensor<64x32xf32>
  return
}
