func.func @matmul_rank(%a: tensor<2x8x8xf32>, %b: tensor<8x8xf32>) {
  %0 = weft.matmul %a, %b : tensor<2x8x8xf32>, tensor<8x8xf32>
  return
}
