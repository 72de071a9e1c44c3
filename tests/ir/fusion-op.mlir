// RUN: weft-opt %s | FileCheck %s
// RUN: weft-opt %s | weft-opt | FileCheck %s
// RUN: weft-opt %s -mlir-print-op-generic | weft-opt | FileCheck %s
// RUN: weft-opt %s -canonicalize | FileCheck %s --check-prefix=CANON

// Tests that weft.fusion (several operands and results, a reduce, a broadcast and a local constant in its body)
// and weft.yield print and parse back to the same text.

// CHECK-LABEL: func.func @fusion
// CHECK-NEXT: %[[F:.*]]:2 = weft.fusion %arg0, %arg1 : (tensor<4x8xf32>, tensor<8xf32>) -> (tensor<4xf32>, tensor<4x8xf32>) {
// CHECK-NEXT: ^bb0(%[[X:.*]]: tensor<4x8xf32>, %[[B:.*]]: tensor<8xf32>):
// CHECK-NEXT:   %[[BB:.*]] = weft.broadcast %[[B]] dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
// CHECK-NEXT:   %[[S:.*]] = weft.add %[[X]], %[[BB]] : tensor<4x8xf32>
// CHECK-NEXT:   %[[C:.*]] = weft.constant dense<2.000000e+00> : tensor<4x8xf32>
// CHECK-NEXT:   %[[M:.*]] = weft.mul %[[S]], %[[C]] : tensor<4x8xf32>
// CHECK-NEXT:   %[[R:.*]] = weft.reduce sum %[[M]] dims = [1] : tensor<4x8xf32>
// CHECK-NEXT:   weft.yield %[[R]], %[[M]] : tensor<4xf32>, tensor<4x8xf32>
// CHECK-NEXT: }
// CHECK-NEXT: return %[[F]]#0, %[[F]]#1
func.func @fusion(%x: tensor<4x8xf32>, %b: tensor<8xf32>) -> (tensor<4xf32>, tensor<4x8xf32>) {
  %r, %m = weft.fusion %x, %b : (tensor<4x8xf32>, tensor<8xf32>) -> (tensor<4xf32>, tensor<4x8xf32>) {
  ^bb0(%a: tensor<4x8xf32>, %c: tensor<8xf32>):
    %bb = weft.broadcast %c dims = [1] : tensor<8xf32> -> tensor<4x8xf32>
    %s = weft.add %a, %bb : tensor<4x8xf32>
    %two = weft.constant dense<2.0> : tensor<4x8xf32>
    %p = weft.mul %s, %two : tensor<4x8xf32>
    %q = weft.reduce sum %p dims = [1] : tensor<4x8xf32>
    weft.yield %q, %p : tensor<4xf32>, tensor<4x8xf32>
  }
  return %r, %m : tensor<4xf32>, tensor<4x8xf32>
}

// Tests that a fusion without operands (a mask from iotas) round-trips, and that canonicalization leaves it alone.

// CHECK-LABEL: func.func @no_operands
// CHECK-NEXT: %[[F:.*]] = weft.fusion : () -> tensor<4x4xi1> {
// CHECK-NEXT:   %[[R:.*]] = weft.iota dim = 0 : tensor<4x4xi64>
// CHECK-NEXT:   %[[C:.*]] = weft.iota dim = 1 : tensor<4x4xi64>
// CHECK-NEXT:   %[[M:.*]] = weft.compare ge, %[[R]], %[[C]] : tensor<4x4xi64>
// CHECK-NEXT:   weft.yield %[[M]] : tensor<4x4xi1>
// CHECK-NEXT: }
// CANON-LABEL: func.func @no_operands
// CANON-NEXT: weft.fusion : () -> tensor<4x4xi1>
func.func @no_operands() -> tensor<4x4xi1> {
  %m = weft.fusion : () -> tensor<4x4xi1> {
    %r = weft.iota dim = 0 : tensor<4x4xi64>
    %c = weft.iota dim = 1 : tensor<4x4xi64>
    %k = weft.compare ge, %r, %c : tensor<4x4xi64>
    weft.yield %k : tensor<4x4xi1>
  }
  return %m : tensor<4x4xi1>
}

// Tests that canonicalization merges an operand listed twice into one (the kernel reads it once) and drops an
// operand the body never reads.

// CANON-LABEL: func.func @repeated_and_unused_operands
// CANON-NEXT: %[[F:.*]] = weft.fusion %arg0 : (tensor<4xf32>) -> tensor<4xf32> {
// CANON-NEXT: ^bb0(%[[A:.*]]: tensor<4xf32>):
// CANON-NEXT:   %[[S:.*]] = weft.mul %[[A]], %[[A]] : tensor<4xf32>
// CANON-NEXT:   weft.yield %[[S]] : tensor<4xf32>
func.func @repeated_and_unused_operands(%x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<4xf32> {
  %r = weft.fusion %x, %y, %x : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>, %unused: tensor<4xf32>, %b: tensor<4xf32>):
    %s = weft.mul %a, %b : tensor<4xf32>
    weft.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// Tests that canonicalization keeps one result per value the kernel writes: a value yielded twice becomes one
// result read by both users, a yielded block argument is replaced by the operand itself, and an unread result is
// dropped.

// CANON-LABEL: func.func @repeated_passthrough_and_unused_results
// CANON-NEXT: %[[F:.*]] = weft.fusion %arg0 : (tensor<4xf32>) -> tensor<4xf32> {
// CANON-NEXT: ^bb0(%[[A:.*]]: tensor<4xf32>):
// CANON-NEXT:   %[[E:.*]] = weft.exp %[[A]] : tensor<4xf32>
// CANON-NEXT:   weft.yield %[[E]] : tensor<4xf32>
// CANON-NEXT: }
// CANON-NEXT: return %[[F]], %[[F]], %arg0
func.func @repeated_passthrough_and_unused_results(%x: tensor<4xf32>)
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %r:4 = weft.fusion %x : (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  ^bb0(%a: tensor<4xf32>):
    %e = weft.exp %a : tensor<4xf32>
    %n = weft.neg %a : tensor<4xf32>
    weft.yield %e, %e, %a, %n : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
  }
  return %r#0, %r#1, %r#2 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
