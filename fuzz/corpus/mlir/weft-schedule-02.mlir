func.func @keep_order(%x: tensor<4x8xf32> {weft.input = "x"}) -> tensor<32xf32> {
  %c = weft.constant dense<2.0> : tensor<32xf32>
  %0 = weft.reshape %x : tensor<4x8xf32> -> tensor<32xf32>
  %1 = weft.mul %0, %c : tensor<32xf32>
  %2 = weft.neg %1 : tensor<32xf32>
  return %2 : tensor<32xf32>
}
