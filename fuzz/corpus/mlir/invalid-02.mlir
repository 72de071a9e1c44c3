func.func @batch_mismatch(%a: tensor<2x8x8xf32>, %b: tensor<3x8x8xf32>) {
  %0 = weft.batch_matmul %a, %b : tensor<2x8x8xf32>, tensor<3x8x8xf32>
  return
}
