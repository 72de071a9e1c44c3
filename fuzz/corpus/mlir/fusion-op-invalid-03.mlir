func.func @reads_outside(%x: tensor<4xf32>, %z: tensor<4xf32>) -> tensor<4xf32> {
  %y = weft.fusion %x : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %s = weft.add %a, %z : tensor<4xf32>
    weft.yield %s : tensor<4xf32>
  }
  return %y : tensor<4xf32>
}
