func.func @tree(%x: tensor<4x8xf32>, %b: tensor<8xf32>) -> tensor<4x8xf32> {
  %c = weft.constant dense<0.5> : tensor<4x8xf32>
  %0 = weft.exp %x : tensor<4x8xf32>
  %bb = weft.broadcast %b dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
  %1 = weft.add %x, %bb : tensor<4x8xf32>
  %2 = weft.mul %1, %c : tensor<4x8xf32>
  %3 = weft.sub %0, %2 : tensor<4x8xf32>
  return %3 : tensor<4x8xf32>
}
