func.func @main(%w: tensor<4xf32> {weft.param = "w"}) -> (tensor<4xf32> {weft.output = "loss"}) {
  %0 = weft.exp %w : tensor<4xf32>
  return %0 : tensor<4xf32>
}
