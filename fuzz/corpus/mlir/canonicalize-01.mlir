func.func @cast_of_dense_stays() -> tensor<2xbf16> {
  %c = weft.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %b = weft.cast %c : tensor<2xf32> -> tensor<2xbf16>
  return %b : tensor<2xbf16>
}
