func.func @broadcast_recomputed(%x: tensor<8x8xf32>, %b: tensor<8xf32>) -> tensor<8x8xf32> {
  %bb = weft.broadcast %b dims = [1] : tensor<8xf32> -> tensor<8x8xf32>
  %a = weft.add %x, %bb : tensor<8x8xf32>
  %m = weft.matmul %a, %bb : tensor<8x8xf32>, tensor<8x8xf32>
  %y = weft.mul %m, %bb : tensor<8x8xf32>
  return %y : tensor<8x8xf32>
}
