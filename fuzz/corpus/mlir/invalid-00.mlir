func.func @matmul_k_mismatch(%a: tensor<8x768xf32>, %b: tensor<512x768xf32>) -> tensor<8x768xf32> {
  %0 = weft.matmul %a, %b : tensor<8x768xf32>, tensor<512x768xf32>
  return %0 : tensor<8x768xf32>
}
