// RUN: weft-opt %s --split-input-file --weft-convert-to-linalg --verify-diagnostics | FileCheck %s

// Tests that a binary elementwise op becomes one linalg.generic with identity
// maps writing a tensor.empty.
// CHECK-LABEL: func.func @add
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x8xf32>
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel"]
// CHECK-SAME: ins(%arg0, %arg1 : tensor<4x8xf32>, tensor<4x8xf32>) outs(%[[E]] : tensor<4x8xf32>)
// CHECK: arith.addf
// CHECK-NOT: weft.
func.func @add(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = weft.add %a, %b : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// Tests that gelu is computed with math.erf, and that bf16 is widened to f32,
// computed, and rounded once.
// CHECK-LABEL: func.func @gelu_bf16
// CHECK: ^bb0(%[[IN:.*]]: bf16, %{{.*}}: bf16):
// CHECK: %[[X:.*]] = arith.extf %[[IN]] : bf16 to f32
// CHECK: %[[S:.*]] = arith.mulf %[[X]], %{{.*}} : f32
// CHECK: math.erf %[[S]] : f32
// CHECK: %[[T:.*]] = arith.truncf %{{.*}} : f32 to bf16
// CHECK: linalg.yield %[[T]] : bf16
func.func @gelu_bf16(%x: tensor<16xbf16>) -> tensor<16xbf16> {
  %0 = weft.gelu %x : tensor<16xbf16>
  return %0 : tensor<16xbf16>
}

// -----

// Tests that gelu_tanh uses math.tanh of sqrt(2/pi) (x + 0.044715 x^3).
// CHECK-LABEL: func.func @gelu_tanh
// CHECK-DAG: arith.constant 4.471500e-02 : f32
// CHECK-DAG: arith.constant 0.797884583 : f32
// CHECK: math.tanh
func.func @gelu_tanh(%x: tensor<16xf32>) -> tensor<16xf32> {
  %0 = weft.gelu_tanh %x : tensor<16xf32>
  return %0 : tensor<16xf32>
}

// -----

// Tests that integer division cannot trap: the divisor 0 and -1 are replaced
// and the results selected.
// CHECK-LABEL: func.func @div_i32
// CHECK: arith.cmpi eq
// CHECK: arith.cmpi eq
// CHECK: arith.divsi
// CHECK: arith.select
// CHECK: arith.select
func.func @div_i32(%a: tensor<8xi32>, %b: tensor<8xi32>) -> tensor<8xi32> {
  %0 = weft.div %a, %b : tensor<8xi32>
  return %0 : tensor<8xi32>
}

// -----

// Tests that a float → int cast truncates and saturates (NaN gives 0).
// CHECK-LABEL: func.func @cast_f32_i32
// CHECK: arith.fptosi %{{.*}} : f32 to i32
// CHECK: arith.cmpf oge
// CHECK: arith.cmpf olt
// CHECK: arith.cmpf uno
func.func @cast_f32_i32(%a: tensor<8xf32>) -> tensor<8xi32> {
  %0 = weft.cast %a : tensor<8xf32> -> tensor<8xi32>
  return %0 : tensor<8xi32>
}

// -----

// Tests that compare ne is unordered (NaN != x) and lt ordered.
// CHECK-LABEL: func.func @compare
// CHECK: arith.cmpf une
// CHECK: arith.cmpf olt
func.func @compare(%a: tensor<8xf32>, %b: tensor<8xf32>) -> (tensor<8xi1>, tensor<8xi1>) {
  %0 = weft.compare ne, %a, %b : tensor<8xf32>
  %1 = weft.compare lt, %a, %b : tensor<8xf32>
  return %0, %1 : tensor<8xi1>, tensor<8xi1>
}

// -----

// Tests that mean over the last dimension fills 0, sums with reassoc in one
// generic whose output drops the reduced dimension, then divides in place.
// CHECK-LABEL: func.func @reduce_mean
// CHECK: %[[F:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<128xf32>)
// CHECK: %[[S:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #[[OUT:.*]]], iterator_types = ["parallel", "reduction"]}
// CHECK-SAME: outs(%[[F]] : tensor<128xf32>)
// CHECK: arith.addf %{{.*}}, %{{.*}} fastmath<reassoc,contract>
// CHECK: linalg.generic
// CHECK-SAME: outs(%[[S]] : tensor<128xf32>)
// CHECK: arith.divf %{{.*}}, %{{.*}} : f32
func.func @reduce_mean(%x: tensor<128x768xf32>) -> tensor<128xf32> {
  %0 = weft.reduce mean %x dims = [1] : tensor<128x768xf32>
  return %0 : tensor<128xf32>
}

// -----

// Tests that max starts from -inf and that bf16 sums accumulate in f32.
// CHECK-LABEL: func.func @reduce_max_and_bf16_sum
// CHECK: arith.constant 0xFF800000 : f32
// CHECK: arith.maximumf
// CHECK: tensor.empty() : tensor<4xf32>
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: arith.truncf %{{.*}} : f32 to bf16
func.func @reduce_max_and_bf16_sum(%x: tensor<4x8xf32>, %y: tensor<4x8xbf16>) -> (tensor<4xf32>, tensor<4xbf16>) {
  %0 = weft.reduce max %x dims = [1] : tensor<4x8xf32>
  %1 = weft.reduce sum %y dims = [1] : tensor<4x8xbf16>
  return %0, %1 : tensor<4xf32>, tensor<4xbf16>
}

// -----

// Tests the data movement ops: transpose, broadcast (replicated size-1 dims
// read index 0), slice, concat and reshape.
// CHECK-DAG: #[[BCAST:.*]] = affine_map<(d0, d1, d2) -> (d0, 0)>
// CHECK-LABEL: func.func @movement
// CHECK: linalg.transpose ins(%arg0 : tensor<4x8xf32>) outs(%{{.*}} : tensor<8x4xf32>) permutation = [1, 0]
// CHECK: linalg.generic {indexing_maps = [#[[BCAST]], #{{.*}}]
// CHECK: tensor.extract_slice %arg0[0, 1] [2, 4] [2, 2]
// CHECK: linalg.copy
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[0, 0] [4, 8] [1, 1]
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[4, 0] [4, 8] [1, 1]
// CHECK: tensor.collapse_shape %arg0 {{\[\[}}0, 1]] : tensor<4x8xf32> into tensor<32xf32>
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1, 2]] output_shape [2, 4, 4] : tensor<32xf32> into tensor<2x4x4xf32>
func.func @movement(%a: tensor<4x8xf32>, %b: tensor<4x1xf32>)
    -> (tensor<8x4xf32>, tensor<4x3x5xf32>, tensor<2x4xf32>, tensor<8x8xf32>, tensor<2x4x4xf32>) {
  %0 = weft.transpose %a permutation = [1, 0] : tensor<4x8xf32>
  %1 = weft.broadcast %b dims = [0, 2] : tensor<4x1xf32> -> tensor<4x3x5xf32>
  %2 = weft.slice %a start = [0, 1] limit = [4, 8] strides = [2, 2] : tensor<4x8xf32>
  %3 = weft.concat %a, %a dim = 0 : tensor<4x8xf32>, tensor<4x8xf32>
  %4 = weft.reshape %a : tensor<4x8xf32> -> tensor<2x4x4xf32>
  return %0, %1, %2, %3, %4 : tensor<8x4xf32>, tensor<4x3x5xf32>, tensor<2x4xf32>, tensor<8x8xf32>, tensor<2x4x4xf32>
}

