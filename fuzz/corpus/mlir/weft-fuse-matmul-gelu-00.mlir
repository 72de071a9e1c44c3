func.func @bias_gelu_tanh(%x: tensor<16x32xf32>, %w: tensor<32x64xf32>, %b: tensor<64xf32>) -> tensor<16x64xf32> {
  %p = weft.matmul %x, %w : tensor<16x32xf32>, tensor<32x64xf32>
  %bb = weft.broadcast %b dims = [1] : tensor<64xf32> -> tensor<16x64xf32>
  %z = weft.add %p, %bb : tensor<16x64xf32>
  %h = weft.gelu_tanh %z : tensor<16x64xf32>
  return %h : tensor<16x64xf32>
}
