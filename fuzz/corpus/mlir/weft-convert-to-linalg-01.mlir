func.func @gelu_bf16(%x: tensor<16xbf16>) -> tensor<16xbf16> {
  %0 = weft.gelu %x : tensor<16xbf16>
  return %0 : tensor<16xbf16>
}
