// RUN: weft-opt %s -split-input-file -verify-diagnostics -weft-test-print-memory-plan -o /dev/null | FileCheck %s
// RUN: weft-opt %s -split-input-file -weft-plan-memory -weft-test-print-memory-plan -o /dev/null | FileCheck %s --check-prefix=REC

// Tests the printed buffers and report of a function planned on the fly: the exp runs in place over %arg0, the
// reduction's 4-byte result takes a 64-byte slot, and the planned arena (4160) is below the lower bound (8192)
// because of the in-place write. weft-plan-memory records the same plan.

// CHECK-LABEL: memory plan @in_place (computed)
// CHECK-NEXT: %arg0 offset = 0, size = 4096, live = [0, 1], input
// CHECK-NEXT: %0 offset = 0, size = 4096, live = [1, 2], temporary
// CHECK-NEXT: %1 offset = 4096, size = 4, live = [2, 3], output
// CHECK-NEXT: no-reuse = 8256, lower-bound = 8192, planned = 4160, persistent = 0
// REC-LABEL: memory plan @in_place (recorded)
// REC-NEXT: %arg0 offset = 0, size = 4096, live = [0, 1], input
// REC-NEXT: %0 offset = 0, size = 4096, live = [1, 2], temporary
// REC-NEXT: %1 offset = 4096, size = 4, live = [2, 3], output
// REC-NEXT: no-reuse = 8256, lower-bound = 8192, planned = 4160, persistent = 0
func.func @in_place(%x: tensor<1024xf32> {weft.input = "x"}) -> tensor<f32> {
  %0 = weft.exp %x : tensor<1024xf32>
  %1 = weft.reduce sum %0 dims = [0] : tensor<1024xf32>
  return %1 : tensor<f32>
}

// -----

// Tests that reshape results print as aliases, that a reshape extends its input's live range to the reshape's
// last use (%0 lives over [1, 6]), and that parameters are not listed.

// CHECK-LABEL: memory plan @aliases (computed)
// CHECK-NEXT: %arg0 offset = 0, size = 4096, live = [0, 3], input
// CHECK-NEXT: %0 offset = 8192, size = 4096, live = [1, 6], temporary
// CHECK-NEXT: %1 alias of %0
// CHECK-NEXT: %2 offset = 12288, size = 4096, live = [3, 6], temporary
// CHECK-NEXT: %3 alias of %2
// CHECK-NEXT: %5 offset = 0, size = 8192, live = [6, 7], output
// CHECK-NEXT: no-reuse = 20480, lower-bound = 16384, planned = 16384, persistent = 0
func.func @aliases(%x: tensor<32x32xf32> {weft.input = "x"}, %w: tensor<1024xf32> {weft.param = "w"})
    -> tensor<2048xf32> {
  %0 = weft.transpose %x permutation = [1, 0] : tensor<32x32xf32>
  %1 = weft.reshape %0 : tensor<32x32xf32> -> tensor<1024xf32>
  %2 = weft.transpose %x permutation = [1, 0] : tensor<32x32xf32>
  %3 = weft.reshape %2 : tensor<32x32xf32> -> tensor<1024xf32>
  %4 = weft.reshape %w : tensor<1024xf32> -> tensor<32x32xf32>
  %5 = weft.concat %1, %3 dim = 0 : tensor<1024xf32>, tensor<1024xf32>
  return %5 : tensor<2048xf32>
}

// -----

// Tests the report with constants: they count in every number and fill the persistent region; the input returned
// as is lives to the end.

// CHECK-LABEL: memory plan @persistent (computed)
// CHECK-NEXT: %arg0 offset = 128, size = 64, live = [0, 4], input
// CHECK-NEXT: %0 offset = 0, size = 64, live = [0, 4], persistent
// CHECK-NEXT: %1 offset = 64, size = 8, live = [0, 4], persistent
// CHECK-NEXT: %2 offset = 192, size = 64, live = [3, 4], output
// CHECK-NEXT: no-reuse = 256, lower-bound = 256, planned = 256, persistent = 128
func.func @persistent(%x: tensor<16xf32> {weft.input = "x"}) -> (tensor<16xf32>, tensor<16xf32>) {
  %c = weft.constant dense<1.0> : tensor<16xf32>
  %i = weft.constant dense<[1, 2]> : tensor<2xi32>
  %0 = weft.add %x, %c : tensor<16xf32>
  return %x, %0 : tensor<16xf32>, tensor<16xf32>
}

// -----

// Tests that the results of a multi-result op print with the names the function prints them with (layer_norm
// names its results) and that a recorded array of offsets reads back per result.

