func.func @rms_norm(%x: tensor<4x8xf32>, %gamma: tensor<8xf32>) -> tensor<4x8xf32> {
  %sq = weft.mul %x, %x : tensor<4x8xf32>
  %v = weft.reduce mean %sq dims = [1] : tensor<4x8xf32>
  %eps = weft.constant dense<1.0e-06> : tensor<4xf32>
  %ve = weft.add %v, %eps : tensor<4xf32>
  %r = weft.rsqrt %ve : tensor<4xf32>
  %rb = weft.broadcast %r dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %n = weft.mul %x, %rb : tensor<4x8xf32>
  %gb = weft.broadcast %gamma dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
  %y = weft.mul %n, %gb : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
func.func @rms_norm_rank1(%x: tensor<8xf32>, %gamma: tensor<8xf32>) -> tensor<8xf32> {
  %two = weft.constant dense<2.0> : tensor<8xf32>
  %sq = weft.pow %x, %two : tensor<8xf32>
  %v = weft.reduce mean %sq dims = [0] : tensor<8xf32>
  %eps = weft.constant dense<1.0e-06> : tensor<f32>
  %ve = weft.add %v, %eps : tensor<f32>
  %r = weft.rsqrt %ve : tensor<f32>
  %rb = weft.broadcast %r dims = [] : tensor<f32> -> tensor<8xf32>
  %n = weft.mul %x, %rb : tensor<8xf32>
  %y = weft.mul %gamma, %n : tensor<8xf32>
  return %y : tensor<8xf32>
}
