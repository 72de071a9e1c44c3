// GPT-2 MLP GEMM shapes (1024 tokens): 16 chained f32 GEMMs, 1024x768x3072 then 1024x3072x768; a cuBLASLt
// benchmark program (bench/cuda/gemm_vs_torch.sh).
func.func @main(%x: tensor<1024x768xf32> {weft.input = "x"}, %w1_0: tensor<768x3072xf32> {weft.param = "w1_0"}, %w2_0: tensor<3072x768xf32> {weft.param = "w2_0"}, %w1_1: tensor<768x3072xf32> {weft.param = "w1_1"}, %w2_1: tensor<3072x768xf32> {weft.param = "w2_1"}, %w1_2: tensor<768x3072xf32> {weft.param = "w1_2"}, %w2_2: tensor<3072x768xf32> {weft.param = "w2_2"}, %w1_3: tensor<768x3072xf32> {weft.param = "w1_3"}, %w2_3: tensor<3072x768xf32> {weft.param = "w2_3"}, %w1_4: tensor<768x3072xf32> {weft.param = "w1_4"}, %w2_4: tensor<3072x768xf32> {weft.param = "w2_4"}, %w1_5: tensor<768x3072xf32> {weft.param = "w1_5"}, %w2_5: tensor<3072x768xf32> {weft.param = "w2_5"}, %w1_6: tensor<768x3072xf32> {weft.param = "w1_6"}, %w2_6: tensor<3072x768xf32> {weft.param = "w2_6"}, %w1_7: tensor<768x3072xf32> {weft.param = "w1_7"}, %w2_7: tensor<3072x768xf32> {weft.param = "w2_7"}) -> (tensor<1024x768xf32> {weft.output = "y"}) {
  %h0 = weft.matmul %x, %w1_0 : tensor<1024x768xf32>, tensor<768x3072xf32>
  %y0 = weft.matmul %h0, %w2_0 : tensor<1024x3072xf32>, tensor<3072x768xf32>
  %h1 = weft.matmul %y0, %w1_1 : tensor<1024x768xf32>, tensor<768x3072xf32>
  %y1 = weft.matmul %h1, %w2_1 : tensor<1024x3072xf32>, tensor<3072x768xf32>
  %h2 = weft.matmul %y1, %w1_2 : tensor<1024x768xf32>, tensor<768x3072xf32>
  %y2 = weft.matmul %h2, %w2_2 : tensor<1024x3072xf32>, tensor<3072x768xf32>
  %h3 = weft.matmul %y2, %w1_3 : tensor<1024x768xf32>, tensor<768x3072xf32>
  %y3 = weft.matmul %h3, %w2_3 : tensor<1024x3072xf32>, tensor<3072x768xf32>
  %h4 = weft.matmul %y3, %w1_4 : tensor<1024x768xf32>, tensor<768x3072xf32>
  %y4 = weft.matmul %h4, %w2_4 : tensor<1024x3072xf32>, tensor<3072x768xf32>
  %h5 = weft.matmul %y4, %w1_5 : tensor<1024x768xf32>, tensor<768x3072xf32>
  %y5 = weft.matmul %h5, %w2_5 : tensor<1024x3072xf32>, tensor<3072x768xf32>
  %h6 = weft.matmul %y5, %w1_6 : tensor<1024x768xf32>, tensor<768x3072xf32>
  %y6 = weft.matmul %h6, %w2_6 : tensor<1024x3072xf32>, tensor<3072x768xf32>
  %h7 = weft.matmul %y6, %w1_7 : tensor<1024x768xf32>, tensor<768x3072xf32>
  %y7 = weft.matmul %h7, %w2_7 : tensor<1024x3072xf32>, tensor<3072x768xf32>
  return %y7 : tensor<1024x768xf32>
}
