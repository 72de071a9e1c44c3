func.func @nested_fusion(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = weft.fusion %x : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %n = weft.fusion %a : (tensor<4xf32>) -> tensor<4xf32> {
    ^bb0(%b: tensor<4xf32>):
      %e = weft.exp %b : tensor<4xf32>
      weft.yield %e : tensor<4xf32>
    }
    weft.yield %n : tensor<4xf32>
  }
  return %y : tensor<4xf32>
}