// -----

// Tests that gather clamps each index into [0, V - 1] before reading the table.
// CHECK-LABEL: func.func @gather
// CHECK: %[[I:.*]] = arith.index_cast %{{.*}} : i64 to index
// CHECK-DAG: %[[LO:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[HI:.*]] = arith.constant 49 : index
// CHECK: %[[A:.*]] = arith.maxsi %[[I]], %[[LO]] : index
// CHECK: %[[B:.*]] = arith.minsi %[[A]], %[[HI]] : index
// CHECK: %[[D:.*]] = linalg.index 1 : index
// CHECK: tensor.extract %arg0[%[[B]], %[[D]]] : tensor<50x8xf32>
func.func @gather(%t: tensor<50x8xf32>, %i: tensor<3xi64>) -> tensor<3x8xf32> {
  %0 = weft.gather %t[%i] : tensor<50x8xf32>, tensor<3xi64>
  return %0 : tensor<3x8xf32>
}

// -----

// Tests that iota converts linalg.index and constants become arith.constant.
// CHECK-LABEL: func.func @iota_constant
// CHECK: linalg.index 1 : index
// CHECK: arith.sitofp %{{.*}} : i64 to f32
// CHECK: arith.constant dense<1.000000e+00> : tensor<2x3xf32>
func.func @iota_constant() -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %0 = weft.iota dim = 1 : tensor<2x3xf32>
  %1 = weft.constant dense<1.0> : tensor<2x3xf32>
  return %0, %1 : tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// Tests that f32 contractions use the named linalg ops and transposed or
// narrow ones a generic with an f32 accumulator.
// CHECK-LABEL: func.func @contractions
// CHECK: linalg.matmul ins(%arg0, %arg1 : tensor<4x8xf32>, tensor<8x5xf32>)
// CHECK: linalg.batch_matmul
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%arg3, %arg3 : tensor<4x8xbf16>, tensor<4x8xbf16>) outs(%{{.*}} : tensor<4x4xf32>)
// CHECK: arith.truncf %{{.*}} : f32 to bf16
func.func @contractions(%a: tensor<4x8xf32>, %b: tensor<8x5xf32>, %c: tensor<2x4x8xf32>,
                        %d: tensor<4x8xbf16>) -> (tensor<4x5xf32>, tensor<2x4x4xf32>, tensor<4x4xbf16>) {
  %0 = weft.matmul %a, %b : tensor<4x8xf32>, tensor<8x5xf32>
  %ct = weft.transpose %c permutation = [0, 2, 1] : tensor<2x4x8xf32>
  %1 = weft.batch_matmul %c, %ct : tensor<2x4x8xf32>, tensor<2x8x4xf32>
  %2 = weft.matmul %d, %d {transpose_rhs} : tensor<4x8xbf16>, tensor<4x8xbf16>
  return %0, %1, %2 : tensor<4x5xf32>, tensor<2x4x4xf32>, tensor<4x4xbf16>
}

