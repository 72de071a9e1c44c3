// RUN: weft-opt %s -split-input-file -weft-quantize-weights="lm-head=f32" | FileCheck %s
// RUN: weft-opt %s -split-input-file -weft-quantize-weights="keep=fc.weight" | FileCheck %s --check-prefix=KEEP
// RUN: not weft-opt %s -split-input-file -weft-quantize-weights="mode=int4" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADMODE
// RUN: weft-opt %s -split-input-file -weft-quantize-weights="mode=llm-int8 threshold=4.5" | FileCheck %s --check-prefix=LLM
// RUN: weft-opt %s -split-input-file -weft-quantize-weights | FileCheck %s --check-prefix=HEAD
// RUN: weft-opt %s -split-input-file -weft-quantize-weights="mode=llm-int8 lm-head=int8" | FileCheck %s --check-prefix=LLMHEAD
// RUN: not weft-opt %s -split-input-file -weft-quantize-weights="lm-head=int4" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADHEAD
// RUN: not weft-opt %s -split-input-file -weft-quantize-weights="mode=llm-int8 threshold=0" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADTHRESHOLD
// RUN: weft-opt %s -split-input-file -weft-quantize-weights="activations=false" | FileCheck %s --check-prefix=F32ACT

// Tests that a [K, N] matmul weight becomes fc.weight.q8 (i8 [K, N]) and fc.weight.scale (f32 [N]) and its matmul a
// weft.matmul_q8, while with lm-head=f32 the LM head (lm_head.weight, then kept by default) stays an f32
// weft.matmul; with keep=fc.weight only that one stays f32 and the LM head is quantized with one scale per row
// ([N, K], transposed).

// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[H:[^:]*]]: tensor<5x3xf32> {weft.param = "lm_head.weight"}, %[[X:[^:]*]]: tensor<2x4xf32> {weft.input = "x"}, %[[Q:[^:]*]]: tensor<4x3xi8> {weft.param = "fc.weight.q8"}, %[[S:[^:]*]]: tensor<3xf32> {weft.param = "fc.weight.scale"})
// CHECK: %[[Y:.*]] = weft.matmul_q8 %[[X]], %[[Q]], %[[S]] {quantize_lhs} : tensor<2x4xf32>, tensor<4x3xi8>, tensor<3xf32>
// CHECK: weft.matmul %[[Y]], %[[H]] {transpose_rhs} : tensor<2x3xf32>, tensor<5x3xf32>
// KEEP-LABEL: func.func @main(
// KEEP-SAME: tensor<4x3xf32> {weft.param = "fc.weight"}
// KEEP-SAME: tensor<5x3xi8> {weft.param = "lm_head.weight.q8"}, %[[S:[^:]*]]: tensor<5xf32> {weft.param = "lm_head.weight.scale"})
// KEEP: weft.matmul %{{.*}}, %{{.*}} : tensor<2x4xf32>, tensor<4x3xf32>
// KEEP: weft.matmul_q8 %{{.*}}, %{{.*}}, %[[S]] {quantize_lhs, transpose_rhs} : tensor<2x3xf32>, tensor<5x3xi8>, tensor<5xf32>
// BADMODE: unknown mode 'int4'; the modes are: int8-weight, llm-int8
// BADTHRESHOLD: the llm-int8 outlier threshold must be positive, got 0
// BADHEAD: unknown lm-head 'int4'; the choices are: int8, f32 (default: int8 with int8-weight, f32 with llm-int8)
// Tests that llm-int8 sets LLM.int8()'s outlier threshold on the quantized product and keeps the LM head f32.
// LLM-LABEL: func.func @main(
// LLM: weft.matmul_q8 %{{.*}} {outlier_threshold = 4.500000e+00 : f32, quantize_lhs} : tensor<2x4xf32>, tensor<4x3xi8>
// LLM: weft.matmul %{{.*}} {transpose_rhs} : tensor<2x3xf32>, tensor<5x3xf32>
// Tests that int8-weight quantizes the LM head by default, and llm-int8 does with lm-head=int8.
// HEAD-LABEL: func.func @main(
// HEAD-SAME: tensor<5x3xi8> {weft.param = "lm_head.weight.q8"}
// HEAD-NOT: weft.matmul %
// HEAD: weft.matmul_q8 %{{.*}} {quantize_lhs, transpose_rhs} : tensor<2x3xf32>, tensor<5x3xi8>
// LLMHEAD-LABEL: func.func @main(
// LLMHEAD-NOT: weft.matmul %
// LLMHEAD: weft.matmul_q8 %{{.*}} {outlier_threshold = 6.000000e+00 : f32, quantize_lhs, transpose_rhs} : tensor<2x3xf32>, tensor<5x3xi8>
func.func @main(%w: tensor<4x3xf32> {weft.param = "fc.weight"}, %h: tensor<5x3xf32> {weft.param = "lm_head.weight"},
                %x: tensor<2x4xf32> {weft.input = "x"}) -> (tensor<2x5xf32> {weft.output = "y"}) {
  %0 = weft.matmul %x, %w : tensor<2x4xf32>, tensor<4x3xf32>
  %1 = weft.matmul %0, %h {transpose_rhs} : tensor<2x3xf32>, tensor<5x3xf32>
  return %1 : tensor<2x5xf32>
}

