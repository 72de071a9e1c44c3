func.func @layer_norm_beta_type(%x: tensor<4x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf16>) {
  %y, %m, %r = weft.layer_norm %x, %g, %b epsilon = 1.0e-05 : tensor<4x8xf32>, tensor<8xf32>, tensor<8xf16>
  return
}
