func.func @variance_by_moments(%x: tensor<4x8xf32>, %gamma: tensor<8xf32>, %beta: tensor<8xf32>) -> tensor<4x8xf32> {
  %m = weft.reduce mean %x dims = [1] : tensor<4x8xf32>
  %x2 = weft.mul %x, %x : tensor<4x8xf32>
  %ex2 = weft.reduce mean %x2 dims = [1] : tensor<4x8xf32>
  %m2 = weft.mul %m, %m : tensor<4xf32>
  %v = weft.sub %ex2, %m2 : tensor<4xf32>
  %eps = weft.constant dense<1.0e-05> : tensor<4xf32>
  %ve = weft.add %v, %eps : tensor<4xf32>
  %r = weft.rsqrt %ve : tensor<4xf32>
  %mb = weft.broadcast %m dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %xc = weft.sub %x, %mb : tensor<4x8xf32>
  %rb = weft.broadcast %r dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %n = weft.mul %xc, %rb : tensor<4x8xf32>
  %gb = weft.broadcast %gamma dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
  %s = weft.mul %n, %gb : tensor<4x8xf32>
  %bb = weft.broadcast %beta dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
  %y = weft.add %s, %bb : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
