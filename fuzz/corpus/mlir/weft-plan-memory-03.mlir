func.func @outputs_live_to_end(%x: tensor<32x32xf32> {weft.input = "x"}) -> (tensor<32x32xf32>, tensor<f32>) {
  %0 = weft.transpose %x permutation = [1, 0] : tensor<32x32xf32>
  %1 = weft.transpose %0 permutation = [1, 0] : tensor<32x32xf32>
  %2 = weft.transpose %1 permutation = [1, 0] : tensor<32x32xf32>
  %3 = weft.reduce sum %2 dims = [0, 1] : tensor<32x32xf32>
  return %0, %3 : tensor<32x32xf32>, tensor<f32>
}
