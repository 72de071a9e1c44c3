func.func @main(%w: tensor<4x3xf32> {weft.param = "w"}, %b: tensor<3xf32> {weft.param = "b"},
                %x: tensor<2x4xf32> {weft.input = "x"}, %u: tensor<5xf32> {weft.param = "unused"})
    -> (tensor<2x3xf32> {weft.output = "y"}, tensor<f32> {weft.output = "loss"}) {
  %0 = weft.matmul %x, %w : tensor<2x4xf32>, tensor<4x3xf32>
  %1 = weft.broadcast %b dims = [1] : tensor<3xf32> -> tensor<2x3xf32>
  %2 = weft.add %0, %1 : tensor<2x3xf32>
  %3 = weft.reduce sum %2 dims = [0, 1] : tensor<2x3xf32>
  return %2, %3 : tensor<2x3xf32>, tensor<f32>
}
