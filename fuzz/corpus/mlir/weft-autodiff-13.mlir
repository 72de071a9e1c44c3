func.func @main(%x: tensor<2x5xf32> {weft.param = "x"}, %w: tensor<2x5xf32> {weft.input = "w"})
    -> (tensor<f32> {weft.output = "loss"}) {
  %m = weft.reduce max %x dims = [1] : tensor<2x5xf32>
  %ms = weft.stop_gradient %m : tensor<2xf32>
  %mb = weft.broadcast %ms dims = [0] : tensor<2xf32> -> tensor<2x5xf32>
  %s = weft.sub %x, %mb : tensor<2x5xf32>
  %e = weft.exp %s : tensor<2x5xf32>
  %z = weft.reduce sum %e dims = [1] : tensor<2x5xf32>
  %zb = weft.broadcast %z dims = [0] : tensor<2xf32> -> tensor<2x5xf32>
  %y = weft.div %e, %zb : tensor<2x5xf32>
  %l0 = weft.mul %y, %w : tensor<2x5xf32>
  %l = weft.reduce sum %l0 dims = [0, 1] : tensor<2x5xf32>
  return %l : tensor<f32>
}
