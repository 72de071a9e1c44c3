func.func @inputs_live_from_start(%x: tensor<32x32xf32> {weft.input = "x"}, %y: tensor<32x32xf32> {weft.input = "y"})
    -> tensor<32x32xf32> {
  %0 = weft.transpose %x permutation = [1, 0] : tensor<32x32xf32>
  %1 = weft.transpose %0 permutation = [1, 0] : tensor<32x32xf32>
  %2 = weft.add %1, %y : tensor<32x32xf32>
  return %2 : tensor<32x32xf32>
}
