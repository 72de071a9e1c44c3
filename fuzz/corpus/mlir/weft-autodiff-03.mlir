func.func @main(%wte: tensor<10x4xf32> {weft.param = "wte"}, %tok: tensor<6xi64> {weft.input = "tokens"},
                %x: tensor<6x4xf32> {weft.input = "x"})
    -> (tensor<f32> {weft.output = "loss"}) {
  %0 = weft.gather %wte[%tok] : tensor<10x4xf32>, tensor<6xi64>
  %m = weft.exp %x : tensor<6x4xf32>
  %1 = weft.mul %0, %m : tensor<6x4xf32>
  %2 = weft.reduce sum %1 dims = [0, 1] : tensor<6x4xf32>
  return %2 : tensor<f32>
}
