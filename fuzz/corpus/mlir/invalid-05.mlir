func.func @broadcast_rank(%a: tensor<3xf32>) {
  %0 = weft.broadcast %a dims = [0, 1] : tensor<3xf32> -> tensor<3x5xf32>
  return
}
