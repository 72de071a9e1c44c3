func.func @main(%t: tensor<5x3x3xf32> {weft.param = "table"}, %i: tensor<2xi64> {weft.input = "ids"})
    -> (tensor<f32> {weft.output = "loss"}) {
  %0 = weft.gather %t[%i] : tensor<5x3x3xf32>, tensor<2xi64>
  %1 = weft.batch_matmul %0, %0 : tensor<2x3x3xf32>, tensor<2x3x3xf32>
  %2 = weft.add %0, %1 : tensor<2x3x3xf32>
  %3 = weft.reduce sum %2 dims = [0, 1, 2] : tensor<2x3x3xf32>
  return %3 : tensor<f32>
}
