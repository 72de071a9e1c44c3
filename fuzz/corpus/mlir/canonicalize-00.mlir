func.func @cast_of_splat(%x: tensor<4x8xbf16>) -> tensor<4x8xbf16> {
  %c = weft.constant dense<0.125> : tensor<4x8xf32>
  %b = weft.cast %c : tensor<4x8xf32> -> tensor<4x8xbf16>
  %m = weft.mul %x, %b : tensor<4x8xbf16>
  return %m : tensor<4x8xbf16>
}
