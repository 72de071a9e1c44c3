func.func @in_place(%x: tensor<1024xf32> {weft.input = "x"}) -> tensor<f32> {
  %0 = weft.exp %x : tensor<1024xf32>
  %1 = weft.reduce sum %0 dims = [0] : tensor<1024xf32>
  return %1 : tensor<f32>
}
