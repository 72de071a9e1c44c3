func.func @slice_limit(%a: tensor<3x4xf32>) {
  %0 = weft.slice %a start = [0, 0] limit = [3, 5] strides = [1, 1] : tensor<3x4xf32>
  return
}
