// The GPT-2 LM head GEMM for 1024 tokens: [1024, 768] x [50257, 768]^T in f32 (bench/cuda/gemm_vs_torch.sh).
func.func @main(%x: tensor<1024x768xf32> {weft.input = "x"}, %wte: tensor<50257x768xf32> {weft.param = "wte"}) -> (tensor<1024x50257xf32> {weft.output = "logits"}) {
  %0 = weft.matmul %x, %wte {transpose_rhs} : tensor<1024x768xf32>, tensor<50257x768xf32>
  return %0 : tensor<1024x50257xf32>
}
