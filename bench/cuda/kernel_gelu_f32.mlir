// GELU with the tanh approximation (GPT-2's gelu_new), elementwise on the GPT-2 124M MLP activation in training:
// [8 * 1024, 3072] f32. Timed by bench/cuda/run_kernels.sh.
func.func @main(%x: tensor<8192x3072xf32> {weft.param = "x"}) -> (tensor<8192x3072xf32> {weft.output = "y"}) {
  %y = weft.gelu_tanh %x : tensor<8192x3072xf32>
  return %y : tensor<8192x3072xf32>
}
