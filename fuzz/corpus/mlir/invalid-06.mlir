func.func @transpose_perm(%a: tensor<3x4xf32>) {
  %0 = weft.transpose %a permutation = [0, 0] : tensor<3x4xf32>
  return
}
