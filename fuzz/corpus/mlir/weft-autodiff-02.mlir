func.func @main(%w: tensor<4xf32> {weft.param = "w"}) -> (tensor<f32> {weft.output = "loss"}) {
  %0 = weft.mul %w, %w : tensor<4xf32>
  %1 = weft.exp %w : tensor<4xf32>
  %2 = weft.add %0, %1 : tensor<4xf32>
  %3 = weft.reduce sum %2 dims = [0] : tensor<4xf32>
  return %3 : tensor<f32>
}
