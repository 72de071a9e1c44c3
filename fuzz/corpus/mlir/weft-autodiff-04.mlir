func.func @main(%w: tensor<7xf32> {weft.param = "w"}) -> (tensor<f32> {weft.output = "loss"}) {
  %0 = weft.slice %w start = [1] limit = [6] strides = [2] : tensor<7xf32>
  %1 = weft.reduce sum %0 dims = [0] : tensor<3xf32>
  return %1 : tensor<f32>
}
