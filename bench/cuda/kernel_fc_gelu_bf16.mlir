// GPT-2 124M MLP up-projection in training: [8 * 1024, 768] x [768, 3072] + bias, then GELU (tanh), bf16
// (weft-fuse-matmul-gelu makes it one weft.fused_matmul: a cuBLASLt GEMM with the bias + GELU epilogue where it
// applies). Timed by bench/cuda/run_kernels.sh.
func.func @main(%x: tensor<8192x768xbf16> {weft.param = "x"}, %w: tensor<768x3072xbf16> {weft.param = "w"}, %b: tensor<3072xbf16> {weft.param = "b"}) -> (tensor<8192x3072xbf16> {weft.output = "y"}) {
  %p = weft.matmul %x, %w : tensor<8192x768xbf16>, tensor<768x3072xbf16>
  %bb = weft.broadcast %b dims = [1] : tensor<3072xbf16> -> tensor<8192x3072xbf16>
  %z = weft.add %p, %bb : tensor<8192x3072xbf16>
  %y = weft.gelu_tanh %z : tensor<8192x3072xbf16>
  return %y : tensor<8192x3072xbf16>
}
