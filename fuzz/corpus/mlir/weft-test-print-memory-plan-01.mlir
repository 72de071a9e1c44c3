func.func @aliases(%x: tensor<32x32xf32> {weft.input = "x"}, %w: tensor<1024xf32> {weft.param = "w"})
    -> tensor<2048xf32> {
  %0 = weft.transpose %x permutation = [1, 0] : tensor<32x32xf32>
  %1 = weft.reshape %0 : tensor<32x32xf32> -> tensor<1024xf32>
  %2 = weft.transpose %x permutation = [1, 0] : tensor<32x32xf32>
  %3 = weft.reshape %2 : tensor<32x32xf32> -> tensor<1024xf32>
  %4 = weft.reshape %w : tensor<1024xf32> -> tensor<32x32xf32>
  %5 = weft.concat %1, %3 dim = 0 : tensor<1024xf32>, tensor<1024xf32>
  return %5 : tensor<2048xf32>
}
