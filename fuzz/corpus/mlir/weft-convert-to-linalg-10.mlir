func.func @iota_constant() -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %0 = weft.iota dim = 1 : tensor<2x3xf32>
  %1 = weft.constant dense<1.0> : tensor<2x3xf32>
  return %0, %1 : tensor<2x3xf32>, tensor<2x3xf32>
}
