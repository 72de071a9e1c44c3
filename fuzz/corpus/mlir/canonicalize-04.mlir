func.func @overlapping_concats_stay(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>, %w: tensor<2x6xf32>)
    -> (tensor<2x6xf32>, tensor<2x6xf32>) {
  %z3 = weft.constant dense<0.0> : tensor<2x3xf32>
  %pa = weft.concat %a, %z3 dim = 1 : tensor<2x3xf32>, tensor<2x3xf32>
  %pb = weft.concat %b, %z3 dim = 1 : tensor<2x3xf32>, tensor<2x3xf32>
  %s = weft.add %pa, %pb : tensor<2x6xf32>
  %z2 = weft.constant dense<0.0> : tensor<2x2xf32>
  %z4 = weft.constant dense<0.0> : tensor<2x4xf32>
  %p2 = weft.concat %z2, %z4 dim = 1 : tensor<2x2xf32>, tensor<2x4xf32>
  %pw = weft.concat %a, %b dim = 1 : tensor<2x3xf32>, tensor<2x3xf32>
  %t = weft.add %pw, %p2 : tensor<2x6xf32>
  return %s, %t : tensor<2x6xf32>, tensor<2x6xf32>
}
