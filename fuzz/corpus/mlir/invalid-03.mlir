func.func @reshape_count(%a: tensor<4x8xf32>) {
  %0 = weft.reshape %a : tensor<4x8xf32> -> tensor<5x8xf32>
  return
}
