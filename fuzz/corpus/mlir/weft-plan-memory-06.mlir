func.func @parameters_outside(%x: tensor<8x16xf32> {weft.input = "x"}, %w: tensor<16x4xf32> {weft.param = "w"})
    -> tensor<8x4xf32> {
  %r = weft.reshape %w : tensor<16x4xf32> -> tensor<4x16xf32>
  %0 = weft.matmul %x, %r {transpose_rhs} : tensor<8x16xf32>, tensor<4x16xf32>
  return %0 : tensor<8x4xf32>
}
