func.func @add_only(%a: tensor<4x8x16xf32>, %b: tensor<4x16x8xf32>, %res: tensor<4x8x8xf32>) -> tensor<4x8x8xf32> {
  %s = weft.batch_matmul %a, %b : tensor<4x8x16xf32>, tensor<4x16x8xf32>
  %r = weft.add %s, %res : tensor<4x8x8xf32>
  return %r : tensor<4x8x8xf32>
}
func.func @subtract(%a: tensor<4x8x16xf32>, %b: tensor<4x16x8xf32>, %res: tensor<4x8x8xf32>) -> tensor<4x8x8xf32> {
  %s = weft.batch_matmul %a, %b : tensor<4x8x16xf32>, tensor<4x16x8xf32>
  %r = weft.sub %s, %res : tensor<4x8x8xf32>
  return %r : tensor<4x8x8xf32>
}
func.func @scale_only(%a: tensor<4x8x16xf32>, %b: tensor<4x16x8xf32>) -> (tensor<4x8x8xf32>, tensor<4x8x8xf32>) {
  %s = weft.batch_matmul %a, %b : tensor<4x8x16xf32>, tensor<4x16x8xf32>
  %c = weft.constant dense<2.0> : tensor<4x8x8xf32>
  %t = weft.mul %s, %c : tensor<4x8x8xf32>
  %e = weft.exp %t : tensor<4x8x8xf32>
  return %e, %t : tensor<4x8x8xf32>, tensor<4x8x8xf32>
}
