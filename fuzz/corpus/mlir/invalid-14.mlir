func.func @gather_float_index(%t: tensor<5x4xf32>, %i: tensor<3xf32>) {
  %0 = weft.gather %t[%i] : tensor<5x4xf32>, tensor<3xf32>
  return
}
