func.func @padded_slice_gradients(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>, %c: tensor<2x3xf32>) -> tensor<2x9xf32> {
  %z3 = weft.constant dense<0.0> : tensor<2x3xf32>
  %z6 = weft.constant dense<0.0> : tensor<2x6xf32>
  %pa = weft.concat %a, %z6 dim = 1 : tensor<2x3xf32>, tensor<2x6xf32>
  %pb = weft.concat %z3, %b, %z3 dim = 1 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
  %pc = weft.concat %z6, %c dim = 1 : tensor<2x6xf32>, tensor<2x3xf32>
  %s0 = weft.add %pa, %pb : tensor<2x9xf32>
  %s1 = weft.add %s0, %pc : tensor<2x9xf32>
  return %s1 : tensor<2x9xf32>
}
