func.func @product_escapes(%x: tensor<16x32xf32>, %w: tensor<32x64xf32>) -> (tensor<16x64xf32>, tensor<16x64xf32>) {
  %p = weft.matmul %x, %w : tensor<16x32xf32>, tensor<32x64xf32>
  %h = weft.gelu %p : tensor<16x64xf32>
  return %h, %p : tensor<16x64xf32>, tensor<16x64xf32>
}
