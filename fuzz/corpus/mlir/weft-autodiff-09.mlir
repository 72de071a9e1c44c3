func.func @main(%w: tensor<4xf32> {weft.param = "w"}) -> (tensor<f32> {weft.output = "loss"}) {
  %0 = weft.cast %w : tensor<4xf32> -> tensor<4xi32>
  %1 = weft.cast %0 : tensor<4xi32> -> tensor<4xf32>
  %2 = weft.reduce sum %1 dims = [0] : tensor<4xf32>
  return %2 : tensor<f32>
}
