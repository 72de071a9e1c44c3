func.func @fused_batch_matmul_beta(%q: tensor<2x8x16xf32>, %k: tensor<2x16x8xf32>) {
  %0 = weft.fused_batch_matmul %q, %k alpha = 1.0 beta = 1.0 : tensor<2x8x16xf32>, tensor<2x16x8xf32>
  return
}
