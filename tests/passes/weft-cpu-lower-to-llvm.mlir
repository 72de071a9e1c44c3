// RUN: weft-opt %s --split-input-file --weft-cpu-lower-to-llvm | FileCheck %s

// Tests that a kernel's memref arguments become bare pointers and that the
// body (arith, memref, func) is all LLVM dialect.
// CHECK-LABEL: llvm.func @kernel
// CHECK-SAME: (%[[A:.*]]: !llvm.ptr, %[[B:.*]]: !llvm.ptr)
// CHECK: llvm.getelementptr %{{.*}}[%{{.*}}] : (!llvm.ptr, i64) -> !llvm.ptr, f32
// CHECK: llvm.load
// CHECK: llvm.fadd
// CHECK: llvm.store
// CHECK: llvm.return
// CHECK-NOT: memref.
func.func @kernel(%a: memref<4x8xf32>, %b: memref<4x8xf32>) {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %v = memref.load %a[%c1, %c2] : memref<4x8xf32>
  %w = arith.addf %v, %v : f32
  memref.store %w, %b[%c1, %c2] : memref<4x8xf32>
  return
}

// -----

// Tests that bf16 rounding is expanded to integer operations (round to
// nearest even) before the conversion, so no libgcc helper is called.
// CHECK-LABEL: llvm.func @round_bf16
// CHECK-NOT: llvm.fptrunc
// CHECK: llvm.bitcast %{{.*}} : f32 to i32
// CHECK: llvm.trunc %{{.*}} : i32 to i16
// CHECK: llvm.bitcast %{{.*}} : i16 to bf16
func.func @round_bf16(%a: memref<4xf32>, %b: memref<4xbf16>) {
  %c0 = arith.constant 0 : index
  %v = memref.load %a[%c0] : memref<4xf32>
  %t = arith.truncf %v : f32 to bf16
  memref.store %t, %b[%c0] : memref<4xbf16>
  return
}
