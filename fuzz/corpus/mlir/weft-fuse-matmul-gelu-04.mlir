func.func @preactivation_escapes(%x: tensor<16x32xf32>, %w: tensor<32x64xf32>, %b: tensor<64xf32>) -> (tensor<16x64xf32>, tensor<16x64xf32>) {
  %p = weft.matmul %x, %w : tensor<16x32xf32>, tensor<32x64xf32>
  %bb = weft.broadcast %b dims = [1] : tensor<64xf32> -> tensor<16x64xf32>
  %z = weft.add %p, %bb : tensor<16x64xf32>
  %h = weft.gelu %z : tensor<16x64xf32>
  return %h, %z : tensor<16x64xf32>, tensor<16x64xf32>
}
