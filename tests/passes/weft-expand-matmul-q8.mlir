// RUN: weft-opt %s -split-input-file -weft-expand-matmul-q8 | FileCheck %s
// RUN: weft-opt %s -split-input-file -weft-expand-matmul-q8 -canonicalize -cse | FileCheck %s --check-prefix=CLEAN
// RUN: weft-opt %s -split-input-file -weft-expand-matmul-q8="max-copy-bytes=40" | FileCheck %s --check-prefix=BLOCKS

// Tests that a weight-only weft.matmul_q8 ([K, N] weight, f32 activations) becomes the int8 weight cast to f32, a
// weft.matmul and the per-channel scales broadcast over the rows and multiplied in.

// CHECK-LABEL: func.func @weight_only(
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x4xf32>, %[[W:[^:]*]]: tensor<4x3xi8>, %[[S:[^:]*]]: tensor<3xf32>)
// CHECK-NOT: weft.matmul_q8
// CHECK: %[[WF:.*]] = weft.cast %[[W]] : tensor<4x3xi8> -> tensor<4x3xf32>
// CHECK: %[[P:.*]] = weft.matmul %[[X]], %[[WF]] : tensor<2x4xf32>, tensor<4x3xf32>
// CHECK: %[[B:.*]] = weft.broadcast %[[S]] dims = [1] : tensor<3xf32> -> tensor<2x3xf32>
// CHECK: %[[Y:.*]] = weft.mul %[[P]], %[[B]] : tensor<2x3xf32>
// CHECK: return %[[Y]]
func.func @weight_only(%x: tensor<2x4xf32>, %w: tensor<4x3xi8>, %s: tensor<3xf32>) -> tensor<2x3xf32> {
  %y = weft.matmul_q8 %x, %w, %s : tensor<2x4xf32>, tensor<4x3xi8>, tensor<3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// Tests that with quantize_lhs (int8-weight serving) each row is quantized in f32 as the op specifies: its absmax
// (max of |x| over dim 1), 127 / amax (0 for a zero row), the row scaled, clamped to [-127, 127] and rounded half to
// even with the 1.5 * 2^23 constant; the integer product rescaled by amax / 127 per row, then by the scales per
// column. A transposed ([N, K]) weight keeps transpose_rhs on the f32 product; the op's dialect attributes
// (weft.recompute) go onto every op it becomes.

// CHECK-LABEL: func.func @quantized_rows(
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x4xf32>, %[[W:[^:]*]]: tensor<3x4xi8>, %[[S:[^:]*]]: tensor<3xf32>)
// CHECK: %[[A:.*]] = weft.abs %[[X]] {weft.recompute = 1 : i64} : tensor<2x4xf32>
// CHECK: %[[AMAX:.*]] = weft.reduce max %[[A]] dims = [1] {weft.recompute = 1 : i64} : tensor<2x4xf32>
// CHECK: %[[C127:.*]] = weft.constant {weft.recompute = 1 : i64} dense<1.270000e+02> : tensor<2xf32>
// CHECK: %[[Z:.*]] = weft.constant {weft.recompute = 1 : i64} dense<0.000000e+00> : tensor<2xf32>
// CHECK: %[[ISZERO:.*]] = weft.compare eq, %[[AMAX]], %[[Z]] {weft.recompute = 1 : i64} : tensor<2xf32>
// CHECK: %[[RECIP:.*]] = weft.div %[[C127]], %[[AMAX]] {weft.recompute = 1 : i64} : tensor<2xf32>
// CHECK: %[[ZERO:.*]] = weft.constant {weft.recompute = 1 : i64} dense<0.000000e+00> : tensor<2xf32>
// CHECK: %[[INV:.*]] = weft.select %[[ISZERO]], %[[ZERO]], %[[RECIP]] {weft.recompute = 1 : i64}
// CHECK: %[[INVB:.*]] = weft.broadcast %[[INV]] dims = [0] {weft.recompute = 1 : i64} : tensor<2xf32> -> tensor<2x4xf32>
// CHECK: %[[V:.*]] = weft.mul %[[X]], %[[INVB]] {weft.recompute = 1 : i64} : tensor<2x4xf32>
// CHECK: %[[LO:.*]] = weft.constant {weft.recompute = 1 : i64} dense<-1.270000e+02> : tensor<2x4xf32>
// CHECK: %[[VLO:.*]] = weft.max %[[V]], %[[LO]] {weft.recompute = 1 : i64} : tensor<2x4xf32>
// CHECK: %[[HI:.*]] = weft.constant {weft.recompute = 1 : i64} dense<1.270000e+02> : tensor<2x4xf32>
// CHECK: %[[VC:.*]] = weft.min %[[VLO]], %[[HI]] {weft.recompute = 1 : i64} : tensor<2x4xf32>
// CHECK: %[[MAGIC:.*]] = weft.constant {weft.recompute = 1 : i64} dense<0x4B400000> : tensor<2x4xf32>
// CHECK: %[[UP:.*]] = weft.add %[[VC]], %[[MAGIC]] {weft.recompute = 1 : i64} : tensor<2x4xf32>
// CHECK: %[[Q:.*]] = weft.sub %[[UP]], %[[MAGIC]] {weft.recompute = 1 : i64} : tensor<2x4xf32>
// CHECK: %[[RS:.*]] = weft.div %[[AMAX]], %[[C127]] {weft.recompute = 1 : i64} : tensor<2xf32>
// CHECK: %[[WF:.*]] = weft.cast %[[W]] {weft.recompute = 1 : i64} : tensor<3x4xi8> -> tensor<3x4xf32>
// CHECK: %[[P:.*]] = weft.matmul %[[Q]], %[[WF]] {transpose_rhs, weft.recompute = 1 : i64} : tensor<2x4xf32>, tensor<3x4xf32>
// CHECK: %[[RSB:.*]] = weft.broadcast %[[RS]] dims = [0] {weft.recompute = 1 : i64} : tensor<2xf32> -> tensor<2x3xf32>
// CHECK: %[[PR:.*]] = weft.mul %[[P]], %[[RSB]] {weft.recompute = 1 : i64} : tensor<2x3xf32>
// CHECK: %[[SB:.*]] = weft.broadcast %[[S]] dims = [1] {weft.recompute = 1 : i64} : tensor<3xf32> -> tensor<2x3xf32>
// CHECK: %[[Y:.*]] = weft.mul %[[PR]], %[[SB]] {weft.recompute = 1 : i64} : tensor<2x3xf32>
// CHECK: return %[[Y]]
func.func @quantized_rows(%x: tensor<2x4xf32>, %w: tensor<3x4xi8>, %s: tensor<3xf32>) -> tensor<2x3xf32> {
  %y = weft.matmul_q8 %x, %w, %s {quantize_lhs, transpose_rhs, weft.recompute = 1 : i64}
      : tensor<2x4xf32>, tensor<3x4xi8>, tensor<3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// Tests LLM.int8() (outlier_threshold 6.0): the columns whose max |x| over the rows is >= 6.0 are masked out of the
// quantized part (selected to zero before the row maxima) and form the f32 part, whose product with the same f32
// weight is added to the rescaled integer product before the per-channel scales.

// CHECK-LABEL: func.func @llm_int8(
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x4xf32>, %[[W:[^:]*]]: tensor<4x3xi8>, %[[S:[^:]*]]: tensor<3xf32>)
// CHECK: %[[A:.*]] = weft.abs %[[X]] : tensor<2x4xf32>
// CHECK: %[[CMAX:.*]] = weft.reduce max %[[A]] dims = [0] : tensor<2x4xf32>
// CHECK: %[[T:.*]] = weft.constant dense<6.000000e+00> : tensor<4xf32>
// CHECK: %[[OUT:.*]] = weft.compare ge, %[[CMAX]], %[[T]] : tensor<4xf32>
// CHECK: %[[MASK:.*]] = weft.broadcast %[[OUT]] dims = [1] : tensor<4xi1> -> tensor<2x4xi1>
// CHECK: %[[ZEROS:.*]] = weft.constant dense<0.000000e+00> : tensor<2x4xf32>
// CHECK: %[[XIN:.*]] = weft.select %[[MASK]], %[[ZEROS]], %[[X]]
// CHECK: %[[XOUT:.*]] = weft.select %[[MASK]], %[[X]], %[[ZEROS]]
// CHECK: weft.abs %[[XIN]]
// CHECK: %[[Q:.*]] = weft.sub
// CHECK: %[[WF:.*]] = weft.cast %[[W]] : tensor<4x3xi8> -> tensor<4x3xf32>
// CHECK-NEXT: %[[P:.*]] = weft.matmul %[[Q]], %[[WF]] : tensor<2x4xf32>, tensor<4x3xf32>
// CHECK-NEXT: %[[PO:.*]] = weft.matmul %[[XOUT]], %[[WF]] : tensor<2x4xf32>, tensor<4x3xf32>
// CHECK: %[[PR:.*]] = weft.mul %[[P]], %{{.*}} : tensor<2x3xf32>
// CHECK-NEXT: %[[SUM:.*]] = weft.add %[[PR]], %[[PO]] : tensor<2x3xf32>
// CHECK: %[[SB:.*]] = weft.broadcast %[[S]] dims = [1] : tensor<3xf32> -> tensor<2x3xf32>
// CHECK: %[[Y:.*]] = weft.mul %[[SUM]], %[[SB]]
// CHECK: return %[[Y]]
// Tests that canonicalization and CSE keep the rounding (the add and sub of 1.5 * 2^23 are not folded away) and
// share the one cast of a weight that two products read.
// CLEAN-LABEL: func.func @llm_int8(
// CLEAN: %[[MAGIC:.*]] = weft.constant dense<0x4B400000> : tensor<2x4xf32>
// CLEAN: %[[UP:.*]] = weft.add %{{.*}}, %[[MAGIC]]
// CLEAN-NEXT: %[[Q:.*]] = weft.sub %[[UP]], %[[MAGIC]]
// CLEAN: %[[WF:.*]] = weft.cast
// CLEAN-NEXT: weft.matmul %[[Q]], %[[WF]]
// CLEAN-NEXT: weft.matmul %{{.*}}, %[[WF]]
// CLEAN-NOT: weft.cast
func.func @llm_int8(%x: tensor<2x4xf32>, %w: tensor<4x3xi8>, %s: tensor<3xf32>) -> tensor<2x3xf32> {
  %y = weft.matmul_q8 %x, %w, %s {quantize_lhs, outlier_threshold = 6.0 : f32}
      : tensor<2x4xf32>, tensor<4x3xi8>, tensor<3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// Tests max-copy-bytes: the f32 copy of a [N, K] weight (an LM head read transposed) over the limit is made in blocks
// of rows, ceil(4 * 5 * 4 / 40) = 2 blocks of 3 and 2 rows: each gathers its int8 rows at iota indices (offset by the
// block's first row), casts them and multiplies; the blocks' products are concatenated along N before the scales.
// A [K, N] weight over the limit (the other cases, 48 bytes) is copied whole.

// BLOCKS-LABEL: func.func @weight_only(
// BLOCKS: weft.cast %{{.*}} : tensor<4x3xi8> -> tensor<4x3xf32>
// BLOCKS-LABEL: func.func @head(
// BLOCKS-SAME: %[[X:[^:]*]]: tensor<2x4xf32>, %[[W:[^:]*]]: tensor<5x4xi8>, %[[S:[^:]*]]: tensor<5xf32>)
// BLOCKS-NOT: weft.cast %[[W]]
// BLOCKS: %[[I0:.*]] = weft.iota dim = 0 : tensor<3xi64>
// BLOCKS-NEXT: %[[R0:.*]] = weft.gather %[[W]][%[[I0]]] : tensor<5x4xi8>, tensor<3xi64>
// BLOCKS-NEXT: %[[F0:.*]] = weft.cast %[[R0]] : tensor<3x4xi8> -> tensor<3x4xf32>
// BLOCKS-NEXT: %[[P0:.*]] = weft.matmul %[[X]], %[[F0]] {transpose_rhs} : tensor<2x4xf32>, tensor<3x4xf32>
// BLOCKS-NEXT: %[[J:.*]] = weft.iota dim = 0 : tensor<2xi64>
// BLOCKS-NEXT: %[[OFF:.*]] = weft.constant dense<3> : tensor<2xi64>
// BLOCKS-NEXT: %[[I1:.*]] = weft.add %[[J]], %[[OFF]] : tensor<2xi64>
// BLOCKS-NEXT: %[[R1:.*]] = weft.gather %[[W]][%[[I1]]] : tensor<5x4xi8>, tensor<2xi64>
// BLOCKS-NEXT: %[[F1:.*]] = weft.cast %[[R1]] : tensor<2x4xi8> -> tensor<2x4xf32>
// BLOCKS-NEXT: %[[P1:.*]] = weft.matmul %[[X]], %[[F1]] {transpose_rhs} : tensor<2x4xf32>, tensor<2x4xf32>
// BLOCKS-NEXT: %[[P:.*]] = weft.concat %[[P0]], %[[P1]] dim = 1 : tensor<2x3xf32>, tensor<2x2xf32>
// BLOCKS-NEXT: %[[SB:.*]] = weft.broadcast %[[S]] dims = [1] : tensor<5xf32> -> tensor<2x5xf32>
// BLOCKS-NEXT: %[[Y:.*]] = weft.mul %[[P]], %[[SB]] : tensor<2x5xf32>
// BLOCKS-NEXT: return %[[Y]]
// CLEAN-LABEL: func.func @head(
func.func @head(%x: tensor<2x4xf32>, %w: tensor<5x4xi8>, %s: tensor<5xf32>) -> tensor<2x5xf32> {
  %y = weft.matmul_q8 %x, %w, %s {transpose_rhs} : tensor<2x4xf32>, tensor<5x4xi8>, tensor<5xf32>
  return %y : tensor<2x5xf32>
}
