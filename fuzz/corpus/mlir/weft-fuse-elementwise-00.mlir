func.func @chain(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = weft.neg %x : tensor<4x8xf32>
  %1 = weft.exp %0 : tensor<4x8xf32>
  %2 = weft.tanh %1 : tensor<4x8xf32>
  return %2 : tensor<4x8xf32>
}
