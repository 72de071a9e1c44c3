func.func @epsilon_inside_mean(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %m = weft.reduce mean %x dims = [1] : tensor<4x8xf32>
  %mb = weft.broadcast %m dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %xc = weft.sub %x, %mb : tensor<4x8xf32>
  %sq = weft.mul %xc, %xc : tensor<4x8xf32>
  %eps = weft.constant dense<1.0e-05> : tensor<4x8xf32>
  %sqe = weft.add %sq, %eps : tensor<4x8xf32>
  %v = weft.reduce mean %sqe dims = [1] : tensor<4x8xf32>
  %r = weft.rsqrt %v : tensor<4xf32>
  %rb = weft.broadcast %r dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %n = weft.mul %xc, %rb : tensor<4x8xf32>
  return %n : tensor<4x8xf32>
}
