func.func @add(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = weft.add %a, %b : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}
