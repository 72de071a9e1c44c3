func.func @reuse_after_death(%x: tensor<32x32xf32> {weft.input = "x"}) -> tensor<32x32xf32> {
  %0 = weft.transpose %x permutation = [1, 0] : tensor<32x32xf32>
  %1 = weft.transpose %0 permutation = [1, 0] : tensor<32x32xf32>
  %2 = weft.transpose %1 permutation = [1, 0] : tensor<32x32xf32>
  return %2 : tensor<32x32xf32>
}
