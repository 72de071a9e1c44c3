func.func @cast_sinks_below_reshape(%a: tensor<4x8xbf16>, %b: tensor<8x6xbf16>) -> tensor<2x2x6xf32> {
  %m = weft.matmul %a, %b : tensor<4x8xbf16>, tensor<8x6xbf16>
  %c = weft.cast %m : tensor<4x6xbf16> -> tensor<4x6xf32>
  %r = weft.reshape %c : tensor<4x6xf32> -> tensor<2x2x6xf32>
  %t = weft.tanh %r : tensor<2x2x6xf32>
  return %t : tensor<2x2x6xf32>
}