// -----

// Tests that a cheap value two loop nests read (x - max, one subtraction of a kernel operand) is recomputed in
// each instead of written by the first and read back by the second: the kernel holds no [4, 16] temporary, while
// exp(x - max), read by the sum's nest and the final one, stays a result of the sum's nest (one [4, 16] buffer
// besides the output).
// CHECK-LABEL: func.func @recompute_shift
// CHECK: tensor.empty() : tensor<4x16xf32>
// CHECK-NEXT: tensor.empty() : tensor<4xf32>
// CHECK: arith.subf
// CHECK: math.exp
// CHECK-NOT: tensor.empty() : tensor<4x16xf32>
// CHECK: arith.subf
// CHECK-NOT: tensor.empty() : tensor<4x16xf32>
// CHECK: math.log
// CHECK: tensor.empty() : tensor<4x16xf32>
// CHECK-NOT: tensor.empty() : tensor<4x16xf32>
// CHECK: return
func.func @recompute_shift(%x: tensor<4x16xf32>) -> (tensor<4x16xf32>, tensor<4xf32>) {
  %r:2 = weft.fusion %x : (tensor<4x16xf32>) -> (tensor<4x16xf32>, tensor<4xf32>) {
  ^bb0(%a: tensor<4x16xf32>):
    %m = weft.reduce max %a dims = [1] : tensor<4x16xf32>
    %mb = weft.broadcast %m dims = [0] : tensor<4xf32> -> tensor<4x16xf32>
    %s = weft.sub %a, %mb : tensor<4x16xf32>
    %e = weft.exp %s : tensor<4x16xf32>
    %se = weft.reduce sum %e dims = [1] : tensor<4x16xf32>
    %sq = weft.mul %s, %s : tensor<4x16xf32>
    %ss = weft.reduce sum %sq dims = [1] : tensor<4x16xf32>
    %l = weft.log %ss : tensor<4xf32>
    %lb = weft.broadcast %se dims = [0] : tensor<4xf32> -> tensor<4x16xf32>
    %p = weft.div %e, %lb : tensor<4x16xf32>
    weft.yield %p, %l : tensor<4x16xf32>, tensor<4xf32>
  }
  return %r#0, %r#1 : tensor<4x16xf32>, tensor<4xf32>
}

// -----

// Tests that a kernel whose output may be the storage of one of its inputs (Partition marks it
// kernel_args_may_alias: an in-place update) recomputes nothing: x - max stays a result of the exp nest (two [4, 16]
// buffers there), since a later nest recomputing it would read an input an earlier nest may have overwritten.
// CHECK-LABEL: func.func @no_recompute_in_place
// CHECK: tensor.empty() : tensor<4x16xf32>
// CHECK-NEXT: tensor.empty() : tensor<4x16xf32>
// CHECK-NEXT: tensor.empty() : tensor<4xf32>
// CHECK: math.exp
func.func @no_recompute_in_place(%x: tensor<4x16xf32>) -> (tensor<4x16xf32>, tensor<4xf32>)
    attributes {kernel_args_may_alias} {
  %r:2 = weft.fusion %x : (tensor<4x16xf32>) -> (tensor<4x16xf32>, tensor<4xf32>) {
  ^bb0(%a: tensor<4x16xf32>):
    %m = weft.reduce max %a dims = [1] : tensor<4x16xf32>
    %mb = weft.broadcast %m dims = [0] : tensor<4xf32> -> tensor<4x16xf32>
    %s = weft.sub %a, %mb : tensor<4x16xf32>
    %e = weft.exp %s : tensor<4x16xf32>
    %se = weft.reduce sum %e dims = [1] : tensor<4x16xf32>
    %sq = weft.mul %s, %s : tensor<4x16xf32>
    %ss = weft.reduce sum %sq dims = [1] : tensor<4x16xf32>
    %l = weft.log %ss : tensor<4xf32>
    %lb = weft.broadcast %se dims = [0] : tensor<4xf32> -> tensor<4x16xf32>
    %p = weft.div %e, %lb : tensor<4x16xf32>
    weft.yield %p, %l : tensor<4x16xf32>, tensor<4xf32>
  }
  return %r#0, %r#1 : tensor<4x16xf32>, tensor<4xf32>
}
