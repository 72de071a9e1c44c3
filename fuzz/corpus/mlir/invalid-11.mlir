func.func @exp_int(%a: tensor<3xi32>) {
  %0 = weft.exp %a : tensor<3xi32>
  return
}
