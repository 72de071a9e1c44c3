func.func @constants_persistent(%x: tensor<32x32xf32> {weft.input = "x"}) -> tensor<32x32xf32> {
  %c = weft.constant dense<2.0> : tensor<32x32xf32>
  %0 = weft.mul %x, %c : tensor<32x32xf32>
  %1 = weft.transpose %0 permutation = [1, 0] : tensor<32x32xf32>
  return %1 : tensor<32x32xf32>
}
