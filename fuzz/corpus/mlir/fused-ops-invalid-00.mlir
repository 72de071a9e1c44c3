func.func @layer_norm_gamma_shape(%x: tensor<4x8xf32>, %g: tensor<4x8xf32>) {
  %y, %m, %r = weft.layer_norm %x, %g epsilon = 1.0e-05 : tensor<4x8xf32>, tensor<4x8xf32>
  return
}
