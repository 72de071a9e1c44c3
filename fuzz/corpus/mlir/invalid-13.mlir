func.func @iota_dim(%a: tensor<3xf32>) {
  %0 = weft.iota dim = 1 : tensor<4xi64>
  return
}
