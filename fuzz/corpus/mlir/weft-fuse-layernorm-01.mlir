func.func @pow_swapped_operands(%x: tensor<4x8xf32>, %gamma: tensor<8xf32>, %beta: tensor<8xf32>) -> tensor<4x8xf32> {
  %m = weft.reduce mean %x dims = [1] : tensor<4x8xf32>
  %mb = weft.broadcast %m dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %xc = weft.sub %x, %mb : tensor<4x8xf32>
  %two = weft.constant dense<2.0> : tensor<4x8xf32>
  %sq = weft.pow %xc, %two : tensor<4x8xf32>
  %v = weft.reduce mean %sq dims = [1] : tensor<4x8xf32>
  %vb = weft.broadcast %v dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %eps = weft.constant dense<0.0009765625> : tensor<4x8xf32>
  %ve = weft.add %eps, %vb : tensor<4x8xf32>
  %r = weft.rsqrt %ve : tensor<4x8xf32>
  %n = weft.mul %r, %xc : tensor<4x8xf32>
  %gb = weft.broadcast %gamma dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
  %s = weft.mul %gb, %n : tensor<4x8xf32>
  %bb = weft.broadcast %beta dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
  %y = weft.add %bb, %s : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