// -----

// Tests that with lm-head=f32 a tied weight (an embedding table that is also the LM head: a gather reads it) stays
// f32, as does a weight used as a matmul's lhs, a 1-D bias and a weight read both plain and transposed; the one
// weight shared by two plain matmuls gets one pair of parameters.

// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[E:[^:]*]]: tensor<6x4xf32> {weft.param = "wte.weight"}
// CHECK-SAME: tensor<4x4xf32> {weft.param = "both.weight"}
// CHECK-SAME: %[[Q:[^:]*]]: tensor<4x4xi8> {weft.param = "shared.weight.q8"}, %[[S:[^:]*]]: tensor<4xf32> {weft.param = "shared.weight.scale"})
// CHECK: weft.gather
// CHECK: weft.matmul_q8 %{{.*}}, %[[Q]], %[[S]]
// CHECK: weft.matmul_q8 %{{.*}}, %[[Q]], %[[S]]
// CHECK: weft.matmul %{{.*}}, %[[E]] {transpose_rhs}
// CHECK-NOT: weft.matmul_q8
// Tests that with the int8 LM head (int8-weight's default) the tied table is held once, in int8 (one scale per row:
// [N, K]): the gather reads the int8 rows and their scales and multiplies them, the LM head product reads the same
// pair, and no f32 wte.weight is left; a weight with another use (both.weight, also a matmul's lhs) stays f32.
// HEAD-LABEL: func.func @main(
// HEAD-SAME: %[[B:[^:]*]]: tensor<4x4xf32> {weft.param = "both.weight"}, %[[IDS:[^:]*]]: tensor<2xi64> {weft.input = "ids"}
// HEAD-SAME: %[[EQ:[^:]*]]: tensor<6x4xi8> {weft.param = "wte.weight.q8"}, %[[ES:[^:]*]]: tensor<6xf32> {weft.param = "wte.weight.scale"}
// HEAD-NOT: "wte.weight"
// HEAD: %[[ROWS:.*]] = weft.gather %[[EQ]][%[[IDS]]] : tensor<6x4xi8>, tensor<2xi64>
// HEAD: %[[SCALES:.*]] = weft.gather %[[ES]][%[[IDS]]] : tensor<6xf32>, tensor<2xi64>
// HEAD: %[[F:.*]] = weft.cast %[[ROWS]] : tensor<2x4xi8> -> tensor<2x4xf32>
// HEAD: %[[SB:.*]] = weft.broadcast %[[SCALES]] dims = [0] : tensor<2xf32> -> tensor<2x4xf32>
// HEAD: %[[X:.*]] = weft.mul %[[F]], %[[SB]] : tensor<2x4xf32>
// HEAD: weft.matmul_q8 %[[X]],
// HEAD: weft.matmul_q8 %{{.*}}, %[[EQ]], %[[ES]] {quantize_lhs, transpose_rhs}
// HEAD: weft.matmul %[[B]], %[[B]] {transpose_rhs}
func.func @main(%e: tensor<6x4xf32> {weft.param = "wte.weight"}, %w: tensor<4x4xf32> {weft.param = "shared.weight"},
                %b: tensor<4x4xf32> {weft.param = "both.weight"}, %ids: tensor<2xi64> {weft.input = "ids"})
    -> (tensor<2x6xf32> {weft.output = "logits"}, tensor<4x4xf32> {weft.output = "other"}) {
  %0 = weft.gather %e[%ids] : tensor<6x4xf32>, tensor<2xi64>
  %1 = weft.matmul %0, %w : tensor<2x4xf32>, tensor<4x4xf32>
  %2 = weft.matmul %1, %w : tensor<2x4xf32>, tensor<4x4xf32>
  %3 = weft.matmul %2, %e {transpose_rhs} : tensor<2x4xf32>, tensor<6x4xf32>
  %4 = weft.matmul %b, %b {transpose_rhs} : tensor<4x4xf32>, tensor<4x4xf32>
  return %3, %4 : tensor<2x6xf32>, tensor<4x4xf32>
}

// -----

// Tests that in a LoRA program (some parameters frozen) only the frozen base weight is quantized and its pair stays
// frozen, while the trainable adapters (lora_A, lora_B: matmul weights too) stay f32; the matmul_q8 keeps the
// matmul's tags (its recompute group). With activations=false (a training step over an int8 base) the product
// keeps f32 activations: no quantize_lhs.

