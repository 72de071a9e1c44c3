func.func @through_reshape(%x: tensor<2x4x32xf32>, %w: tensor<32x64xf32>, %b: tensor<64xf32>) -> tensor<2x4x64xf32> {
  %x2 = weft.reshape %x : tensor<2x4x32xf32> -> tensor<8x32xf32>
  %p = weft.matmul %x2, %w : tensor<8x32xf32>, tensor<32x64xf32>
  %bb = weft.broadcast %b dims = [1] : tensor<64xf32> -> tensor<8x64xf32>
  %z = weft.add %p, %bb : tensor<8x64xf32>
  %z3 = weft.reshape %z : tensor<8x64xf32> -> tensor<2x4x64xf32>
  %h = weft.gelu_tanh %z3 : tensor<2x4x64xf32>
  return %h : tensor<2x4x64xf32>
}
