// RUN: weft-opt %s --split-input-file --weft-cpu-limit-parallel-loops | FileCheck %s
// RUN: weft-opt %s --split-input-file --weft-cpu-limit-parallel-loops="min-work=100000000" | FileCheck %s --check-prefix=SERIAL

// Tests that a loop nest with less work than min-work becomes sequential.
// CHECK-LABEL: func.func @small
// CHECK-NOT: scf.parallel
// CHECK: scf.for %[[I:.*]] = %c0 to %c4 step %c1 {
// CHECK-NEXT: scf.for %[[J:.*]] = %c0 to %c8 step %c1 {
// CHECK-NEXT: memref.load %arg0[%[[I]], %[[J]]]
func.func @small(%a: memref<4x8xf32>, %b: memref<4x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c8) step (%c1, %c1) {
    %v = memref.load %a[%i, %j] : memref<4x8xf32>
    memref.store %v, %b[%i, %j] : memref<4x8xf32>
  }
  return
}

// -----

// Tests that a big nest stays parallel over its leading dimension only, the
// inner dimension becoming an scf.for (which LLVM vectorizes).
// CHECK-LABEL: func.func @rows
// CHECK: scf.parallel (%[[I:.*]]) = (%c0) to (%c128) step (%c1) {
// CHECK-NEXT: scf.for %[[J:.*]] = %c0 to %c768 step %c1 {
// CHECK-NEXT: memref.load %arg0[%[[I]], %[[J]]]
// SERIAL-LABEL: func.func @rows
// SERIAL-NOT: scf.parallel
func.func @rows(%a: memref<128x768xf32>, %b: memref<128x768xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c128 = arith.constant 128 : index
  %c768 = arith.constant 768 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c128, %c768) step (%c1, %c1) {
    %v = memref.load %a[%i, %j] : memref<128x768xf32>
    memref.store %v, %b[%i, %j] : memref<128x768xf32>
  }
  return
}

// -----

// Tests that the parallel prefix grows until it has min-trips (8) iterations
// and that the work of inner sequential loops counts (4 x 4 x 4096).
// CHECK-LABEL: func.func @prefix
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = (%c0, %c0) to (%c4, %c4) step (%c1, %c1) {
// CHECK-NEXT: scf.for %{{.*}} = %c0 to %c4096 step %c1 {
func.func @prefix(%a: memref<4x4x4096xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c4096 = arith.constant 4096 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c4) step (%c1, %c1) {
    scf.for %k = %c0 to %c4096 step %c1 {
      memref.store %f, %a[%i, %j, %k] : memref<4x4x4096xf32>
    }
  }
  return
}

// -----

// Tests that a parallel loop nested in another loop becomes sequential (at
// most one fork per loop nest).
// CHECK-LABEL: func.func @nested
// CHECK-NOT: scf.parallel
// CHECK: scf.for
// CHECK: scf.for
func.func @nested(%a: memref<1000x1000xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c1000 = arith.constant 1000 : index
  %f = arith.constant 1.0 : f32
  scf.for %i = %c0 to %c1000 step %c1 {
    scf.parallel (%j) = (%c0) to (%c1000) step (%c1) {
      memref.store %f, %a[%i, %j] : memref<1000x1000xf32>
    }
  }
  return
}
