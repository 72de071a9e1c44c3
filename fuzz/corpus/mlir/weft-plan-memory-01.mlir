func.func @in_place(%x: tensor<1024xf32> {weft.input = "x"}, %y: tensor<1024xf32> {weft.input = "y"})
    -> (tensor<1024xf32>, tensor<1024xbf16>) {
  %0 = weft.exp %x : tensor<1024xf32>
  %1 = weft.tanh %y : tensor<1024xf32>
  %2 = weft.add %0, %y : tensor<1024xf32>
  %3 = weft.cast %2 : tensor<1024xf32> -> tensor<1024xbf16>
  return %1, %3 : tensor<1024xf32>, tensor<1024xbf16>
}