// CHECK-LABEL: memory plan @multiple_results (computed)
// CHECK-NEXT: %arg0 offset = 0, size = 256, live = [0, 1], input
// CHECK-NEXT: %result offset = 256, size = 256, live = [1, 2], output
// CHECK-NEXT: %mean offset = 512, size = 16, live = [1, 1], temporary
// CHECK-NEXT: %rstd offset = 576, size = 16, live = [1, 2], output
// CHECK-NEXT: no-reuse = 640, lower-bound = 640, planned = 640, persistent = 0
// REC-LABEL: memory plan @multiple_results (recorded)
// REC-NEXT: %arg0 offset = 0, size = 256, live = [0, 1], input
// REC-NEXT: %result offset = 256, size = 256, live = [1, 2], output
// REC-NEXT: %mean offset = 512, size = 16, live = [1, 1], temporary
// REC-NEXT: %rstd offset = 576, size = 16, live = [1, 2], output
func.func @multiple_results(%x: tensor<4x16xf32> {weft.input = "x"}, %g: tensor<16xf32> {weft.param = "g"})
    -> (tensor<4x16xf32>, tensor<4xf32>) {
  %y, %mean, %rstd = weft.layer_norm %x, %g epsilon = 1.0e-05 : tensor<4x16xf32>, tensor<16xf32>
  return %y, %rstd : tensor<4x16xf32>, tensor<4xf32>
}

// -----

// Tests that a recorded plan missing an op's offset (the IR changed after weft-plan-memory) is reported at that op.

func.func @stale(%x: tensor<16xf32> {weft.input = "x", weft.offset = 0 : i64}) -> tensor<16xf32>
    attributes {weft.arena_alignment = 64 : i64, weft.arena_persistent_size = 0 : i64, weft.arena_size = 128 : i64} {
  // expected-error @+1 {{'weft.exp' op result #0 has no weft.offset although its function has a memory plan; hint: run weft-plan-memory after the last pass that adds or changes ops}}
  %0 = weft.exp %x : tensor<16xf32>
  return %0 : tensor<16xf32>
}

// -----

// Tests that a key/value cache (a weft.state argument) and its in-place update (a dynamic_update_slice returned as
// the state's weft.update) take no arena bytes: only the new key, the offset and the scores are planned, computed
// on the fly and recorded alike.

// CHECK-LABEL: memory plan @cache_write (computed)
// CHECK-NEXT: %arg1 offset = 0, size = 512, live = [0, 2], input
// CHECK-NEXT: %arg2 offset = 512, size = 8, live = [0, 1], input
// CHECK-NEXT: %1 offset = 512, size = 256, live = [2, 3], output
// CHECK-NEXT: no-reuse = 832, lower-bound = 768, planned = 768, persistent = 0
// REC-LABEL: memory plan @cache_write (recorded)
// REC-NEXT: %arg1 offset = 0, size = 512
func.func @cache_write(%cache: tensor<2x4x8x16xf32> {weft.state = "cache.k"},
                       %k: tensor<2x4x1x16xf32> {weft.input = "k"}, %pos: tensor<i64> {weft.input = "pos"})
    -> (tensor<2x4x8x16xf32> {weft.update = "cache.k"}, tensor<2x4x1x8xf32> {weft.output = "s"}) {
  %0 = weft.dynamic_update_slice %cache[%pos], %k dim = 2 : tensor<2x4x8x16xf32>, tensor<2x4x1x16xf32>, tensor<i64>
  %1 = weft.batch_matmul %k, %0 {transpose_rhs} : tensor<2x4x1x16xf32>, tensor<2x4x8x16xf32>
  return %0, %1 : tensor<2x4x8x16xf32>, tensor<2x4x1x8xf32>
}

// -----

// Tests that an accumulator (a weft.state argument) updated by a scatter_add into it (an embedding's gradient added
// into its accumulator by weft-scatter-add-into) is updated in place: the sum takes no arena bytes, only the rows
// and their indices are planned.

// CHECK-LABEL: memory plan @accumulate_rows (computed)
// CHECK-NEXT: %arg1 offset = 0, size = 256, live = [0, 1], input
// CHECK-NEXT: %arg2 offset = 256, size = 32, live = [0, 1], input
// CHECK-NEXT: no-reuse = 320, lower-bound = 320, planned = 320, persistent = 0
func.func @accumulate_rows(%acc: tensor<16x16xf32> {weft.state = "accum:wpe.weight"},
                           %rows: tensor<4x16xf32> {weft.input = "rows"}, %ids: tensor<4xi64> {weft.input = "ids"})
    -> (tensor<16x16xf32> {weft.update = "accum:wpe.weight"}) {
  %0 = weft.scatter_add %rows[%ids] into %acc : tensor<4x16xf32>, tensor<4xi64> -> tensor<16x16xf32>
  return %0 : tensor<16x16xf32>
}
