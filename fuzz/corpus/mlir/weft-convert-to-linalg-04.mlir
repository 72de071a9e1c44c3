func.func @cast_f32_i32(%a: tensor<8xf32>) -> tensor<8xi32> {
  %0 = weft.cast %a : tensor<8xf32> -> tensor<8xi32>
  return %0 : tensor<8xi32>
}
