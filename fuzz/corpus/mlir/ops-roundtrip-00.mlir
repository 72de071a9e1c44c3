func.func @elementwise(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>, %i: tensor<4x8xi64>) -> tensor<4x8xf32> {
  %0 = weft.neg %a : tensor<4x8xf32>
  %1 = weft.abs %0 : tensor<4x8xf32>
  %2 = weft.exp %1 : tensor<4x8xf32>
  %3 = weft.log %2 : tensor<4x8xf32>
  %4 = weft.sqrt %3 : tensor<4x8xf32>
  %5 = weft.rsqrt %4 : tensor<4x8xf32>
  %6 = weft.tanh %5 : tensor<4x8xf32>
  %7 = weft.relu %6 : tensor<4x8xf32>
  %8 = weft.sigmoid %7 : tensor<4x8xf32>
  %9 = weft.gelu %8 : tensor<4x8xf32>
  %10 = weft.gelu_tanh %9 : tensor<4x8xf32>
  %11 = weft.fast_gelu %10 : tensor<4x8xf32>
  %12 = weft.add %11, %b : tensor<4x8xf32>
  %13 = weft.sub %12, %b : tensor<4x8xf32>
  %14 = weft.mul %13, %b : tensor<4x8xf32>
  %15 = weft.div %14, %b : tensor<4x8xf32>
  %16 = weft.max %15, %b : tensor<4x8xf32>
  %17 = weft.min %16, %b : tensor<4x8xf32>
  %18 = weft.pow %17, %b : tensor<4x8xf32>
  %19 = weft.compare lt, %i, %i : tensor<4x8xi64>
  %20 = weft.select %19, %18, %a : tensor<4x8xi1>, tensor<4x8xf32>
  %21 = weft.cast %20 : tensor<4x8xf32> -> tensor<4x8xbf16>
  %22 = weft.cast %21 : tensor<4x8xbf16> -> tensor<4x8xf32>
  %23 = weft.stop_gradient %22 : tensor<4x8xf32>
  return %23 : tensor<4x8xf32>
}
func.func @contractions(%x: tensor<8x768xf32>, %w: tensor<512x768xf32>, %q: tensor<12x128x64xf32>) -> (tensor<8x512xf32>, tensor<12x128x128xf32>) {
  %0 = weft.matmul %x, %w {transpose_rhs} : tensor<8x768xf32>, tensor<512x768xf32>
  %1 = weft.batch_matmul %q, %q {transpose_rhs} : tensor<12x128x64xf32>, tensor<12x128x64xf32>
  return %0, %1 : tensor<8x512xf32>, tensor<12x128x128xf32>
}
func.func @movement(%x: tensor<128x2304xf32>, %b: tensor<768xf32>, %t: tensor<128xi64>, %e: tensor<50x768xf32>) -> (tensor<128xf32>, tensor<12x128x64xf32>, tensor<128x768xf32>, tensor<128x768xf32>, tensor<128x1536xf32>, tensor<128x768xf32>, tensor<128xi64>, tensor<2xf32>) {
  %0 = weft.reduce mean %x dims = [1] : tensor<128x2304xf32>
  %1 = weft.slice %x start = [0, 0] limit = [128, 768] strides = [1, 1] : tensor<128x2304xf32>
  %2 = weft.reshape %1 : tensor<128x768xf32> -> tensor<128x12x64xf32>
  %3 = weft.transpose %2 permutation = [1, 0, 2] : tensor<128x12x64xf32>
  %4 = weft.broadcast %b dims = [1] : tensor<768xf32> -> tensor<128x768xf32>
  %5 = weft.concat %1, %4 dim = 1 : tensor<128x768xf32>, tensor<128x768xf32>
  %6 = weft.gather %e[%t] : tensor<50x768xf32>, tensor<128xi64>
  %7 = weft.iota dim = 0 : tensor<128xi64>
  %8 = weft.constant dense<[1.0, 2.0]> : tensor<2xf32>
  return %0, %3, %4, %1, %5, %6, %7, %8 : tensor<128xf32>, tensor<12x128x64xf32>, tensor<128x768xf32>, tensor<128x768xf32>, tensor<128x1536xf32>, tensor<128x768xf32>, tensor<128xi64>, tensor<2xf32>
}
