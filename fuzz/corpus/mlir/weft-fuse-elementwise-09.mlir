func.func @cast_rises_above_reshape(%x: tensor<2x2x8xf32>, %b: tensor<8x6xbf16>) -> tensor<4x6xbf16> {
  %t = weft.tanh %x : tensor<2x2x8xf32>
  %r = weft.reshape %t : tensor<2x2x8xf32> -> tensor<4x8xf32>
  %c = weft.cast %r : tensor<4x8xf32> -> tensor<4x8xbf16>
  %m = weft.matmul %c, %b : tensor<4x8xbf16>, tensor<8x6xbf16>
  return %m : tensor<4x6xbf16>
}
