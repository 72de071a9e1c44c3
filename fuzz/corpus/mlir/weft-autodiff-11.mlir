func.func @main(%w: tensor<4xf32> {weft.param = "w"})
    -> (tensor<f32> {weft.output = "loss"}, tensor<4xf32> {weft.output = "grad:w"}) {
  %0 = weft.reduce sum %w dims = [0] : tensor<4xf32>
  return %0, %w : tensor<f32>, tensor<4xf32>
}
