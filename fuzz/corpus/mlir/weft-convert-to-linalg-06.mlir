func.func @reduce_mean(%x: tensor<128x768xf32>) -> tensor<128xf32> {
  %0 = weft.reduce mean %x dims = [1] : tensor<128x768xf32>
  return %0 : tensor<128xf32>
}
