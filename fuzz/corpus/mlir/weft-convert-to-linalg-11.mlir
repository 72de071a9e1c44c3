func.func @contractions(%a: tensor<4x8xf32>, %b: tensor<8x5xf32>, %c: tensor<2x4x8xf32>,
                        %d: tensor<4x8xbf16>) -> (tensor<4x5xf32>, tensor<2x4x4xf32>, tensor<4x4xbf16>) {
  %0 = weft.matmul %a, %b : tensor<4x8xf32>, tensor<8x5xf32>
  %ct = weft.transpose %c permutation = [0, 2, 1] : tensor<2x4x8xf32>
  %1 = weft.batch_matmul %c, %ct : tensor<2x4x8xf32>, tensor<2x8x4xf32>
  %2 = weft.matmul %d, %d {transpose_rhs} : tensor<4x8xbf16>, tensor<4x8xbf16>
  return %0, %1, %2 : tensor<4x5xf32>, tensor<2x4x4xf32>, tensor<4x4xbf16>
}
