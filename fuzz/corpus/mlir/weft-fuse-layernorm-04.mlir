func.func @sqrt_div(%x: tensor<4x8xf32>, %gamma: tensor<8xf32>, %beta: tensor<8xf32>) -> tensor<4x8xf32> {
  %m = weft.reduce mean %x dims = [1] : tensor<4x8xf32>
  %mb = weft.broadcast %m dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %xc = weft.sub %x, %mb : tensor<4x8xf32>
  %sq = weft.mul %xc, %xc : tensor<4x8xf32>
  %v = weft.reduce mean %sq dims = [1] : tensor<4x8xf32>
  %eps = weft.constant dense<1.0e-05> : tensor<4xf32>
  %ve = weft.add %v, %eps : tensor<4xf32>
  %sd = weft.sqrt %ve : tensor<4xf32>
  %sdb = weft.broadcast %sd dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %n = weft.div %xc, %sdb : tensor<4x8xf32>
  %gb = weft.broadcast %gamma dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
  %s = weft.mul %n, %gb : tensor<4x8xf32>
  %bb = weft.broadcast %beta dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
  %y = weft.add %s, %bb : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
