// RUN: weft-opt %s -split-input-file -weft-quantize-weights | FileCheck %s
// RUN: weft-opt %s -split-input-file -weft-quantize-weights="keep=fc.weight" | FileCheck %s --check-prefix=KEEP
// RUN: not weft-opt %s -split-input-file -weft-quantize-weights="mode=int4" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADMODE
// RUN: weft-opt %s -split-input-file -weft-quantize-weights="mode=llm-int8 threshold=4.5" | FileCheck %s --check-prefix=LLM
// RUN: weft-opt %s -split-input-file -weft-quantize-weights="quantize-lm-head" | FileCheck %s --check-prefix=HEAD
// RUN: not weft-opt %s -split-input-file -weft-quantize-weights="mode=llm-int8 threshold=0" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADTHRESHOLD
// RUN: weft-opt %s -split-input-file -weft-quantize-weights="activations=false" | FileCheck %s --check-prefix=F32ACT

// Tests that a [K, N] matmul weight becomes fc.weight.q8 (i8 [K, N]) and fc.weight.scale (f32 [N]) and its matmul a
// weft.matmul_q8, while the LM head (lm_head.weight, kept by default) stays an f32 weft.matmul; with keep=fc.weight
// only that one stays f32 and the LM head is quantized with one scale per row ([N, K], transposed).

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
// Tests that llm-int8 sets LLM.int8()'s outlier threshold on the quantized product and keeps the LM head f32.
// LLM-LABEL: func.func @main(
// LLM: weft.matmul_q8 %{{.*}} {outlier_threshold = 4.500000e+00 : f32, quantize_lhs} : tensor<2x4xf32>, tensor<4x3xi8>
// LLM: weft.matmul %{{.*}} {transpose_rhs} : tensor<2x3xf32>, tensor<5x3xf32>
// Tests that quantize-lm-head quantizes the LM head too.
// HEAD-LABEL: func.func @main(
// HEAD-SAME: tensor<5x3xi8> {weft.param = "lm_head.weight.q8"}
// HEAD-NOT: weft.matmul %
// HEAD: weft.matmul_q8 %{{.*}} {quantize_lhs, transpose_rhs} : tensor<2x3xf32>, tensor<5x3xi8>
func.func @main(%w: tensor<4x3xf32> {weft.param = "fc.weight"}, %h: tensor<5x3xf32> {weft.param = "lm_head.weight"},
                %x: tensor<2x4xf32> {weft.input = "x"}) -> (tensor<2x5xf32> {weft.output = "y"}) {
  %0 = weft.matmul %x, %w : tensor<2x4xf32>, tensor<4x3xf32>
  %1 = weft.matmul %0, %h {transpose_rhs} : tensor<2x3xf32>, tensor<5x3xf32>
  return %1 : tensor<2x5xf32>
}

// -----

// Tests that a tied weight (an embedding table that is also the LM head: a gather reads it) stays f32, as does a
// weight used as a matmul's lhs, a 1-D bias and a weight read both plain and transposed; the one weight shared by
// two plain matmuls gets one pair of parameters.

// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[E:[^:]*]]: tensor<6x4xf32> {weft.param = "wte.weight"}
// CHECK-SAME: tensor<4x4xf32> {weft.param = "both.weight"}
// CHECK-SAME: %[[Q:[^:]*]]: tensor<4x4xi8> {weft.param = "shared.weight.q8"}, %[[S:[^:]*]]: tensor<4xf32> {weft.param = "shared.weight.scale"})
// CHECK: weft.gather
// CHECK: weft.matmul_q8 %{{.*}}, %[[Q]], %[[S]]
// CHECK: weft.matmul_q8 %{{.*}}, %[[Q]], %[[S]]
// CHECK: weft.matmul %{{.*}}, %[[E]] {transpose_rhs}
// CHECK-NOT: weft.matmul_q8
// Tests that with quantize-lm-head the tied table keeps its f32 parameter for the gather and its LM head product
// reads an int8 copy (one scale per row: [N, K]).
// HEAD-LABEL: func.func @main(
// HEAD-SAME: %[[E:[^:]*]]: tensor<6x4xf32> {weft.param = "wte.weight"}
// HEAD-SAME: %[[EQ:[^:]*]]: tensor<6x4xi8> {weft.param = "wte.weight.q8"}, %[[ES:[^:]*]]: tensor<6xf32> {weft.param = "wte.weight.scale"}
// HEAD: weft.gather %[[E]]
// HEAD: weft.matmul_q8 %{{.*}}, %[[EQ]], %[[ES]] {quantize_lhs, transpose_rhs}
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
