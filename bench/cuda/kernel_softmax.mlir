// Softmax over the last dimension of GPT-2 124M attention scores in training: [8, 12, 1024, 1024] f32 (batch 8, 12
// heads, 1024 x 1024), written with primitives (max, sub, exp, sum, div; weft-fuse-elementwise makes it one row
// kernel). Timed by bench/cuda/run_kernels.sh.
func.func @main(%x: tensor<8x12x1024x1024xf32> {weft.param = "x"}) -> (tensor<8x12x1024x1024xf32> {weft.output = "y"}) {
  %m = weft.reduce max %x dims = [3] : tensor<8x12x1024x1024xf32>
  %mb = weft.broadcast %m dims = [0, 1, 2] : tensor<8x12x1024xf32> -> tensor<8x12x1024x1024xf32>
  %d = weft.sub %x, %mb : tensor<8x12x1024x1024xf32>
  %e = weft.exp %d : tensor<8x12x1024x1024xf32>
  %s = weft.reduce sum %e dims = [3] : tensor<8x12x1024x1024xf32>
  %sb = weft.broadcast %s dims = [0, 1, 2] : tensor<8x12x1024xf32> -> tensor<8x12x1024x1024xf32>
  %y = weft.div %e, %sb : tensor<8x12x1024x1024xf32>
  return %y : tensor<8x12x1024x1024xf32>
}
