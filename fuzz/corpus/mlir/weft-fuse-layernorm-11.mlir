func.func @gamma_wrong_shape(%x: tensor<2x4x8xf32>, %gamma: tensor<4x8xf32>, %beta: tensor<8xf32>) -> tensor<2x4x8xf32> {
  %m = weft.reduce mean %x dims = [2] : tensor<2x4x8xf32>
  %mb = weft.broadcast %m dims = [0, 1] : tensor<2x4xf32> -> tensor<2x4x8xf32>
  %xc = weft.sub %x, %mb : tensor<2x4x8xf32>
  %sq = weft.mul %xc, %xc : tensor<2x4x8xf32>
  %v = weft.reduce mean %sq dims = [2] : tensor<2x4x8xf32>
  %eps = weft.constant dense<1.0e-05> : tensor<2x4xf32>
  %ve = weft.add %v, %eps : tensor<2x4xf32>
  %r = weft.rsqrt %ve : tensor<2x4xf32>
  %rb = weft.broadcast %r dims = [0, 1] : tensor<2x4xf32> -> tensor<2x4x8xf32>
  %n = weft.mul %xc, %rb : tensor<2x4x8xf32>
  %gb = weft.broadcast %gamma dims = [1, 2] : tensor<4x8xf32> -> tensor<2x4x8xf32>
  %s = weft.mul %n, %gb : tensor<2x4x8xf32>
  %bb = weft.broadcast %beta dims = [2] : tensor<8xf32> -> tensor<2x4x8xf32>
  %y = weft.add %s, %bb : tensor<2x4x8xf32>
  return %y : tensor<2x4x8xf32>
}
