func.func @gelu_tanh(%x: tensor<16xf32>) -> tensor<16xf32> {
  %0 = weft.gelu_tanh %x : tensor<16xf32>
  return %0 : tensor<16xf32>
}
