func.func @compare(%a: tensor<8xf32>, %b: tensor<8xf32>) -> (tensor<8xi1>, tensor<8xi1>) {
  %0 = weft.compare ne, %a, %b : tensor<8xf32>
  %1 = weft.compare lt, %a, %b : tensor<8xf32>
  return %0, %1 : tensor<8xi1>, tensor<8xi1>
}
