func.func @main(%w1: tensor<4x8xf32> {weft.param = "w1"}, %b1: tensor<8xf32> {weft.param = "b1"},
                %w2: tensor<8x3xf32> {weft.param = "w2"}, %x: tensor<2x4xf32> {weft.input = "x"})
    -> (tensor<f32> {weft.output = "loss"}) {
  %0 = weft.matmul %x, %w1 : tensor<2x4xf32>, tensor<4x8xf32>
  %1 = weft.broadcast %b1 dims = [1] : tensor<8xf32> -> tensor<2x8xf32>
  %2 = weft.add %0, %1 : tensor<2x8xf32>
  %3 = weft.gelu %2 : tensor<2x8xf32>
  %4 = weft.matmul %3, %w2 : tensor<2x8xf32>, tensor<8x3xf32>
  %5 = weft.reduce max %4 dims = [1] : tensor<2x3xf32>
  %6 = weft.broadcast %5 dims = [0] : tensor<2xf32> -> tensor<2x3xf32>
  %7 = weft.sub %4, %6 : tensor<2x3xf32>
  %8 = weft.exp %7 : tensor<2x3xf32>
  %9 = weft.reduce sum %8 dims = [0, 1] : tensor<2x3xf32>
  return %9 : tensor<f32>
}
