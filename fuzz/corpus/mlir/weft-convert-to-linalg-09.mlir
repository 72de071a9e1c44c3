func.func @gather(%t: tensor<50x8xf32>, %i: tensor<3xi64>) -> tensor<3x8xf32> {
  %0 = weft.gather %t[%i] : tensor<50x8xf32>, tensor<3xi64>
  return %0 : tensor<3x8xf32>
}
