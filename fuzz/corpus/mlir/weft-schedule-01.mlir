func.func @delay_allocation(%x: tensor<64x256xf32> {weft.input = "x"},
                            %w: tensor<64x64xf32> {weft.param = "w"}) -> tensor<64x64xf32> {
  %0 = weft.transpose %w permutation = [1, 0] : tensor<64x64xf32>
  %1 = weft.exp %x : tensor<64x256xf32>
  %2 = weft.reduce sum %1 dims = [1] : tensor<64x256xf32>
  %3 = weft.broadcast %2 dims = [0] : tensor<64xf32> -> tensor<64x64xf32>
  %4 = weft.add %3, %0 : tensor<64x64xf32>
  return %4 : tensor<64x64xf32>
}
