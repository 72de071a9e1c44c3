func.func @transposed_gelu(%x: tensor<16x32xf32>, %w: tensor<64x32xf32>, %b: tensor<64xf32>) -> tensor<16x64xf32> {
  %p = weft.matmul %x, %w {transpose_rhs} : tensor<16x32xf32>, tensor<64x32xf32>
  %bb = weft.broadcast %b dims = [1] : tensor<64xf32> -> tensor<16x64xf32>
  %z = weft.add %bb, %p : tensor<16x64xf32>
  %h = weft.gelu %z : tensor<16x64xf32>
  return %h : tensor<16x64xf32>
}
func.func @fast_gelu_no_bias(%x: tensor<32x16xf32>, %w: tensor<32x64xf32>) -> tensor<16x64xf32> {
  %p = weft.matmul %x, %w {transpose_lhs} : tensor<32x16xf32>, tensor<32x64xf32>
  %h = weft.fast_gelu %p : tensor<16x64xf32>
  return %h : tensor<16x64xf32>
}
