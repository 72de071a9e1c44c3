func.func @broadcast_size(%a: tensor<3xf32>) {
  %0 = weft.broadcast %a dims = [1] : tensor<3xf32> -> tensor<4x5xf32>
  return
}
