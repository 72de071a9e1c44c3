func.func @concat_mismatch(%a: tensor<3x4xf32>, %b: tensor<3x5xf32>) {
  %0 = weft.concat %a, %b dim = 0 : tensor<3x4xf32>, tensor<3x5xf32>
  return
}
