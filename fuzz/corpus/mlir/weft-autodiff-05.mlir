func.func @main(%w: tensor<4xf32> {weft.param = "w"}) -> (tensor<f32> {weft.output = "loss"}) {
  %z = weft.constant dense<0.0> : tensor<4xf32>
  %c = weft.compare gt, %w, %z : tensor<4xf32>
  %0 = weft.select %c, %w, %z : tensor<4xi1>, tensor<4xf32>
  %1 = weft.reduce sum %0 dims = [0] : tensor<4xf32>
  return %1 : tensor<f32>
}
