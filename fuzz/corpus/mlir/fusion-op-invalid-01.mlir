func.func @yield_type(%x: tensor<4xf32>) -> tensor<4xf16> {
  %y = weft.fusion %x : (tensor<4xf32>) -> tensor<4xf16> {
  ^bb0(%a: tensor<4xf32>):
    %s = weft.exp %a : tensor<4xf32>
    weft.yield %s : tensor<4xf32>
  }
  return %y : tensor<4xf16>
}
