func.func @nothing_to_fuse(%t: tensor<16x4xf32>, %i: tensor<3xi64>, %g: tensor<4xf32>) -> tensor<4x3xf32> {
  %e = weft.gather %t[%i] : tensor<16x4xf32>, tensor<3xi64>
  %n, %mean, %rstd = weft.layer_norm %e, %g epsilon = 1.000000e-05 : tensor<3x4xf32>, tensor<4xf32>
  %r = weft.transpose %n permutation = [1, 0] : tensor<3x4xf32>
  %x = weft.exp %r : tensor<4x3xf32>
  return %x : tensor<4x3xf32>
}
