func.func @main(%x: tensor<2x4xf32> {weft.input = "x"}, %g: tensor<4xf32> {weft.param = "gamma"})
    -> (tensor<f32> {weft.output = "loss"}) {
  %y, %mean, %rstd = weft.layer_norm %x, %g epsilon = 1.000000e-05 : tensor<2x4xf32>, tensor<4xf32>
  %0 = weft.reduce sum %y dims = [0, 1] : tensor<2x4xf32>
  return %0 : tensor<f32>
}
