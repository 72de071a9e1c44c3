func.func @mixed(%a: tensor<2x5x4xf32>, %b: tensor<2x3x5xf32>) -> tensor<4x6xf32> {
  %0 = weft.batch_matmul %a, %b {transpose_lhs, transpose_rhs} : tensor<2x5x4xf32>, tensor<2x3x5xf32>
  %1 = weft.reshape %0 : tensor<2x4x3xf32> -> tensor<4x6xf32>
  %c = weft.constant dense<1.0> : tensor<4x6xf32>
  %2 = weft.add %1, %c : tensor<4x6xf32>
  return %2 : tensor<4x6xf32>
}
