func.func @padding_mask(%a: tensor<4x8x16xf32>, %b: tensor<4x16x8xf32>, %mask: tensor<4x1x8xf32>) -> tensor<4x8x8xf32> {
  %s = weft.batch_matmul %a, %b : tensor<4x8x16xf32>, tensor<4x16x8xf32>
  %mb = weft.broadcast %mask dims = [0, 1, 2] : tensor<4x1x8xf32> -> tensor<4x8x8xf32>
  %r = weft.add %s, %mb : tensor<4x8x8xf32>
  return %r : tensor<4x8x8xf32>
}
