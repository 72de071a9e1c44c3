func.func @main(%w: tensor<4xf32> {weft.param = "w"}) -> (tensor<4xf32> {weft.output = "y"}) {
  return %w : tensor<4xf32>
}
