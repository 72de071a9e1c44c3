func.func @multiple_results(%x: tensor<4x16xf32> {weft.input = "x"}, %g: tensor<16xf32> {weft.param = "g"})
    -> (tensor<4x16xf32>, tensor<4xf32>) {
  %y, %mean, %rstd = weft.layer_norm %x, %g epsilon = 1.0e-05 : tensor<4x16xf32>, tensor<16xf32>
  return %y, %rstd : tensor<4x16xf32>, tensor<4xf32>
}
