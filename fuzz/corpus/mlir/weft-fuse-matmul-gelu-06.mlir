func.func @not_matched(%a: tensor<2x16x32xf32>, %b: tensor<2x32x64xf32>, %x: tensor<16x32xf32>, %w: tensor<32x64xf32>, %r: tensor<16x64xf32>) -> (tensor<2x16x64xf32>, tensor<16x64xf32>, tensor<16x64xf32>) {
  %p = weft.batch_matmul %a, %b : tensor<2x16x32xf32>, tensor<2x32x64xf32>
  %h = weft.gelu %p : tensor<2x16x64xf32>
  %q = weft.matmul %x, %w : tensor<16x32xf32>, tensor<32x64xf32>
  %z = weft.add %q, %r : tensor<16x64xf32>
  %s = weft.matmul %x, %w : tensor<16x32xf32>, tensor<32x64xf32>
  %t = weft.relu %s : tensor<16x64xf32>
  return %h, %z, %t : tensor<2x16x64xf32>, tensor<16x64xf32>, tensor<16x64xf32>
}
