func.func @movement(%a: tensor<4x8xf32>, %b: tensor<4x1xf32>)
    -> (tensor<8x4xf32>, tensor<4x3x5xf32>, tensor<2x4xf32>, tensor<8x8xf32>, tensor<2x4x4xf32>) {
  %0 = weft.transpose %a permutation = [1, 0] : tensor<4x8xf32>
  %1 = weft.broadcast %b dims = [0, 2] : tensor<4x1xf32> -> tensor<4x3x5xf32>
  %2 = weft.slice %a start = [0, 1] limit = [4, 8] strides = [2, 2] : tensor<4x8xf32>
  %3 = weft.concat %a, %a dim = 0 : tensor<4x8xf32>, tensor<4x8xf32>
  %4 = weft.reshape %a : tensor<4x8xf32> -> tensor<2x4x4xf32>
  return %0, %1, %2, %3, %4 : tensor<8x4xf32>, tensor<4x3x5xf32>, tensor<2x4xf32>, tensor<8x8xf32>, tensor<2x4x4xf32>
}
