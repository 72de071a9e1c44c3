// LayerNorm forward on GPT-2 124M training shapes: 8 x 1024 tokens of 768 features, f32, written with primitives the
// way the DSL emits it (weft-fuse-layernorm makes it one weft.layer_norm). Timed by bench/cuda/run_kernels.sh.
func.func @main(%x: tensor<8192x768xf32> {weft.param = "x"}, %gamma: tensor<768xf32> {weft.param = "gamma"}, %beta: tensor<768xf32> {weft.param = "beta"}) -> (tensor<8192x768xf32> {weft.output = "y"}) {
  %m = weft.reduce mean %x dims = [1] : tensor<8192x768xf32>
  %mb = weft.broadcast %m dims = [0] : tensor<8192xf32> -> tensor<8192x768xf32>
  %xc = weft.sub %x, %mb : tensor<8192x768xf32>
  %sq = weft.mul %xc, %xc : tensor<8192x768xf32>
  %v = weft.reduce mean %sq dims = [1] : tensor<8192x768xf32>
  %eps = weft.constant dense<1.0e-05> : tensor<8192xf32>
  %ve = weft.add %v, %eps : tensor<8192xf32>
  %r = weft.rsqrt %ve : tensor<8192xf32>
  %rb = weft.broadcast %r dims = [0] : tensor<8192xf32> -> tensor<8192x768xf32>
  %n = weft.mul %xc, %rb : tensor<8192x768xf32>
  %gb = weft.broadcast %gamma dims = [1] : tensor<768xf32> -> tensor<8192x768xf32>
  %s = weft.mul %n, %gb : tensor<8192x768xf32>
  %bb = weft.broadcast %beta dims = [1] : tensor<768xf32> -> tensor<8192x768xf32>
  %y = weft.add %s, %bb : tensor<8192x768xf32>
  return %y : tensor<8192x768xf32>
}
