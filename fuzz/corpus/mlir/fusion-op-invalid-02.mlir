func.func @block_argument_type(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = weft.fusion %x : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<8xf32>):
    %c = weft.constant dense<1.0> : tensor<4xf32>
    weft.yield %c : tensor<4xf32>
  }
  return %y : tensor<4xf32>
}
