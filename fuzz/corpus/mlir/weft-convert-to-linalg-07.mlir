func.func @reduce_max_and_bf16_sum(%x: tensor<4x8xf32>, %y: tensor<4x8xbf16>) -> (tensor<4xf32>, tensor<4xbf16>) {
  %0 = weft.reduce max %x dims = [1] : tensor<4x8xf32>
  %1 = weft.reduce sum %y dims = [1] : tensor<4x8xbf16>
  return %0, %1 : tensor<4xf32>, tensor<4xbf16>
}
