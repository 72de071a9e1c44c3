func.func @mask_recomputed(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %r = weft.iota dim = 0 : tensor<4x4xi64>
  %c = weft.iota dim = 1 : tensor<4x4xi64>
  %k = weft.compare ge, %r, %c : tensor<4x4xi64>
  %zero = weft.constant dense<0.0> : tensor<4x4xf32>
  %low = weft.constant dense<-1.0e9> : tensor<4x4xf32>
  %mask = weft.select %k, %zero, %low : tensor<4x4xi1>, tensor<4x4xf32>
  %a = weft.add %x, %mask : tensor<4x4xf32>
  %e = weft.exp %a : tensor<4x4xf32>
  %m = weft.matmul %e, %e : tensor<4x4xf32>, tensor<4x4xf32>
  %b = weft.add %m, %mask : tensor<4x4xf32>
  %t = weft.tanh %b : tensor<4x4xf32>
  return %t : tensor<4x4xf32>
}
