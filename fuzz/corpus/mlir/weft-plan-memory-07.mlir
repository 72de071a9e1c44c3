func.func @alignment(%x: tensor<3xf32> {weft.input = "x"}) -> tensor<3xf32> {
  %0 = weft.broadcast %x dims = [1] : tensor<3xf32> -> tensor<5x3xf32>
  %1 = weft.reduce sum %0 dims = [0] : tensor<5x3xf32>
  return %1 : tensor<3xf32>
}
