func.func @rms_norm_epsilon(%x: tensor<4x8xf32>) {
  %y, %r = weft.rms_norm %x epsilon = -1.0 : tensor<4x8xf32>
  return
}
