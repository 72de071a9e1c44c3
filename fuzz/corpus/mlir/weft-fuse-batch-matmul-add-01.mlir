func.func @divided_plus_residual(%a: tensor<4x8x16xf32>, %b: tensor<4x16x8xf32>, %res: tensor<4x8x8xf32>) -> tensor<4x8x8xf32> {
  %s = weft.batch_matmul %a, %b : tensor<4x8x16xf32>, tensor<4x16x8xf32>
  %c = weft.constant dense<4.0> : tensor<4x8x8xf32>
  %t = weft.div %s, %c : tensor<4x8x8xf32>
  %r = weft.add %res, %t : tensor<4x8x8xf32>
  return %r : tensor<4x8x8xf32>
}
func.func @scale_first_operand(%a: tensor<4x16x8xf32>, %b: tensor<4x16x8xf32>, %res: tensor<4x8x8xf32>) -> tensor<4x8x8xf32> {
  %s = weft.batch_matmul %a, %b {transpose_lhs} : tensor<4x16x8xf32>, tensor<4x16x8xf32>
  %c = weft.constant dense<0.5> : tensor<4x8x8xf32>
  %t = weft.mul %c, %s : tensor<4x8x8xf32>
  %r = weft.add %t, %res : tensor<4x8x8xf32>
  return %r : tensor<4x8x8xf32>
}
