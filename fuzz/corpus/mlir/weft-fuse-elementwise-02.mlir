func.func @softmax(%s: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  %m = weft.reduce max %s dims = [2] : tensor<2x4x8xf32>
  %mb = weft.broadcast %m dims = [0, 1] : tensor<2x4xf32> -> tensor<2x4x8xf32>
  %d = weft.sub %s, %mb : tensor<2x4x8xf32>
  %e = weft.exp %d : tensor<2x4x8xf32>
  %z = weft.reduce sum %e dims = [2] : tensor<2x4x8xf32>
  %zb = weft.broadcast %z dims = [0, 1] : tensor<2x4xf32> -> tensor<2x4x8xf32>
  %p = weft.div %e, %zb : tensor<2x4x8xf32>
  return %p : tensor<2x4x8xf32>
}
