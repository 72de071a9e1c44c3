func.func @shared_value_stays_output(%x: tensor<8x8xf32>, %w: tensor<8x8xf32>) -> (tensor<8x8xf32>, tensor<8x8xf32>) {
  %n = weft.neg %x : tensor<8x8xf32>
  %e = weft.exp %n : tensor<8x8xf32>
  %t = weft.tanh %e : tensor<8x8xf32>
  %m = weft.matmul %e, %w : tensor<8x8xf32>, tensor<8x8xf32>
  return %t, %m : tensor<8x8xf32>, tensor<8x8xf32>
}
