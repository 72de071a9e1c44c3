func.func @two_branches(%x: tensor<1024xf32> {weft.input = "x"}) -> tensor<f32> {
  %0 = weft.exp %x : tensor<1024xf32>
  %1 = weft.tanh %x : tensor<1024xf32>
  %2 = weft.reduce sum %0 dims = [0] : tensor<1024xf32>
  %3 = weft.reduce sum %1 dims = [0] : tensor<1024xf32>
  %4 = weft.add %2, %3 : tensor<f32>
  return %4 : tensor<f32>
}
