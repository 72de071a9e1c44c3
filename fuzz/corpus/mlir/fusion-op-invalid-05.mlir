func.func @yield_outside(%x: tensor<4xf32>) {
  weft.yield %x : tensor<4xf32>
}
