// RUN: weft-opt %s --split-input-file --weft-split-reductions | FileCheck %s
// RUN: weft-opt %s --split-input-file --weft-split-reductions="min-parallel=1" | FileCheck %s --check-prefix=OFF

// Tests that a column sum (768 parallel iterations, 8192 rows) becomes 256 x 768 partial sums of 32 rows strided by
// 256 (a free view of %x as 32 x 256 x 768, the column fastest among the threads), partial sums of those, and a final
// sum into %y that keeps %y's initial value; with min-parallel=1 it is only interchanged (columns outermost).
// CHECK-DAG: #[[X3:.*]] = affine_map<(d0, d1, d2) -> (d2, d0, d1)>
// CHECK-DAG: #[[P2:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[T:.*]] = affine_map<(d0, d1) -> (d1, d0)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @column_sum
// CHECK: %[[V:.*]] = memref.expand_shape %arg0 {{\[\[}}0, 1], [2]] output_shape [32, 256, 768]
// CHECK: %[[P:.*]] = memref.alloc() {alignment = 64 : i64} : memref<256x768xf32>
// CHECK: %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: linalg.fill ins(%[[Z]] : f32) outs(%[[P]] : memref<256x768xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[X3]], #[[P2]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[V]] : memref<32x256x768xbf16>) outs(%[[P]] : memref<256x768xf32>)
// CHECK: arith.extf
// CHECK: arith.addf %{{.*}}, %{{.*}} fastmath<reassoc> : f32
// CHECK: %[[V2:.*]] = memref.expand_shape %[[P]] {{\[\[}}0, 1], [2]] output_shape [16, 16, 768]
// CHECK: %[[P3:.*]] = memref.alloc() {alignment = 64 : i64} : memref<16x768xf32>
// CHECK: linalg.generic {indexing_maps = [#[[X3]], #[[P2]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[V2]] : memref<16x16x768xf32>) outs(%[[P3]] : memref<16x768xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[T]], #[[C]]], iterator_types = ["parallel", "reduction"]} ins(%[[P3]] : memref<16x768xf32>) outs(%arg1 : memref<768xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[ACC]], %[[IN]] fastmath<reassoc> : f32
// CHECK-NEXT: linalg.yield %[[S]] : f32
// CHECK: memref.dealloc %[[P3]]
// CHECK: memref.dealloc %[[P]]
// OFF-LABEL: func.func @column_sum
// OFF-NOT: memref.alloc
// OFF: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// OFF-NOT: linalg.generic
// OFF: return
#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
func.func @column_sum(%x: memref<8192x768xbf16>, %y: memref<768xf32>) {
  linalg.generic {indexing_maps = [#id, #col], iterator_types = ["reduction", "parallel"]}
      ins(%x : memref<8192x768xbf16>) outs(%y : memref<768xf32>) {
  ^bb0(%in: bf16, %acc: f32):
    %e = arith.extf %in : bf16 to f32
    %s = arith.addf %acc, %e fastmath<reassoc> : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Tests a fused row kernel of 16 rows of 1155 = 21 x 55: the row split strided by 55, linalg.index of the split
// dimension rebuilt as inner * 55 + part, the elementwise result written through the same view of its buffer.
// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2) -> (d0, d2, d1)>
// CHECK-DAG: #[[R:.*]] = affine_map<(d0, d1, d2) -> (d0)>
// CHECK-DAG: #[[P:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @row_with_index
// CHECK: %[[XV:.*]] = memref.expand_shape %arg0 {{\[\[}}0], [1, 2]] output_shape [16, 21, 55]
// CHECK: %[[PART:.*]] = memref.alloc() {alignment = 64 : i64} : memref<16x55xf32>
// CHECK: %[[EV:.*]] = memref.expand_shape %arg3 {{\[\[}}0], [1, 2]] output_shape [16, 21, 55]
// CHECK: linalg.generic {indexing_maps = [#[[X]], #[[R]], #[[P]], #[[X]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[XV]], %arg1 : memref<16x21x55xf32>, memref<16xindex>) outs(%[[PART]], %[[EV]] : memref<16x55xf32>, memref<16x21x55xf32>)
// CHECK: %[[INNER:.*]] = linalg.index 2 : index
// CHECK: %[[PARTIDX:.*]] = linalg.index 1 : index
// CHECK: %[[C55:.*]] = arith.constant 55 : index
// CHECK: %[[MUL:.*]] = arith.muli %[[INNER]], %[[C55]] : index
// CHECK: %[[COL:.*]] = arith.addi %[[MUL]], %[[PARTIDX]] : index
// CHECK: arith.cmpi eq, %[[COL]], %{{.*}} : index
// CHECK: math.exp
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[PART]] : memref<16x55xf32>) outs(%arg2 : memref<16xf32>)
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @row_with_index(%x: memref<16x1155xf32>, %l: memref<16xindex>, %v: memref<16xf32>, %e: memref<16x1155xf32>) {
  linalg.generic {indexing_maps = [#id, #row, #row, #id], iterator_types = ["parallel", "reduction"]}
      ins(%x, %l : memref<16x1155xf32>, memref<16xindex>) outs(%v, %e : memref<16xf32>, memref<16x1155xf32>) {
  ^bb0(%in: f32, %lab: index, %acc: f32, %out: f32):
    %c = linalg.index 1 : index
    %hit = arith.cmpi eq, %c, %lab : index
    %zero = arith.constant 0.0 : f32
    %p = arith.select %hit, %in, %zero : f32
    %s = arith.addf %acc, %p : f32
    %x2 = math.exp %in : f32
    linalg.yield %s, %x2 : f32, f32
  }
  return
}

// -----

// Tests that a full max reduction to a scalar starts from -inf partials and is split until what is left for one
// thread is small (96 partials).
// CHECK-LABEL: func.func @full_max
// CHECK: memref.alloc() {{.*}} : memref<32x768xf32>
// CHECK: arith.constant 0xFF800000 : f32
// CHECK: memref.alloc() {{.*}} : memref<2x768xf32>
// CHECK: memref.alloc() {{.*}} : memref<96xf32>
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%{{.*}} : memref<96xf32>) outs(%arg1 : memref<f32>)
// CHECK: arith.maximumf
#id = affine_map<(d0, d1) -> (d0, d1)>
#scalar = affine_map<(d0, d1) -> ()>
func.func @full_max(%x: memref<512x768xf32>, %y: memref<f32>) {
  linalg.generic {indexing_maps = [#id, #scalar], iterator_types = ["reduction", "reduction"]}
      ins(%x : memref<512x768xf32>) outs(%y : memref<f32>) {
  ^bb0(%in: f32, %acc: f32):
    %m = arith.maximumf %in, %acc : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// Tests what is left alone: enough parallel work, a short reduction, a combiner that is not associative (subf), an
// accumulator read by the contribution (a running value), and a generic inside a loop.
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: memref.alloc
// CHECK-NOT: expand_shape
// CHECK: return
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>
func.func @left_alone(%big: memref<65536x64xf32>, %rows: memref<65536xf32>, %short: memref<4x200xf32>,
                      %four: memref<4xf32>, %x: memref<8192x768xf32>, %y: memref<768xf32>) {
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%big : memref<65536x64xf32>) outs(%rows : memref<65536xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %acc, %in : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%short : memref<4x200xf32>) outs(%four : memref<4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %acc, %in : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #col], iterator_types = ["reduction", "parallel"]}
      ins(%x : memref<8192x768xf32>) outs(%y : memref<768xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.subf %acc, %in : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #col], iterator_types = ["reduction", "parallel"]}
      ins(%x : memref<8192x768xf32>) outs(%y : memref<768xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %m = arith.mulf %acc, %in : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %c2 step %c1 {
    linalg.generic {indexing_maps = [#id, #col], iterator_types = ["reduction", "parallel"]}
        ins(%x : memref<8192x768xf32>) outs(%y : memref<768xf32>) {
    ^bb0(%in: f32, %acc: f32):
      %s = arith.addf %acc, %in : f32
      linalg.yield %s : f32
    }
  }
  return
}

// -----

// Tests that a generic with enough parallel work whose reduction dimension comes first (a sum over the batch next
// to an elementwise result) is interchanged so its parallel dimensions are outermost (its loops: one scf.parallel
// around a sequential loop, not a sequential loop around a parallel one).
// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2) -> (d2, d0, d1)>
// CHECK-DAG: #[[Y:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @batch_sum
// CHECK-NOT: memref.alloc
// CHECK: linalg.generic {indexing_maps = [#[[X]], #[[X]], #[[Y]]], iterator_types = ["parallel", "parallel", "reduction"]}
#x = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#p = affine_map<(d0, d1, d2) -> (d1, d2)>
func.func @batch_sum(%x: memref<8x1024x768xf32>, %e: memref<8x1024x768xf32>, %y: memref<1024x768xf32>) {
  linalg.generic {indexing_maps = [#x, #x, #p], iterator_types = ["reduction", "parallel", "parallel"]}
      ins(%x : memref<8x1024x768xf32>) outs(%e, %y : memref<8x1024x768xf32>, memref<1024x768xf32>) {
  ^bb0(%in: f32, %o: f32, %acc: f32):
    %d = arith.addf %in, %in : f32
    %s = arith.addf %acc, %d : f32
    linalg.yield %d, %s : f32, f32
  }
  return
}
