func.func @reduce_dims(%a: tensor<3x4xf32>) {
  %0 = weft.reduce sum %a dims = [2] : tensor<3x4xf32>
  return
}
