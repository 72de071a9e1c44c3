func.func @product_escapes(%a: tensor<4x8x16xf32>, %b: tensor<4x16x8xf32>, %res: tensor<4x8x8xf32>) -> (tensor<4x8x8xf32>, tensor<4x8x8xf32>) {
  %s = weft.batch_matmul %a, %b : tensor<4x8x16xf32>, tensor<4x16x8xf32>
  %r = weft.add %s, %res : tensor<4x8x8xf32>
  return %r, %s : tensor<4x8x8xf32>, tensor<4x8x8xf32>
}
func.func @not_matched(%x: tensor<8x16xf32>, %w: tensor<16x8xf32>, %r: tensor<8x8xf32>, %a: tensor<4x8x16xf32>, %b: tensor<4x16x8xf32>, %scale: tensor<4x8x8xf32>) -> (tensor<8x8xf32>, tensor<4x8x8xf32>) {
  %p = weft.matmul %x, %w : tensor<8x16xf32>, tensor<16x8xf32>
  %z = weft.add %p, %r : tensor<8x8xf32>
  %s = weft.batch_matmul %a, %b : tensor<4x8x16xf32>, tensor<4x16x8xf32>
  %t = weft.mul %s, %scale : tensor<4x8x8xf32>
  return %z, %t : tensor<8x8xf32>, tensor<4x8x8xf32>
}
