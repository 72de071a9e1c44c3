func.func @main(%g: tensor<4xf32> {weft.param = "g"}, %x: tensor<2x4xf32> {weft.input = "x"})
    -> (tensor<f32> {weft.output = "loss"}) {
  %0 = weft.reduce mean %x dims = [1] : tensor<2x4xf32>
  %1 = weft.broadcast %0 dims = [0] : tensor<2xf32> -> tensor<2x4xf32>
  %2 = weft.sub %x, %1 : tensor<2x4xf32>
  %3 = weft.mul %2, %2 : tensor<2x4xf32>
  %4 = weft.reduce mean %3 dims = [1] : tensor<2x4xf32>
  %5 = weft.broadcast %4 dims = [0] : tensor<2xf32> -> tensor<2x4xf32>
  %6 = weft.rsqrt %5 : tensor<2x4xf32>
  %7 = weft.mul %2, %6 : tensor<2x4xf32>
  %8 = weft.broadcast %g dims = [1] : tensor<4xf32> -> tensor<2x4xf32>
  %9 = weft.mul %7, %8 : tensor<2x4xf32>
  %10 = weft.reduce sum %9 dims = [0, 1] : tensor<2x4xf32>
  return %10 : tensor<f32>
}
