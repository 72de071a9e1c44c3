func.func @main(%a: tensor<3x2xf32> {weft.param = "a"}, %b: tensor<4x3xf32> {weft.param = "b"})
    -> (tensor<f32> {weft.output = "loss"}) {
  %0 = weft.matmul %a, %b {transpose_lhs, transpose_rhs} : tensor<3x2xf32>, tensor<4x3xf32>
  %1 = weft.reduce sum %0 dims = [0, 1] : tensor<2x4xf32>
  return %1 : tensor<f32>
}
