func.func @reshape_alias_extends_life(%x: tensor<32x32xf32> {weft.input = "x"}) -> tensor<2048xf32> {
  %0 = weft.transpose %x permutation = [1, 0] : tensor<32x32xf32>
  %1 = weft.reshape %0 : tensor<32x32xf32> -> tensor<1024xf32>
  %2 = weft.transpose %x permutation = [1, 0] : tensor<32x32xf32>
  %3 = weft.reshape %2 : tensor<32x32xf32> -> tensor<1024xf32>
  %4 = weft.concat %1, %3 dim = 0 : tensor<1024xf32>, tensor<1024xf32>
  return %4 : tensor<2048xf32>
}
