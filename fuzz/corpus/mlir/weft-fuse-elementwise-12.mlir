func.func @broadcast_joins_its_user(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> tensor<4x8xf32> {
  %e = weft.exp %x : tensor<4x8xf32>
  %s = weft.reduce sum %e dims = [1] : tensor<4x8xf32>
  %sb = weft.broadcast %s dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %y = weft.div %e, %sb : tensor<4x8xf32>
  %m = weft.matmul %y, %w : tensor<4x8xf32>, tensor<8x8xf32>
  %g = weft.div %m, %sb : tensor<4x8xf32>
  return %g : tensor<4x8xf32>
}
