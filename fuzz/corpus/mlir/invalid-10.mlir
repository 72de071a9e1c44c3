func.func @binary_types(%a: tensor<3x4xf32>, %b: tensor<4x3xf32>) {
  %0 = "weft.add"(%a, %b) : (tensor<3x4xf32>, tensor<4x3xf32>) -> tensor<3x4xf32>
  return
}
