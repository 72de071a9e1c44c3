func.func @main(%w: tensor<4xf32> {weft.param = "w"}) -> (tensor<i32> {weft.output = "loss"}) {
  %0 = weft.cast %w : tensor<4xf32> -> tensor<4xi32>
  %1 = weft.reduce sum %0 dims = [0] : tensor<4xi32>
  return %1 : tensor<i32>
}
