func.func @persistent(%x: tensor<16xf32> {weft.input = "x"}) -> (tensor<16xf32>, tensor<16xf32>) {
  %c = weft.constant dense<1.0> : tensor<16xf32>
  %i = weft.constant dense<[1, 2]> : tensor<2xi32>
  %0 = weft.add %x, %c : tensor<16xf32>
  return %x, %0 : tensor<16xf32>, tensor<16xf32>
}
