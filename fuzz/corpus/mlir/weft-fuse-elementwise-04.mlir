func.func @path_through_unfused_op(%x: tensor<8x8xf32>, %w: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %a = weft.exp %x : tensor<8x8xf32>
  %b = weft.matmul %a, %w : tensor<8x8xf32>, tensor<8x8xf32>
  %c = weft.add %a, %b : tensor<8x8xf32>
  %d = weft.tanh %c : tensor<8x8xf32>
  return %d : tensor<8x8xf32>
}
