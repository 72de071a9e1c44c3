func.func @main(%w: tensor<4x3xf32> {weft.param = "w"}, %b: tensor<3xf32> {weft.param = "b"},
                %x: tensor<2x4xf32> {weft.input = "x"})
    -> (tensor<f32> {weft.output = "loss"}, tensor<4x3xf32> {weft.output = "grad:w"},
        tensor<3xf32> {weft.output = "grad:b"}) {
  %0 = weft.matmul %x, %w : tensor<2x4xf32>, tensor<4x3xf32>
  %1 = weft.reduce sum %0 dims = [0, 1] : tensor<2x3xf32>
  %gw = weft.matmul %x, %0 {transpose_lhs} : tensor<2x4xf32>, tensor<2x3xf32>
  %gb = weft.reduce sum %0 dims = [0] : tensor<2x3xf32>
  return %1, %gw, %gb : tensor<f32>, tensor<4x3xf32>, tensor<3xf32>
}
