func.func @main(%w: tensor<4x3xf32> {weft.param = "w"}, %x: tensor<2x4xf32> {weft.input = "x"})
    -> (tensor<f32> {weft.output = "loss"}) {
  %0 = weft.matmul %x, %w : tensor<2x4xf32>, tensor<4x3xf32>
  %1 = weft.reduce mean %0 dims = [0, 1] : tensor<2x3xf32>
  return %1 : tensor<f32>
}
