func.func @div_i32(%a: tensor<8xi32>, %b: tensor<8xi32>) -> tensor<8xi32> {
  %0 = weft.div %a, %b : tensor<8xi32>
  return %0 : tensor<8xi32>
}