// CHECK-LABEL: func.func @main(
// CHECK-SAME: tensor<2x4xf32> {weft.param = "fc.lora_A.weight"}, %{{[^:]*}}: tensor<3x2xf32> {weft.param = "fc.lora_B.weight"}
// CHECK-SAME: %[[Q:[^:]*]]: tensor<3x4xi8> {weft.frozen, weft.param = "fc.weight.q8"}, %[[S:[^:]*]]: tensor<3xf32> {weft.frozen, weft.param = "fc.weight.scale"})
// CHECK: weft.matmul_q8 %{{.*}}, %[[Q]], %[[S]] {quantize_lhs, transpose_rhs, weft.recompute = 0 : i64} : tensor<2x4xf32>, tensor<3x4xi8>, tensor<3xf32>
// F32ACT-LABEL: func.func @main(
// F32ACT-LABEL: func.func @main(
// F32ACT-LABEL: func.func @main(
// HEAD-LABEL: func.func @main(
// F32ACT: weft.matmul_q8 %{{.*}}, %{{.*}}, %{{.*}} {transpose_rhs, weft.recompute = 0 : i64} : tensor<2x4xf32>, tensor<3x4xi8>, tensor<3xf32>
// CHECK: weft.matmul %{{.*}}, %{{.*}} {transpose_rhs} : tensor<2x4xf32>, tensor<2x4xf32>
// CHECK: weft.matmul %{{.*}}, %{{.*}} {transpose_rhs} : tensor<2x2xf32>, tensor<3x2xf32>
func.func @main(%w: tensor<3x4xf32> {weft.param = "fc.weight", weft.frozen}, %a: tensor<2x4xf32> {weft.param = "fc.lora_A.weight"},
                %b: tensor<3x2xf32> {weft.param = "fc.lora_B.weight"}, %x: tensor<2x4xf32> {weft.input = "x"})
    -> (tensor<2x3xf32> {weft.output = "y"}) {
  %0 = weft.matmul %x, %w {transpose_rhs, weft.recompute = 0 : i64} : tensor<2x4xf32>, tensor<3x4xf32>
  %1 = weft.matmul %x, %a {transpose_rhs} : tensor<2x4xf32>, tensor<2x4xf32>
  %2 = weft.matmul %1, %b {transpose_rhs} : tensor<2x2xf32>, tensor<3x2xf32>
  %3 = weft.add %0, %2 : tensor<2x3xf32>
  return %3 : tensor<2x3xf32>
}

// -----

// Tests that a gathered table whose product reads it untransposed ([K, N]: one scale per column, which a row cannot
// be dequantized with) stays f32 under the int8 LM head, and that a gather of a rank-3 index tensor dequantizes
// with the scales spread over the row dimension only (broadcast dims [0, 1]).

// HEAD-LABEL: func.func @main(
// HEAD-SAME: %[[T:[^:]*]]: tensor<4x4xf32> {weft.param = "table.weight"}
// HEAD-SAME: tensor<6x4xi8> {weft.param = "wte.weight.q8"}
// HEAD: weft.gather %[[T]]
// HEAD: weft.matmul %{{.*}}, %[[T]] : tensor<2x4xf32>, tensor<4x4xf32>
// HEAD: weft.gather %{{.*}} : tensor<6x4xi8>, tensor<2x3xi64>
// HEAD: weft.gather %{{.*}} : tensor<6xf32>, tensor<2x3xi64>
// HEAD: weft.broadcast %{{.*}} dims = [0, 1] : tensor<2x3xf32> -> tensor<2x3x4xf32>
func.func @main(%t: tensor<4x4xf32> {weft.param = "table.weight"}, %e: tensor<6x4xf32> {weft.param = "wte.weight"},
                %ids: tensor<2xi64> {weft.input = "ids"}, %ids2: tensor<2x3xi64> {weft.input = "ids2"},
                %h: tensor<2x4xf32> {weft.input = "h"})
    -> (tensor<2x4xf32> {weft.output = "a"}, tensor<2x3x4xf32> {weft.output = "b"}, tensor<2x6xf32> {weft.output = "c"}) {
  %0 = weft.gather %t[%ids] : tensor<4x4xf32>, tensor<2xi64>
  %1 = weft.matmul %0, %t : tensor<2x4xf32>, tensor<4x4xf32>
  %2 = weft.gather %e[%ids2] : tensor<6x4xf32>, tensor<2x3xi64>
  %3 = weft.matmul %h, %e {transpose_rhs} : tensor<2x4xf32>, tensor<6x4xf32>
  return %1, %2, %3 : tensor<2x4xf32>, tensor<2x3x4xf32>, tensor<2x6xf32>
}
